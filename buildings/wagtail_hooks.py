"""Registers the household register's admin screens (``buildings.viewsets``)."""

from wagtail import hooks
from wagtail.permissions import register_permission_policy

from .viewsets import POLICIES, CommunityAdminPolicy, RegisterViewSetGroup

# Before anything asks Wagtail for these models' policies (see wagtail.permissions).
for _model, _actions in POLICIES:
    register_permission_policy(_model, CommunityAdminPolicy(_model, _actions))


@hooks.register("register_admin_viewset")
def register_viewset():
    return RegisterViewSetGroup()
