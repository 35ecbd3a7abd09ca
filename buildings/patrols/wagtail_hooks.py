"""Registration only: the staff screens, and the round on 我的."""

from wagtail import hooks
from wagtail.permissions import register_permission_policy

from buildings.viewsets import CommunityAdminPolicy

from .sections import me_section as build
from .viewsets import POLICIES, PatrolsGroup

for _model, _actions in POLICIES:
    register_permission_policy(_model, CommunityAdminPolicy(_model, _actions))


@hooks.register("register_admin_viewset")
def register_viewsets():
    return PatrolsGroup()


@hooks.register("jiayuan_me_sections")
def me_section(request):
    return build(request)
