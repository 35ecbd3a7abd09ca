"""Registration only: admin screens for categories and the calendar; 首页 and 我的 sections."""

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from buildings.access import may, scope_of

from . import selectors
from .admin_views import CalendarWarningPanel, calendar_year, case_statistics
from .models import CalendarDay, Category


class CategoryViewSet(SnippetViewSet):
    model = Category
    icon = "list-ul"
    menu_label = _("诉求类别")
    menu_order = 300
    add_to_admin_menu = True
    list_display = ["name", "code", "icon", "days_normal", "days_high", "days_urgent", "active"]
    ordering = ["order", "id"]


class CalendarDayViewSet(SnippetViewSet):
    model = CalendarDay
    icon = "date"
    menu_label = _("节假日与调休")
    menu_order = 301
    add_to_admin_menu = True
    list_display = ["date", "is_workday", "note"]


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


class _AdminsOnly(MenuItem):
    def is_shown(self, request):
        return scope_of(request.user).is_admin


@hooks.register("register_admin_menu_item")
def statistics_menu_item():
    return _AdminsOnly(_("诉求统计"), reverse("community_statistics"), icon_name="table",
                       order=299)


@hooks.register("register_admin_menu_item")
def calendar_year_menu_item():
    return _AdminsOnly(_("录入全年节假日"), reverse("community_calendar_year"), icon_name="date",
                       order=302)


@hooks.register("construct_homepage_panels")
def calendar_warning_panel(request, panels):
    if scope_of(request.user).is_admin:
        panels.insert(0, CalendarWarningPanel())
