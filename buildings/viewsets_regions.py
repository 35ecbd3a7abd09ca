"""The administrative tree in the Wagtail admin ("行政区域"): counties, townships, the
communities under each township, and who administers a region (县/乡镇管理员).

Superusers only (``SuperuserPolicy``): the tree sits above every community, so no
community admin may redraw it or appoint the people who oversee them. Every change
goes through a service (``region_save``, ``region_admin_grant``/``_revoke``) that
writes its audit row; the screens also log to the object's Wagtail history, as the
register's grid screen does.
"""

from __future__ import annotations

from django import forms
from django.db.models import Count
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.ui.tables import Column
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.log_actions import log
from wagtail.permission_policies.base import BasePermissionPolicy

from portal.models import User
from portal.phones import normalize_phone

from .models import Community, Region, RegionAdmin
from .regions import RegionKind
from .services import RegisterError, region_admin_grant, region_admin_revoke, region_save


class SuperuserPolicy(BasePermissionPolicy):
    """Superusers may do ``actions`` to the model; nobody else, whatever their groups."""

    def __init__(self, model, actions):
        super().__init__(model)
        self.actions = frozenset(actions)

    def user_has_permission(self, user, action):
        return (action in self.actions and getattr(user, "is_active", False)
                and user.is_superuser)

    def users_with_any_permission(self, actions):
        if not self.actions & set(actions):
            return User.objects.none()
        return User.objects.filter(is_active=True, is_superuser=True)


#: (model, actions) — what ``wagtail_hooks`` registers. A region is never deleted here
#: (communities and cases hang under it); an admin assignment is ended by deleting it.
POLICIES = [
    (Region, {"add", "change", "view"}),
    (RegionAdmin, {"add", "delete", "view"}),
]


class RegionForm(forms.ModelForm):
    parent = forms.ModelChoiceField(
        queryset=Region.objects.filter(kind=RegionKind.COUNTY).order_by("name"),
        required=False, label=gettext_lazy("上级（县）"),
        help_text=gettext_lazy("县留空；乡镇选所属的县"))
    communities = forms.ModelMultipleChoiceField(
        queryset=Community.objects.select_related("township").order_by("name"),
        required=False, widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("下辖村、社区"),
        help_text=gettext_lazy("只有乡镇有下辖村、社区；选中的村、社区从原来的乡镇划到这里"))

    class Meta:
        model = Region
        fields = ["name", "kind", "parent"]

    def __init__(self, *args, **kwargs):
        kwargs.pop("for_user", None)
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["parent"].queryset = self.fields["parent"].queryset.exclude(
                pk=self.instance.pk)
            self.initial["communities"] = list(
                self.instance.communities.values_list("pk", flat=True))

    def clean(self):
        data = super().clean()
        kind, parent = data.get("kind"), data.get("parent")
        if kind == RegionKind.COUNTY and parent is not None:
            self.add_error("parent", _("县是最上一级，不能有上级。"))
        if kind == RegionKind.TOWNSHIP and parent is None:
            self.add_error("parent", _("乡镇的上级必须是一个县。"))
        if kind == RegionKind.COUNTY and data.get("communities"):
            self.add_error("communities", _("社区只能划入乡镇，不能直接划入县。"))
        return data


class ServiceFormMixin:
    """A refusal of the service is shown on the form (the transaction is rolled back)."""

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except RegisterError as exc:
            form.add_error(None, str(exc))
            self.produced_error_code = "validation_error"
            self.produced_error_message = str(exc)
            return self.form_invalid(form)


class RegionCreateView(ServiceFormMixin, generic.CreateView):
    def save_instance(self):
        region = region_save(actor=self.request.user, region=self.form.instance,
                             communities=self.form.cleaned_data.get("communities"))
        log(instance=region, action="wagtail.create", user=self.request.user,
            content_changed=True)
        return region


class RegionEditView(ServiceFormMixin, generic.EditView):
    def save_instance(self):
        region = region_save(actor=self.request.user, region=self.form.instance,
                             communities=self.form.cleaned_data.get("communities"))
        log(instance=region, action="wagtail.edit", user=self.request.user,
            content_changed=True)
        return region


class RegionIndexView(generic.IndexView):
    default_ordering = "kind"

    def get_base_queryset(self):
        return super().get_base_queryset().select_related("parent").annotate(
            community_count=Count("communities"))


class RegionViewSet(ModelViewSet):
    model = Region
    icon = "site"
    index_view_class = RegionIndexView
    add_view_class = RegionCreateView
    edit_view_class = RegionEditView
    copy_view_enabled = False
    list_display = ["name", "kind", "parent",
                    Column("community_count", label=gettext_lazy("下辖村、社区"))]
    search_fields = ["name"]

    @cached_property
    def name(self):
        return "register_region"

    def get_form_class(self, for_update=False):
        return RegionForm


class RegionAdminForm(forms.ModelForm):
    """The person by phone number or user name: a county has a hundred thousand
    accounts, too many for a drop-down."""

    who = forms.CharField(label=gettext_lazy("人员（手机号或用户名）"), max_length=150)

    class Meta:
        model = RegionAdmin
        fields = ["region"]

    def __init__(self, *args, **kwargs):
        kwargs.pop("for_user", None)
        super().__init__(*args, **kwargs)

    def clean_who(self) -> User:
        raw = self.cleaned_data["who"].strip()
        found = User.objects.filter(username=raw, is_active=True).first()
        if found is None:
            try:
                found = User.objects.filter(phone=normalize_phone(raw), is_active=True).first()
            except forms.ValidationError:
                found = None
        if found is None:
            raise forms.ValidationError(_("没有这个手机号或用户名的用户。"))
        return found


class RegionAdminCreateView(generic.CreateView):
    def save_instance(self):
        data = self.form.cleaned_data
        return region_admin_grant(actor=self.request.user, user=data["who"],
                                  region=data["region"])


class RegionAdminDeleteView(generic.DeleteView):
    def delete_action(self):
        region_admin_revoke(actor=self.request.user, assignment_id=self.object.pk)


class RegionAdminIndexView(generic.IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("user", "region")


class RegionAdminViewSet(ModelViewSet):
    model = RegionAdmin
    icon = "user"
    index_view_class = RegionAdminIndexView
    add_view_class = RegionAdminCreateView
    delete_view_class = RegionAdminDeleteView
    list_display = ["user", "region", "since"]
    copy_view_enabled = False

    @cached_property
    def name(self):
        return "register_regionadmin"

    def get_form_class(self, for_update=False):
        return RegionAdminForm


class RegionViewSetGroup(ModelViewSetGroup):
    menu_label = gettext_lazy("行政区域")
    menu_icon = "site"
    menu_order = 251
    items = (RegionViewSet, RegionAdminViewSet)
