"""Staff screens: care flag kinds (with their visit frequency), flags, guides, visits."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup

from buildings.viewsets import ALL_ACTIONS

from .models import CareFlag, CareFlagKind, Guide, Visit


class CareFlagKindViewSet(ModelViewSet):
    model = CareFlagKind
    name = "patrols_careflagkind"
    url_prefix = "patrols/careflagkind"
    icon = "tag"
    menu_label = _("关爱标记类型")
    list_display = ["name", "visit_days", "escalate_days", "active"]
    form_fields = ["name", "visit_days", "escalate_days", "order", "active"]
    copy_view_enabled = False


class CareFlagViewSet(ModelViewSet):
    model = CareFlag
    name = "patrols_careflag"
    url_prefix = "patrols/careflag"
    icon = "warning"
    menu_label = _("关爱标记")
    list_display = ["household", "kind", "since"]
    list_filter = ["kind"]
    form_fields = ["household", "kind", "note", "since"]
    copy_view_enabled = False


class GuideViewSet(ModelViewSet):
    model = Guide
    name = "patrols_guide"
    url_prefix = "patrols/guide"
    icon = "user"
    menu_label = _("驻村指导员")
    list_display = ["user", "role", "community", "since"]
    list_filter = ["role"]
    form_fields = ["user", "community", "role", "since"]
    copy_view_enabled = False


class VisitViewSet(ModelViewSet):
    model = Visit
    name = "patrols_visit"
    url_prefix = "patrols/visit"
    icon = "list-ul"
    menu_label = _("走访记录")
    list_display = ["household", "visitor", "visited_at", "finding", "case", "dispute"]
    list_filter = ["finding"]
    form_fields = []
    inspect_view_enabled = True
    copy_view_enabled = False


POLICIES = [(CareFlagKind, ALL_ACTIONS), (CareFlag, ALL_ACTIONS), (Guide, ALL_ACTIONS),
            (Visit, {"view"})]


class PatrolsGroup(ModelViewSetGroup):
    menu_label = _("巡网排查")
    menu_icon = "site"
    items = [CareFlagKindViewSet, CareFlagViewSet, GuideViewSet, VisitViewSet]
