"""Registers the household register's admin screens (``buildings.viewsets``) and the
administrative tree's (``buildings.viewsets_regions``)."""

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
