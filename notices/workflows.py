"""What happens when a Wagtail workflow is approved (``WAGTAIL_FINISH_WORKFLOW_ACTION``).

Wagtail publishes the approved revision as the approver, and checks that the
approver has Wagtail's publish permission. Grid workers approve notices for
their own grids from their phones and hold no Wagtail page permissions: for
a notice, the approval task (``NoticeApprovalTask``) has already checked that
this person may approve it, so the revision is published without a second,
Wagtail-group check. Everything else keeps Wagtail's behaviour.
"""


def publish_workflow_state(workflow_state, user=None):
    # wagtail.models imports this module while it loads (WAGTAIL_FINISH_WORKFLOW_ACTION):
    from wagtail.workflows import publish_workflow_state as wagtail_publish  # noqa: PLC0415 (cycle)

    from .models import NoticePage  # noqa: PLC0415 (cycle: loaded inside wagtail.models)

    obj = workflow_state.content_object
    specific_class = getattr(obj, "specific_class", None) or type(obj)
    if issubclass(specific_class, NoticePage):
        obj.get_latest_revision().publish(user=user, skip_permission_checks=True)
        return
    wagtail_publish(workflow_state, user=user)
