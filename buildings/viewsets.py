"""The household register in the Wagtail admin: "住户登记", for community admins.

Every register object is browsable and editable here with Chinese labels.
Three things do not go through a raw edit: a child grid is made with
treebeard's ``add_child`` (so the tree stays whole); a claim is verified or
rejected through ``residency_verify``/``residency_reject`` (so the resident is
told and the audit row is written); a community admin is granted and revoked
through ``community_admin_grant``/``community_admin_revoke`` (so they get, and
lose, the admin group). The register import is in ``buildings.viewsets_import``
(``RegisterImportViewSet``), one of this group's items.

Who may: a community admin (a ``CommunityAdmin`` row) or a superuser, by
``CommunityAdminPolicy``, asked of ``buildings.access.scope_of``, so an
assignment works at once, with no group to keep in step. The lists are not
narrowed to the admin's own community (there is one community per portal);
the import and the granting of community admins are.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import View
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views import generic
from wagtail.admin.views.generic.history import HistoryView
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.admin.widgets.button import ListingButton
from wagtail.log_actions import log
from wagtail.permission_policies.base import BasePermissionPolicy

from portal.models import User
from portal.phones import normalize_phone

from . import importer
from .access import scope_of
from .choices import ResidencyState
from .models import (
    Building,
    BuildingHead,
    Community,
    CommunityAdmin,
    Department,
    DepartmentHandler,
    Grid,
    GridWorker,
    Household,
    LiaisonStaff,
    PublicPlace,
    RegisterImport,
    Residency,
    Unit,
)
from .services import (
    RegisterError,
    community_admin_grant,
    community_admin_revoke,
    residency_reject,
    residency_verify,
)
from .viewsets_import import RegisterImportViewSet

ALL_ACTIONS = frozenset({"add", "change", "delete", "view"})


class CommunityAdminPolicy(BasePermissionPolicy):
    """Community admins and superusers may do ``actions`` to the model; nobody else."""

    def __init__(self, model, actions=ALL_ACTIONS):
        super().__init__(model)
        self.actions = frozenset(actions)

    def user_has_permission(self, user, action):
        return (
            action in self.actions
            and getattr(user, "is_active", False)
            and scope_of(user).is_admin
        )

    def user_has_permission_for_instance(self, user, action, instance):
        """An admin of *the instance's* community: an admin elsewhere is refused."""
        if not self.user_has_permission(user, action):
            return False
        scope = scope_of(user)
        if scope.is_superuser:
            return True
        return self.instances_user_has_permission_for(user, action).filter(
            pk=instance.pk).exists()

    def instances_user_has_any_permission_for(self, user, actions):
        if not any(self.user_has_permission(user, a) for a in actions):
            return self.model._default_manager.none()
        scope = scope_of(user)
        qs = self.model._default_manager.all()
        if scope.is_superuser:
            return qs
        return qs.filter(**{f"{COMMUNITY_PATH[self.model]}__in": scope.admin_community_ids})

    def users_with_any_permission(self, actions):
        if not self.actions & set(actions):
            return User.objects.none()
        return User.objects.filter(is_active=True).filter(
            Q(is_superuser=True) | Q(pk__in=CommunityAdmin.objects.values("user_id"))
        )


#: How each register model reaches its community (an ORM path).
COMMUNITY_PATH = {
    Community: "pk",
    Grid: "community",
    Building: "community",
    Unit: "building__community",
    Household: "unit__building__community",
    PublicPlace: "community",
    Department: "community",
    BuildingHead: "building__community",
    GridWorker: "grid__community",
    DepartmentHandler: "department__community",
    LiaisonStaff: "community",
    CommunityAdmin: "community",
    Residency: "household__unit__building__community",
    RegisterImport: "community",
}


class OwnCommunityIndexMixin:
    """An index lists the rows of the communities the admin administers, no others."""

    def get_base_queryset(self):
        qs = super().get_base_queryset()
        scope = scope_of(self.request.user)
        if scope.is_superuser or self.model not in COMMUNITY_PATH:
            return qs
        return qs.filter(**{f"{COMMUNITY_PATH[self.model]}__in": scope.admin_community_ids})


#: (model, actions) — what ``wagtail_hooks`` registers with Wagtail.
POLICIES = [
    (Community, ALL_ACTIONS),
    (Grid, ALL_ACTIONS),
    (Building, ALL_ACTIONS),
    (Unit, ALL_ACTIONS),
    (Household, ALL_ACTIONS),
    (PublicPlace, ALL_ACTIONS),
    (Department, ALL_ACTIONS),
    (BuildingHead, ALL_ACTIONS),
    (GridWorker, ALL_ACTIONS),
    (DepartmentHandler, ALL_ACTIONS),
    (LiaisonStaff, ALL_ACTIONS),
    (CommunityAdmin, {"add", "delete", "view"}),
    # Claims are decided through the services only, never edited.
    (Residency, {"view"}),
    (RegisterImport, {"add", "view"}),
]


# --- Small pieces ---------------------------------------------------------------


class SelectRelatedIndexView(OwnCommunityIndexMixin, generic.IndexView):
    """An index that reads its related rows in the same query, with Chinese column heads
    for the model properties it lists (which have no verbose name of their own)."""

    select_related: tuple[str, ...] = ()
    property_labels = {"address": gettext_lazy("地址"), "label": gettext_lazy("楼栋")}

    def get_base_queryset(self):
        return super().get_base_queryset().select_related(*self.select_related)

    def _get_custom_column(self, field_name, *args, **kwargs):
        column = super()._get_custom_column(field_name, *args, **kwargs)
        if field_name in self.property_labels:
            column.label = self.property_labels[field_name]
        return column


class OwnCommunityObjectMixin:
    """A row of another community is "not found" for this admin (edit, delete, inspect,
    history, usage alike): the policy decides per instance."""

    def get_object(self, *args, **kwargs):
        obj = super().get_object(*args, **kwargs)
        policy = self.permission_policy
        if policy is not None and not policy.user_has_any_permission_for_instance(
                self.request.user, ["change", "view", "delete"], obj):
            raise Http404
        return obj


def _own_community(view_class):
    return type(view_class.__name__, (OwnCommunityObjectMixin, view_class), {})


class RegisterModelViewSet(ModelViewSet):
    """URLs under /admin/register_<model>/, clear of other apps' namespaces ("community").

    Every view of one row checks that row's community (``OwnCommunityObjectMixin``)."""

    edit_view_class = _own_community(generic.EditView)
    delete_view_class = _own_community(generic.DeleteView)
    inspect_view_class = _own_community(generic.InspectView)
    history_view_class = _own_community(generic.HistoryView)
    usage_view_class = _own_community(generic.UsageView)

    @cached_property
    def name(self):
        return f"register_{self.model_name}"


def _index_view(*related: str):
    return type("IndexView", (SelectRelatedIndexView,), {"select_related": related})


# --- Community ------------------------------------------------------------------


class CommunityViewSet(RegisterModelViewSet):
    model = Community
    icon = "home"
    index_view_class = _index_view()
    form_fields = ["name", "address", "duty_phone"]
    list_display = ["name", "address", "duty_phone"]
    copy_view_enabled = False


# --- Grids: a tree --------------------------------------------------------------


class GridCreateForm(forms.ModelForm):
    parent = forms.ModelChoiceField(
        queryset=Grid.objects.order_by("path"),
        required=False,
        label=gettext_lazy("上级网格"),
        help_text=gettext_lazy("留空则为一级网格"),
    )

    class Meta:
        model = Grid
        fields = ["community", "parent", "name", "code"]

    def clean(self):
        data = super().clean()
        parent = data.get("parent")
        if parent is not None:
            if parent.depth >= 3:
                self.add_error("parent", _("三级网格下不能再建网格。"))
            if data.get("community") and parent.community_id != data["community"].pk:
                self.add_error("parent", _("上级网格属于另一个社区。"))
        return data


class GridEditForm(forms.ModelForm):
    class Meta:
        model = Grid
        fields = ["name", "code"]


class GridCreateView(generic.CreateView):
    def save_instance(self):
        """Through treebeard: ``add_root`` or the parent's ``add_child``, never a plain save."""
        parent = self.form.cleaned_data.get("parent")
        grid = self.form.instance
        grid = parent.add_child(instance=grid) if parent else Grid.add_root(instance=grid)
        log(instance=grid, action="wagtail.create", user=self.request.user, content_changed=True)
        return grid


class ParentColumn(Column):
    """The parent grid's name, from one read of all grids (not one query per row)."""

    def get_value(self, instance):
        if not hasattr(self, "_names"):
            self._names = dict(Grid.objects.values_list("path", "name"))
        if instance.depth <= 1:
            return "—"
        return self._names.get(instance.path[: -instance.steplen], "")


class GridIndexView(OwnCommunityIndexMixin, generic.IndexView):
    default_ordering = "path"


class GridViewSet(RegisterModelViewSet):
    model = Grid
    icon = "table"
    index_view_class = GridIndexView
    add_view_class = GridCreateView
    copy_view_enabled = False
    list_display = [
        "name",
        "code",
        Column("level", label=gettext_lazy("层级"), accessor="get_level_display"),
        ParentColumn("parent", label=gettext_lazy("上级网格")),
    ]
    search_fields = ["name", "code"]

    def get_form_class(self, for_update=False):
        return GridEditForm if for_update else GridCreateForm


# --- Buildings, units, households, places ---------------------------------------


class BuildingFilterSet(WagtailFilterSet):
    class Meta:
        model = Building
        fields = ["grid", "community"]


class BuildingViewSet(RegisterModelViewSet):
    model = Building
    icon = "home"
    index_view_class = _index_view("grid", "community")
    form_fields = ["community", "grid", "number", "name", "floors", "latitude", "longitude"]
    list_display = ["label", "grid", "floors", "community"]
    filterset_class = BuildingFilterSet
    search_fields = ["name"]
    copy_view_enabled = False


class UnitFilterSet(WagtailFilterSet):
    class Meta:
        model = Unit
        fields = ["building"]


class UnitViewSet(RegisterModelViewSet):
    model = Unit
    icon = "folder-open-inverse"
    index_view_class = _index_view("building")
    form_fields = ["building", "number"]
    list_display = ["__str__", "building", "number"]
    filterset_class = UnitFilterSet
    copy_view_enabled = False


class HouseholdForm(forms.ModelForm):
    class Meta:
        model = Household
        fields = ["unit", "floor", "number", "head_name", "phone", "members",
                  "origin_village", "note"]

    def clean_phone(self) -> str:
        raw = (self.cleaned_data.get("phone") or "").strip()
        return normalize_phone(raw) if raw else ""


class HouseholdFilterSet(WagtailFilterSet):
    building = django_filters.ModelChoiceFilter(
        field_name="unit__building",
        queryset=Building.objects.all(),
        label=gettext_lazy("楼栋"),
    )

    class Meta:
        model = Household
        fields = ["building"]


class HouseholdIndexView(SelectRelatedIndexView):
    select_related = ("unit__building",)

    def search_queryset(self, queryset):
        """By address ("3栋 2单元 501", "3-2-501"), head of household, or phone digits."""
        query = (self.search_query or "").strip()
        if not query:
            return queryset
        address = importer.parse_address(query)
        if address:
            building, unit, number = address
            return queryset.filter(
                Q(unit__building__number=building) | Q(unit__building__name=f"{building}栋"),
                unit__number=unit,
                number=number,
            )
        found = (
            Q(head_name__icontains=query)
            | Q(number=query)
            | Q(unit__building__name=query)
            | Q(origin_village__icontains=query)
        )
        digits = "".join(ch for ch in query if ch in "0123456789")
        if len(digits) >= 4:
            found |= Q(phone__contains=digits)
        return queryset.filter(found)


class HouseholdViewSet(RegisterModelViewSet):
    model = Household
    icon = "user"
    index_view_class = HouseholdIndexView
    search_fields = ["head_name"]  # shows the search box; HouseholdIndexView does the search
    list_display = [
        "address",
        "head_name",
        Column("masked_phone", label=gettext_lazy("联系电话")),
        "members",
        "origin_village",
    ]
    filterset_class = HouseholdFilterSet
    copy_view_enabled = False

    def get_form_class(self, for_update=False):
        return HouseholdForm


class PublicPlaceViewSet(RegisterModelViewSet):
    model = PublicPlace
    icon = "site"
    index_view_class = _index_view("grid", "building")
    form_fields = ["community", "grid", "building", "unit", "kind", "name", "latitude",
                   "longitude"]
    list_display = ["name", "kind", "grid", "building"]
    search_fields = ["name"]
    copy_view_enabled = False


# --- Residencies: decided through the services ----------------------------------


class ResidencyFilterSet(WagtailFilterSet):
    state = django_filters.ChoiceFilter(choices=ResidencyState.choices, label=gettext_lazy("状态"))
    building = django_filters.ModelChoiceFilter(
        field_name="household__unit__building",
        queryset=Building.objects.all(),
        label=gettext_lazy("楼栋"),
    )

    class Meta:
        model = Residency
        fields = ["state", "building"]


class ResidencyIndexView(SelectRelatedIndexView):
    select_related = ("user", "household__unit__building", "decided_by")

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        if instance.state == ResidencyState.PENDING:
            for name, label, icon in (("verify", _("认证通过"), "check"),
                                      ("reject", _("不通过"), "cross")):
                buttons.append(ListingButton(
                    label, url=reverse(f"register_residency:{name}", args=[instance.pk]),
                    icon_name=icon, priority=5,
                ))
        return buttons


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("不通过的原因"), max_length=200, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("会告诉申请人"),
    )


class ResidencyDecideView(generic.base.WagtailAdminTemplateMixin, View):
    """Verify or reject one claim from the admin, through the residency services."""

    decision = "verify"
    template_name = "buildings/admin/residency_decide.html"
    header_icon = "user"

    def get_page_title(self):
        return _("认证通过") if self.decision == "verify" else _("不通过")

    def dispatch(self, request, pk):
        self.residency = get_object_or_404(
            Residency.objects.select_related("user", "household__unit__building"), pk=pk
        )
        # The register screens are the admin's: an admin of this claim's community.
        if not scope_of(request.user).administers(self.residency.household.unit.building.community_id):
            raise PermissionDenied
        return super().dispatch(request, pk)

    def render(self, form=None):
        context = self.get_context_data(residency=self.residency, form=form,
                                        decision=self.decision,
                                        index_url=reverse("register_residency:index"))
        return TemplateResponse(self.request, self.template_name, context)

    def get(self, request, pk):
        return self.render(RejectForm() if self.decision == "reject" else None)

    def post(self, request, pk):
        try:
            if self.decision == "verify":
                residency_verify(actor=request.user, residency_id=self.residency.pk)
                log(instance=self.residency, action="jiayuan.residency.verify", user=request.user)
                messages.success(request, _("已认证：%(who)s，%(where)s") % {
                    "who": self.residency.user.shown_name, "where": self.residency.household})
            else:
                form = RejectForm(request.POST)
                if not form.is_valid():
                    return self.render(form)
                residency_reject(actor=request.user, residency_id=self.residency.pk,
                                 reason=form.cleaned_data["reason"])
                log(instance=self.residency, action="jiayuan.residency.reject", user=request.user,
                    data={"reason": form.cleaned_data["reason"]})
                messages.success(request, _("已设为不通过，并已通知申请人。"))
        except RegisterError as exc:
            messages.error(request, str(exc))
        return redirect("register_residency:index")


class ResidencyHistoryView(HistoryView):
    """A claim is decided here, never edited: whoever may see it may read its History tab."""

    any_permission_required = ["view", "change"]


class ResidencyViewSet(RegisterModelViewSet):
    model = Residency
    icon = "user"
    index_view_class = ResidencyIndexView
    history_view_class = ResidencyHistoryView
    inspect_view_enabled = True
    copy_view_enabled = False
    form_fields = ["relation"]  # never reachable: the policy gives no "change"
    list_display = [
        "user",
        "household",
        "relation",
        "state",
        DateColumn("claimed_at", label=gettext_lazy("申请时间")),
        "decided_by",
    ]
    filterset_class = ResidencyFilterSet

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path("verify/<int:pk>/", ResidencyDecideView.as_view(decision="verify"),
                 name="verify"),
            path("reject/<int:pk>/", ResidencyDecideView.as_view(decision="reject"),
                 name="reject"),
        ]


# --- Departments and role assignments -------------------------------------------


class DepartmentViewSet(RegisterModelViewSet):
    model = Department
    icon = "group"
    index_view_class = _index_view("supervisor")
    form_fields = ["community", "name", "kind", "phone", "supervisor"]
    list_display = ["name", "kind", "phone", "supervisor"]
    search_fields = ["name"]
    copy_view_enabled = False


class BuildingHeadFilterSet(WagtailFilterSet):
    class Meta:
        model = BuildingHead
        fields = ["building", "may_publish_directly"]


class BuildingHeadViewSet(RegisterModelViewSet):
    model = BuildingHead
    icon = "user"
    index_view_class = _index_view("user", "building")
    form_fields = ["user", "building", "may_publish_directly", "since"]
    list_display = ["user", "building", "may_publish_directly", "since"]
    filterset_class = BuildingHeadFilterSet
    copy_view_enabled = False


class GridWorkerViewSet(RegisterModelViewSet):
    model = GridWorker
    icon = "user"
    index_view_class = _index_view("user", "grid")
    form_fields = ["user", "grid", "since"]
    list_display = ["user", "grid", "since"]
    copy_view_enabled = False


class DepartmentHandlerViewSet(RegisterModelViewSet):
    model = DepartmentHandler
    icon = "user"
    index_view_class = _index_view("user", "department")
    form_fields = ["user", "department", "since"]
    list_display = ["user", "department", "since"]
    copy_view_enabled = False


class LiaisonStaffViewSet(RegisterModelViewSet):
    model = LiaisonStaff
    icon = "user"
    index_view_class = _index_view("user", "community")
    form_fields = ["user", "community", "since"]
    list_display = ["user", "community", "since"]
    copy_view_enabled = False


class CommunityAdminCreateView(generic.CreateView):
    def save_instance(self):
        data = self.form.cleaned_data
        assignment = community_admin_grant(actor=self.request.user, user=data["user"],
                                           community=data["community"])
        # Overriding save_instance skips Wagtail's own create action and its log entry.
        log(instance=assignment, action="wagtail.create", user=self.request.user,
            content_changed=True)
        return assignment


class CommunityAdminDeleteView(OwnCommunityObjectMixin, generic.DeleteView):
    def delete_action(self):
        # Logged before the row goes, as Wagtail's own delete action does.
        log(instance=self.object, action="wagtail.delete", user=self.request.user)
        community_admin_revoke(actor=self.request.user, assignment_id=self.object.pk)


class CommunityAdminViewSet(RegisterModelViewSet):
    model = CommunityAdmin
    icon = "user"
    index_view_class = _index_view("user", "community")
    add_view_class = CommunityAdminCreateView
    delete_view_class = CommunityAdminDeleteView
    form_fields = ["user", "community"]
    list_display = ["user", "community", "since"]
    copy_view_enabled = False


# --- The group -------------------------------------------------------------------


class RegisterViewSetGroup(ModelViewSetGroup):
    menu_label = gettext_lazy("住户登记")
    menu_icon = "home"
    menu_order = 250
    items = (
        RegisterImportViewSet,
        HouseholdViewSet,
        ResidencyViewSet,
        BuildingViewSet,
        UnitViewSet,
        GridViewSet,
        CommunityViewSet,
        PublicPlaceViewSet,
        DepartmentViewSet,
        BuildingHeadViewSet,
        GridWorkerViewSet,
        DepartmentHandlerViewSet,
        LiaisonStaffViewSet,
        CommunityAdminViewSet,
    )
