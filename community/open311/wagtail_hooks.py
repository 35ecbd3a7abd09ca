from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.permissions import register_permission_policy

from portal.viewsets import StaffReadPolicy

from .models import ApiCall, CallbackDelivery
from .viewsets import Open311Group

# The call log and the posted updates are records: community admins read them,
# nobody adds, edits or deletes one (registered before anything asks Wagtail for
# the models' policies).
register_permission_policy(ApiCall, StaffReadPolicy(ApiCall))
register_permission_policy(CallbackDelivery, StaffReadPolicy(CallbackDelivery))


@hooks.register("register_admin_viewset")
def register_open311():
    return Open311Group()


@hooks.register("register_log_actions")
def register_log_actions(actions):
    """重新发送 in the admin, as Wagtail's History tab shows it."""
    actions.register_action("jiayuan.open311.resend", _("重新发送回调"), _("已重新排队发送"))
