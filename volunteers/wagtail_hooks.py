"""Registration only: the staff screens, and what volunteers add to 首页 and 我的."""

from wagtail import hooks
from wagtail.permissions import register_permission_policy

from . import sections
from .viewsets import POLICIES, VolunteersGroup

for _model, _policy in POLICIES.items():
    register_permission_policy(_model, _policy(_model))


@hooks.register("register_admin_viewset")
def register_viewsets():
    return VolunteersGroup()


@hooks.register("jiayuan_home_sections")
def home_section(request):
    return sections.home_section(request)


@hooks.register("jiayuan_me_sections")
def me_section(request):
    return sections.me_section(request)
