"""Registers the household register's admin screens (``buildings.viewsets``) and the
administrative tree's (``buildings.viewsets_regions``)."""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.permissions import register_permission_policy

from .viewsets import POLICIES, CommunityAdminPolicy, RegisterViewSetGroup
from .viewsets_regions import POLICIES as REGION_POLICIES
from .viewsets_regions import RegionViewSetGroup, SuperuserPolicy

# Before anything asks Wagtail for these models' policies (see wagtail.permissions).
for _model, _actions in POLICIES:
    register_permission_policy(_model, CommunityAdminPolicy(_model, _actions))
for _model, _actions in REGION_POLICIES:
    register_permission_policy(_model, SuperuserPolicy(_model, _actions))


@hooks.register("register_admin_viewset")
def register_viewset():
    return RegisterViewSetGroup()


@hooks.register("register_admin_viewset")
def register_regions():
    return RegionViewSetGroup()
@hooks.register("register_log_actions")
def register_log_actions(actions):
    """The register's moves made in the admin, as Wagtail's History tab shows them."""
    actions.register_action("jiayuan.residency.verify", _("住户认证通过"), _("认证通过"))
    actions.register_action("jiayuan.residency.reject", _("住户认证不通过"), _("认证不通过"))
    actions.register_action("jiayuan.register.import", _("导入登记册"), _("已导入登记册"))
