"""Staff screens in the Wagtail admin: volunteers, tasks, points rules, the shop, the ledgers.

Writes that carry business rules (approving volunteers, claims, service,
redemptions) happen on the phone pages through the services; here staff
configure (points rules, shop items, teams) and read. Ledgers are read-only:
no add, edit or delete, for anyone.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy

from .models import HoursEntry, PointsEntry, PointsRule, Redemption, ShopItem, Task, Team, Volunteer


class ReadOnlyPolicy(ModelPermissionPolicy):
    """View and inspect only: nobody adds, changes or deletes through the admin."""

    WRITE = {"add", "change", "delete"}

    def user_has_permission(self, user, action):
        if action in self.WRITE:
            return False
        return super().user_has_permission(user, action)

    def user_has_permission_for_instance(self, user, action, instance):
        return self.user_has_permission(user, action)

    def user_has_any_permission_for_instance(self, user, actions, instance):
        return any(self.user_has_permission(user, a) for a in actions)


class NoAddPolicy(ModelPermissionPolicy):
    """Created only through the services (the phone pages); edited and read here."""

    def user_has_permission(self, user, action):
        if action in {"add", "delete"}:
            return False
        return super().user_has_permission(user, action)

    def user_has_permission_for_instance(self, user, action, instance):
        return self.user_has_permission(user, action)

    def user_has_any_permission_for_instance(self, user, actions, instance):
        return any(self.user_has_permission(user, a) for a in actions)


class VolunteerViewSet(ModelViewSet):
    model = Volunteer
    name = "volunteers_volunteer"
    url_prefix = "volunteers/volunteer"
    icon = "user"
    menu_label = _("志愿者")
    list_display = ["real_name", "state", "team", "hours_total", "points_balance", "applied_at"]
    list_filter = ["state", "team"]
    search_fields = ["real_name", "phone"]
    form_fields = ["real_name", "team", "hide_from_leaderboard"]
    inspect_view_enabled = True
    copy_view_enabled = False


class TaskViewSet(ModelViewSet):
    model = Task
    name = "volunteers_task"
    url_prefix = "volunteers/task"
    icon = "tasks"
    menu_label = _("志愿任务")
    list_display = ["title", "kind", "state", "starts_at", "places", "filled", "created_by"]
    list_filter = ["state", "kind"]
    search_fields = ["title"]
    form_fields = ["title", "public_title", "description", "place", "points", "needs_approval",
                   "withdraw_cutoff_hours"]
    inspect_view_enabled = True
    copy_view_enabled = False


class PointsRuleViewSet(ModelViewSet):
    model = PointsRule
    name = "volunteers_pointsrule"
    url_prefix = "volunteers/pointsrule"
    icon = "cog"
    menu_label = _("积分规则")
    list_display = ["kind", "per_hour", "per_task", "cap_per_task", "cap_per_month", "active"]
    form_fields = ["community", "kind", "per_hour", "per_task", "cap_per_task", "cap_per_month",
                   "active"]
    copy_view_enabled = False


class ShopItemViewSet(ModelViewSet):
    model = ShopItem
    name = "volunteers_shopitem"
    url_prefix = "volunteers/shopitem"
    icon = "pick"
    menu_label = _("积分超市商品")
    list_display = ["name", "cost", "stock", "per_person_limit", "active"]
    list_filter = ["active"]
    form_fields = ["community", "name", "description", "cost", "stock", "per_person_limit",
                   "collect_note", "active"]


class TeamViewSet(ModelViewSet):
    model = Team
    name = "volunteers_team"
    url_prefix = "volunteers/team"
    icon = "group"
    menu_label = _("志愿服务队")
    form_fields = ["community", "name"]
    copy_view_enabled = False


class _ReadOnly(ModelViewSet):
    inspect_view_enabled = True
    copy_view_enabled = False
    form_fields = []


class HoursEntryViewSet(_ReadOnly):
    model = HoursEntry
    name = "volunteers_hoursentry"
    url_prefix = "volunteers/hoursentry"
    icon = "time"
    menu_label = _("服务时长台账")
    list_display = ["volunteer", "hours", "kind", "reason", "created_at", "created_by"]
    list_filter = ["kind"]


class PointsEntryViewSet(_ReadOnly):
    model = PointsEntry
    name = "volunteers_pointsentry"
    url_prefix = "volunteers/pointsentry"
    icon = "list-ul"
    menu_label = _("积分台账")
    list_display = ["volunteer", "points", "kind", "reason", "created_at", "created_by"]
    list_filter = ["kind"]


class RedemptionViewSet(_ReadOnly):
    model = Redemption
    name = "volunteers_redemption"
    url_prefix = "volunteers/redemption"
    icon = "tag"
    menu_label = _("积分兑换")
    list_display = ["volunteer", "item", "cost", "state", "created_at", "collected_at"]
    list_filter = ["state"]


class VolunteersGroup(ViewSetGroup):
    menu_label = _("志愿服务")
    menu_icon = "group"
    menu_order = 400
    items = [VolunteerViewSet, TaskViewSet, PointsRuleViewSet, ShopItemViewSet, TeamViewSet,
             HoursEntryViewSet, PointsEntryViewSet, RedemptionViewSet]


POLICIES = {
    HoursEntry: ReadOnlyPolicy,
    PointsEntry: ReadOnlyPolicy,
    Redemption: ReadOnlyPolicy,
    Task: NoAddPolicy,
    Volunteer: NoAddPolicy,
}
