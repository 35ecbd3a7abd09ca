"""Reads of the liaison room: message payloads, catch-up ranges, the staff console lists."""

from __future__ import annotations

from django.db.models import Count, F, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from buildings.access import scope_of
from buildings.models import LiaisonStaff

from .choices import ConversationStatus, MessageKind, SenderRole
from .models import Conversation, DutyRoster, Message, QuickReply, StaffDesk

CATCH_UP_LIMIT = 200


def case_url(case_id: int | None) -> str:
    if not case_id:
        return ""
    for name in ("community:case_detail", "community:case", "community:detail"):
        try:
            return reverse(name, args=[case_id])
        except NoReverseMatch:
            continue
    return f"/cases/{case_id}/"


def staff_role_label() -> str:
    return _("连心室值班人员")


def message_payload(message: Message) -> dict:
    """What a client is told about one message. Never a phone number."""
    sender = message.sender
    if message.role == SenderRole.STAFF and sender is not None:
        name, role = sender.shown_name, staff_role_label()
    elif message.role == SenderRole.RESIDENT and sender is not None:
        name, role = sender.shown_name, _("居民")
    else:
        name, role = "", ""
    photos = [
        {"thumb": reverse("liaison:photo", args=[p.pk, "m"]),
         "full": reverse("liaison:photo", args=[p.pk, "l"])}
        for p in message.photos.all()
    ] if message.kind == MessageKind.PHOTO else []
    return {
        "seq": message.seq,
        "role": message.role,
        "kind": message.kind,
        "body": message.body,
        "name": name,
        "sender_role": role,
        "at": timezone.localtime(message.created_at).strftime("%H:%M"),
        "date": timezone.localtime(message.created_at).strftime("%Y-%m-%d"),
        "client_key": message.client_key,
        "photos": photos,
        "voice": reverse("liaison:voice", args=[message.pk]) if message.voice else "",
        "voice_seconds": message.voice_seconds,
        "case_url": case_url(message.conversation.case_id) if message.kind == "case" else "",
    }


def messages_between(conversation: Conversation, *, after: int, upto: int | None = None,
                     limit: int = CATCH_UP_LIMIT) -> list[dict]:
    """Messages numbered after ``after`` (up to ``upto``), oldest first, at most ``limit``."""
    qs = (Message.objects.filter(conversation=conversation, seq__gt=max(0, after))
          .select_related("sender").prefetch_related("photos").order_by("seq"))
    if upto is not None:
        qs = qs.filter(seq__lte=upto)
    items = list(qs[:limit])
    for m in items:
        m.conversation = conversation
    return [message_payload(m) for m in items]


def catch_up(conversation_id: int, *, after: int) -> tuple[list[dict], dict]:
    """For a (re)connecting client: what it misses and the current state, in one go."""
    conversation = Conversation.objects.select_related("assignee").get(pk=conversation_id)
    items = messages_between(conversation, after=after, limit=CATCH_UP_LIMIT)
    return items, conversation_state(conversation)


def conversation_state(conversation: Conversation) -> dict:
    """Status, who answers (name and role, never the phone), the case link, the rating."""
    assignee = conversation.assignee
    return {
        "id": conversation.pk,
        "status": conversation.status,
        "status_label": conversation.get_status_display(),
        "assignee": ({"name": assignee.shown_name, "role": staff_role_label()}
                     if assignee else None),
        "last_seq": conversation.last_seq,
        "resident_read_seq": conversation.resident_read_seq,
        "staff_read_seq": conversation.staff_read_seq,
        "case_url": case_url(conversation.case_id),
        "case_id": conversation.case_id,
        "rating": conversation.rating,
    }


def active_conversation_of(resident) -> Conversation | None:
    return (Conversation.objects.filter(resident=resident)
            .exclude(status=ConversationStatus.CLOSED).select_related("assignee").first())


def history_of(resident, *, limit: int = 30):
    return (Conversation.objects.filter(resident=resident).select_related("assignee")
            .order_by("-created_at", "-id")[:limit])


def _with_unread(qs):
    return qs.annotate(unread=Count(
        "messages", filter=Q(messages__role=SenderRole.RESIDENT,
                             messages__seq__gt=F("staff_read_seq"))))


def console_lists(user) -> dict:
    """The staff console: waiting (oldest first), mine, and, for supervisors, everyone's open ones."""
    scope = scope_of(user)
    communities = set(scope.liaison_community_ids) | set(scope.admin_community_ids)
    base = Conversation.objects.select_related("resident", "assignee")
    if not scope.is_superuser:
        base = base.filter(community_id__in=communities)
    waiting = list(_with_unread(base.filter(status=ConversationStatus.WAITING, last_seq__gt=0))
                   .order_by("waiting_since", "id")[:100])
    mine = list(_with_unread(base.filter(status=ConversationStatus.OPEN, assignee=user))
                .order_by("-last_message_at", "-id")[:100])
    others = []
    if scope.is_admin:
        others = list(_with_unread(base.filter(status=ConversationStatus.OPEN)
                                   .exclude(assignee=user)).order_by("-last_message_at")[:100])
    now = timezone.now()
    for c in waiting + mine + others:
        c.wait_minutes = int((now - c.waiting_since).total_seconds() // 60)
    return {"waiting": waiting, "mine": mine, "others": others}


def colleagues_on_duty(community_id: int, *, exclude=None):
    staff_ids = LiaisonStaff.objects.filter(community_id=community_id).values("user_id")
    qs = StaffDesk.objects.filter(staff_id__in=staff_ids, on_duty=True).select_related("staff")
    if exclude is not None:
        qs = qs.exclude(staff=exclude)
    return [d.staff for d in qs]


def quick_replies_for(community_ids) -> list[QuickReply]:
    return list(QuickReply.objects.filter(community_id__in=community_ids))


def unread_replies_for(resident) -> int:
    """Staff replies the resident has not read yet, in their active conversation (one query)."""
    return Message.objects.filter(
        conversation__resident=resident, role=SenderRole.STAFF,
        conversation__status__in=[ConversationStatus.WAITING, ConversationStatus.OPEN],
        seq__gt=F("conversation__resident_read_seq"),
    ).count()


def roster_today(community_ids, now=None) -> list:
    """Who is on the duty roster today (configured by the admin)."""

    weekday = timezone.localtime(now or timezone.now()).weekday()
    return list(DutyRoster.objects.filter(community_id__in=community_ids, weekday=weekday)
                .select_related("staff").order_by("opens"))
