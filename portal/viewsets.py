"""The portal's own Wagtail admin screens: users with our fields, the SMS outbox, the audit trail."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies.base import BasePermissionPolicy
from wagtail.users.views.users import UserViewSet as WagtailUserViewSet

from .forms import WagtailUserCreationForm, WagtailUserEditForm
from .models import AuditEntry, SmsMessage, User


class UserViewSet(WagtailUserViewSet):
    """Wagtail's user admin, with the phone and display name (see ``portal.forms``).

    Named by ``JiayuanUsersAppConfig.user_viewset``; Wagtail registers it itself.
    """

    def get_form_class(self, for_update=False):
        return WagtailUserEditForm if for_update else WagtailUserCreationForm


# --- Read-only records: the SMS outbox and the audit trail ---------------------


class StaffReadPolicy(BasePermissionPolicy):
    """Community admins and superusers may read; nobody may add, change or delete."""

    def user_has_permission(self, user, action):
        from buildings.access import scope_of  # noqa: PLC0415 (layering: the register stands on portal; read at call time)

        return action == "view" and getattr(user, "is_active", False) and scope_of(user).is_admin

    def users_with_any_permission(self, actions):
        from buildings.models import CommunityAdmin  # noqa: PLC0415 (layering: the register stands on portal; read at call time)

        if "view" not in actions:
            return User.objects.none()
        return User.objects.filter(is_active=True).filter(
            Q(is_superuser=True) | Q(pk__in=CommunityAdmin.objects.values("user_id"))
        )


class SmsFilterSet(WagtailFilterSet):
    purpose = django_filters.CharFilter(label=gettext_lazy("用途"), lookup_expr="startswith")

    class Meta:
        model = SmsMessage
        fields = ["status", "purpose"]


class SmsMessageViewSet(ModelViewSet):
    """短信发件箱: every SMS sent, whatever the sender; in development the codes are read here."""

    model = SmsMessage
    name = "sms_outbox"
    icon = "mail"
    menu_label = gettext_lazy("短信发件箱")
    add_to_settings_menu = True
    inspect_view_enabled = True
    copy_view_enabled = False
    form_fields = ["text"]  # never reachable: the policy gives only "view"
    list_display = [
        DateColumn("created_at", label=gettext_lazy("时间")),
        "phone",
        "text",
        "purpose",
        "backend",
        "status",
    ]
    filterset_class = SmsFilterSet
    search_fields = ["phone", "text"]


def _action_choices():
    actions = AuditEntry.objects.order_by("action").values_list("action", flat=True).distinct()
    return [(a, a) for a in actions]


class AuditFilterSet(WagtailFilterSet):
    action = django_filters.ChoiceFilter(label=gettext_lazy("动作"), choices=_action_choices)

    class Meta:
        model = AuditEntry
        fields = ["action"]


class AuditIndexView(generic.IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("actor", "content_type")


class AuditEntryViewSet(ModelViewSet):
    """操作记录: who changed what, when. Written only by ``portal.services.audit``."""

    model = AuditEntry
    name = "audit_trail"
    icon = "history"
    menu_label = gettext_lazy("操作记录")
    add_to_settings_menu = True
    index_view_class = AuditIndexView
    inspect_view_enabled = True
    copy_view_enabled = False
    form_fields = ["action"]  # never reachable: the policy gives only "view"
    list_display = [
        "action",
        DateColumn("at", label=gettext_lazy("时间")),
        "actor",
        Column("target", label=gettext_lazy("对象"),
               accessor=lambda e: f"{e.content_type.name} #{e.object_id}"),
        "data",
    ]
    filterset_class = AuditFilterSet
