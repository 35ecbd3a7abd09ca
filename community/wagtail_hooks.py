"""Registration only: the admin screens of ``viewsets.py`` (categories, the calendar,
statistics), the 首页 and 我的 sections, the admins' homepage warning."""

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.snippets.models import register_snippet

from buildings.access import may, scope_of

from . import selectors
from .admin_views import CalendarWarningPanel, calendar_year, case_statistics
from .viewsets import AdminsOnlyMenuItem, CalendarDayViewSet, CategoryViewSet

register_snippet(CategoryViewSet)
register_snippet(CalendarDayViewSet)


@hooks.register("jiayuan_home_sections")
def home_cases(request):
    if not request.user.is_authenticated:
        return None
    return {"template": "community/_home.html", "order": 10,
            "context": {"counts": selectors.resident_counts(request.user),
                        "categories": selectors.categories()[:4],
                        "works": may(request.user, "community.use_workbench")}}


@hooks.register("jiayuan_me_sections")
def me_cases(request):
    if not request.user.is_authenticated:
        return None
    scope = scope_of(request.user)
    works = may(request.user, "community.use_workbench")
    return {"template": "community/_me.html", "order": 10,
            "context": {"counts": selectors.resident_counts(request.user),
                        "works": works,
                        "work_counts": selectors.workbench_counts(request.user) if works else None,
                        "behalf": scope.is_building_head or works}}


@hooks.register("register_admin_urls")
def statistics_urls():
    return [path("cases/statistics/", case_statistics, name="community_statistics"),
            path("calendar/year/", calendar_year, name="community_calendar_year")]


@hooks.register("register_admin_menu_item")
def statistics_menu_item():
    return AdminsOnlyMenuItem(_("诉求统计"), reverse("community_statistics"), icon_name="table",
                       order=299)


@hooks.register("register_admin_menu_item")
def calendar_year_menu_item():
    return AdminsOnlyMenuItem(_("录入全年节假日"), reverse("community_calendar_year"), icon_name="date",
                       order=302)


@hooks.register("construct_homepage_panels")
def calendar_warning_panel(request, panels):
    if scope_of(request.user).is_admin:
        panels.insert(0, CalendarWarningPanel())
