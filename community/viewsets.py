"""The closed loop's Wagtail admin screens: categories, the holiday calendar, and the
menu item that only community admins see. ``wagtail_hooks.py`` registers them."""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.menu import MenuItem
from wagtail.snippets.views.snippets import SnippetViewSet

from buildings.access import scope_of

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


class AdminsOnlyMenuItem(MenuItem):
    """A menu item for community admins (statistics, the year's calendar)."""

    def is_shown(self, request):
        return scope_of(request.user).is_admin
