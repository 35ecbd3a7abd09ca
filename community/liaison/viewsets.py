"""The liaison room's admin screens: duty hours, the roster, desks (caps), quick replies."""

from django.utils.translation import gettext_lazy as _
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from .models import Conversation, DutyHours, DutyRoster, QuickReply, StaffDesk


class DutyHoursViewSet(SnippetViewSet):
    model = DutyHours
    icon = "time"
    menu_label = _("值班时间")
    list_display = ["community", "weekday", "opens", "closes"]
    list_filter = ["community", "weekday"]


class DutyRosterViewSet(SnippetViewSet):
    model = DutyRoster
    icon = "date"
    menu_label = _("值班表")
    list_display = ["weekday", "opens", "closes", "staff", "note"]
    list_filter = ["community", "weekday"]


class StaffDeskViewSet(SnippetViewSet):
    model = StaffDesk
    icon = "user"
    menu_label = _("值班状态与接待上限")
    list_display = ["staff", "on_duty", "cap", "changed_at"]
    list_filter = ["on_duty"]


class QuickReplyViewSet(SnippetViewSet):
    model = QuickReply
    icon = "comment"
    menu_label = _("快捷回复")
    list_display = ["text", "order", "community"]


class ConversationViewSet(SnippetViewSet):
    """Read for supervision; conversations change only through the chat."""

    model = Conversation
    icon = "mail"
    menu_label = _("会话记录")
    list_display = ["__str__", "status", "assignee", "created_at", "rating", "case_id"]
    list_filter = ["status", "community"]
    inspect_view_enabled = True


class LiaisonViewSetGroup(SnippetViewSetGroup):
    items = (DutyHoursViewSet, DutyRosterViewSet, StaffDeskViewSet, QuickReplyViewSet,
             ConversationViewSet)
    menu_icon = "group"
    menu_label = _("干群连心室")
    menu_name = "liaison"
    add_to_admin_menu = True
