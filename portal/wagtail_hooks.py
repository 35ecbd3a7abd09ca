"""Registers the portal's own admin screens (``portal.viewsets``)."""

from django.urls import reverse
from wagtail import hooks
from wagtail.admin.ui.components import Component
from wagtail.permissions import register_permission_policy

from .models import AuditEntry, SmsMessage
from .sms import sms_budget_status
from .viewsets import AuditEntryViewSet, SmsMessageViewSet, StaffReadPolicy

# Before anything asks Wagtail for these models' policies (see wagtail.permissions).
register_permission_policy(SmsMessage, StaffReadPolicy(SmsMessage))
register_permission_policy(AuditEntry, StaffReadPolicy(AuditEntry))


@hooks.register("register_admin_viewset")
def register_sms_outbox():
    return SmsMessageViewSet()


@hooks.register("register_admin_viewset")
def register_audit_trail():
    return AuditEntryViewSet()


@hooks.register("jiayuan_me_sections")
def me_privacy(request):
    """我的数据: download one's data, delete the account (portal.views_privacy)."""
    if not request.user.is_authenticated:
        return None
    return {"template": "portal/privacy/_me.html", "order": 90}


class SmsBudgetPanel(Component):
    """短信用量 on the admin dashboard: this hour's SMS against the budget (portal.sms)."""

    name = "jiayuan_sms_budget"
    order = 50
    template_name = "portal/admin/sms_budget_panel.html"

    def get_context_data(self, parent_context):
        return {**sms_budget_status(), "outbox_url": reverse("sms_outbox:index")}


@hooks.register("construct_homepage_panels")
def sms_budget_panel(request, panels):
    from buildings.access import scope_of  # noqa: PLC0415 (layering: the register stands on portal; read at call time)

    if scope_of(request.user).is_admin:
        panels.insert(0, SmsBudgetPanel())
