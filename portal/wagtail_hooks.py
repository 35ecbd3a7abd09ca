"""Registers the portal's own admin screens (``portal.viewsets``)."""

from wagtail import hooks
from wagtail.permissions import register_permission_policy

from .models import AuditEntry, SmsMessage
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
