"""Every write of the liaison room.

Each function runs in one transaction, writes its audit row there, and sends
live events only after commit (``events``). A message's number comes from the
conversation row, increased under ``select_for_update``: on PostgreSQL the row
lock queues concurrent senders, on SQLite the IMMEDIATE transaction does.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import File
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from buildings.access import scope_of
from buildings.models import Community, Household
from community import services as case_services
from community.models import Category
from portal.errors import Refused
from portal.i18n import later
from portal.models import User
from portal.services import audit, notify
from portal.templatetags.jiayuan_dates import weekday_when
from portal.uploads.photos import CleanPhoto
from portal.uploads.voice import CleanVoice, clean_voice

from . import events
from .choices import ConversationStatus, MessageKind, SenderRole
from .duty import anyone_on_duty, in_duty_hours, next_opening
from .models import Conversation, Message, MessagePhoto, QuickReply, StaffDesk

MAX_BODY = 2000
OFF_HOURS_REPEAT = timedelta(hours=2)
UNREAD_SMS_AFTER = timedelta(minutes=5)


class ChatError(Refused, ValidationError):
    """A request the chat refuses, with a message a resident can read."""


# --- conversations -----------------------------------------------------------


def _community_for(user: User) -> Community:
    scope = scope_of(user)
    if scope.household_ids:
        household = (Household.objects.select_related("unit__building")
                     .filter(pk__in=scope.household_ids).first())
        if household:
            return household.unit.building.community
    community = Community.objects.order_by("pk").first()
    if community is None:
        raise ChatError(_("社区尚未设置。"))
    return community


def conversation_open(*, resident: User) -> tuple[Conversation, bool]:
    """The resident's active conversation, or a new waiting one.

    Guarantees: at most one active conversation per resident (a partial unique
    constraint). Staff see it once it has a first message.
    """
    existing = (Conversation.objects.filter(resident=resident)
                .exclude(status=ConversationStatus.CLOSED).first())
    if existing:
        return existing, False
    community = _community_for(resident)
    try:
        with transaction.atomic():
            conversation = Conversation.objects.create(community=community, resident=resident)
            audit(actor=resident, action="liaison.open", target=conversation)
    except IntegrityError:  # opened at the same moment in another tab
        return (Conversation.objects.filter(resident=resident)
                .exclude(status=ConversationStatus.CLOSED).get(), False)
    return conversation, True


def _next_seq(conversation_id: int) -> tuple[Conversation, int]:
    conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
    return conversation, conversation.last_seq + 1


def _store(conversation: Conversation, seq: int, *, sender: User, role: str, kind: str,
           body: str, client_key: str = "", now: datetime | None = None,
           **extra: object) -> Message:
    now = now or timezone.now()
    message = Message.objects.create(
        conversation=conversation, seq=seq, sender=sender, role=role, kind=kind,
        body=body, client_key=client_key, created_at=now, **extra,
    )
    conversation.last_seq = seq
    conversation.last_message_at = now
    fields = ["last_seq", "last_message_at"]
    if role == SenderRole.STAFF:
        # Whoever writes has read everything before it.
        conversation.staff_read_seq = seq
        fields.append("staff_read_seq")
    elif role == SenderRole.RESIDENT:
        conversation.resident_read_seq = seq
        fields.append("resident_read_seq")
    conversation.save(update_fields=fields)
    message.conversation = conversation
    return message


def _system(conversation: Conversation, body: str, *, kind: str = MessageKind.NOTICE,
            now: datetime | None = None) -> Message:
    """A notice inside the conversation (who answers, handed over, case made). Caller holds the lock."""
    seq = conversation.last_seq + 1
    message = Message.objects.create(
        conversation=conversation, seq=seq, sender=None, role=SenderRole.SYSTEM, kind=kind,
        body=body, created_at=now or timezone.now(),
    )
    conversation.last_seq = seq
    conversation.save(update_fields=["last_seq"])
    events.message_stored(message)
    return message


def sender_role(conversation: Conversation, user: User) -> str:
    """The role in which ``user`` may write here, or PermissionDenied."""
    if user.pk == conversation.resident_id and conversation.status != ConversationStatus.CLOSED:
        return SenderRole.RESIDENT
    if user.pk == conversation.assignee_id and conversation.status == ConversationStatus.OPEN:
        return SenderRole.STAFF
    raise PermissionDenied(_("您不能在这个会话里发言。"))


def message_post(*, conversation: Conversation, sender: User, body: str = "",
                 client_key: str = "", kind: str = MessageKind.TEXT,
                 voice: File | None = None, voice_seconds: int | None = None,
                 photo: CleanPhoto | None = None,
                 now: datetime | None = None) -> tuple[Message, bool]:
    """Store one message with the next number; return (message, created).

    Guarantees: the number is the conversation's last plus one, unique; a
    repeat of the same ``client_key`` from the same sender returns the stored
    message and stores nothing; the live event goes out after commit; outside
    duty hours the resident is told (once in a while) when someone will answer.
    A voice note is stored only as ``clean_voice`` made it (an uncleaned file is
    cleaned first; ``UploadRejected`` if it is not a recording).
    """
    body = (body or "").strip()
    if len(body) > MAX_BODY:
        raise ChatError(_("消息太长了（最多 %(n)s 字）。") % {"n": MAX_BODY})
    if kind == MessageKind.TEXT and not body:
        raise ChatError(_("消息是空的。"))
    client_key = (client_key or "")[:64]
    now = now or timezone.now()
    if voice is not None and not isinstance(voice, CleanVoice):
        # Decoded and re-encoded here, before the number is taken under its lock.
        voice = clean_voice(voice)
    if voice is not None and voice_seconds is None:
        voice_seconds = max(1, round(voice.seconds))
    with transaction.atomic():
        conversation, seq = _next_seq(conversation.pk)
        if client_key:
            # Checked under the lock, so two copies of one send cannot both pass.
            stored = Message.objects.filter(conversation=conversation, sender=sender,
                                            client_key=client_key).first()
            if stored is not None:
                return stored, False
        role = sender_role(conversation, sender)
        extra = {}
        if voice is not None:
            extra = {"voice": voice, "voice_seconds": voice_seconds}
        message = _store(conversation, seq, sender=sender, role=role, kind=kind, body=body,
                         client_key=client_key, now=now, **extra)
        if photo is not None:
            stored_photo = MessagePhoto(message=message)
            stored_photo.set_clean(photo)
            stored_photo.save()
        events.message_stored(message)
        if role == SenderRole.RESIDENT:
            _tell_when_answered(conversation, now)
        events.console_changed(conversation.community_id, conversation_id=conversation.pk,
                               reason="message")
    return message, True


def _tell_when_answered(conversation: Conversation, now: datetime) -> None:
    """Outside duty hours (or with nobody on duty), say when someone will answer."""
    if conversation.status != ConversationStatus.WAITING:
        return
    told = conversation.off_hours_told_at
    if told and now - told < OFF_HOURS_REPEAT:
        return
    if in_duty_hours(conversation.community_id, now):
        if anyone_on_duty(conversation.community_id):
            return
        text = _("值班人员暂时不在座位上，您的消息已收到，请稍候，我们会尽快回复。")
    else:
        opening = next_opening(conversation.community_id, now)
        if opening:
            when = weekday_when(opening)
            text = _("现在不是值班时间。您的消息已保存，值班人员将在 %(when)s 上班后回复您。") % {
                "when": when}
        else:
            text = _("现在不是值班时间。您的消息已保存，值班人员上班后会回复您。")
    _system(conversation, text, now=now)
    conversation.off_hours_told_at = now
    conversation.save(update_fields=["off_hours_told_at"])


def conversation_mark_read(*, conversation: Conversation, reader: User, seq: int) -> int:
    """Record that ``reader`` has seen everything up to ``seq``; only ever moves forward."""
    conversation = Conversation.objects.get(pk=conversation.pk)
    if reader.pk == conversation.resident_id:
        field, role = "resident_read_seq", SenderRole.RESIDENT
    elif reader.pk == conversation.assignee_id:
        field, role = "staff_read_seq", SenderRole.STAFF
    else:
        return 0
    seq = max(0, min(int(seq), conversation.last_seq))
    with transaction.atomic():
        updated = (Conversation.objects.filter(pk=conversation.pk, **{f"{field}__lt": seq})
                   .update(**{field: seq}))
        if updated:
            events.read_up_to(conversation, role=role, seq=seq)
            if role == SenderRole.STAFF:
                events.console_changed(conversation.community_id,
                                       conversation_id=conversation.pk, reason="read")
    return seq if updated else 0


# --- staff -------------------------------------------------------------------


def _staff_label(user: User) -> str:
    return _("%(name)s（连心室值班人员）") % {"name": user.shown_name}


def _check_liaison(user: User, community_id: int) -> None:
    if community_id not in scope_of(user).liaison_community_ids:
        raise PermissionDenied(_("只有连心室值班人员可以接待。"))


def desk_of(user: User) -> StaffDesk:
    desk, _created = StaffDesk.objects.get_or_create(staff=user)
    return desk


def staff_set_duty(*, staff: User, on: bool) -> StaffDesk:
    """Go on or off duty. Guarantees: audit row; consoles refresh after commit."""
    scope = scope_of(staff)
    if not scope.is_liaison:
        raise PermissionDenied(_("只有连心室值班人员可以值班。"))
    with transaction.atomic():
        desk, _created = StaffDesk.objects.select_for_update().get_or_create(staff=staff)
        desk.on_duty = on
        desk.changed_at = timezone.now()
        desk.save(update_fields=["on_duty", "changed_at"])
        audit(actor=staff, action="liaison.duty", target=desk, on=on)
        for community_id in scope.liaison_community_ids:
            events.console_changed(community_id, reason="duty")
    return desk


def _holding(staff: User) -> int:
    return Conversation.objects.filter(assignee=staff, status=ConversationStatus.OPEN).count()


def conversation_pick_up(*, conversation: Conversation, staff: User) -> Conversation:
    """Take a waiting conversation. Of two staff picking at once, exactly one gets it.

    Guarantees: a conditional UPDATE (``assignee IS NULL AND status = waiting``)
    decides the race; the loser gets a ChatError; the cap is respected; the
    resident is told who answers; every console drops it from "waiting".
    """
    _check_liaison(staff, conversation.community_id)
    desk = desk_of(staff)
    if not desk.on_duty:
        raise ChatError(_("请先点“上岗”再接待。"))
    now = timezone.now()
    with transaction.atomic():
        if _holding(staff) >= desk.cap:
            raise ChatError(_("您同时接待的会话已达上限（%(n)s 个）。")
                            % {"n": desk.cap})
        won = Conversation.objects.filter(
            pk=conversation.pk, assignee__isnull=True, status=ConversationStatus.WAITING,
        ).update(assignee=staff, status=ConversationStatus.OPEN, picked_up_at=now)
        if not won:
            raise ChatError(_("这个会话已经有人接待了。"))
        conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
        _system(conversation, _("%(who)s 为您服务。") % {"who": _staff_label(staff)}, now=now)
        audit(actor=staff, action="liaison.pick_up", target=conversation)
        events.conversation_changed(conversation, reason="picked")
    return conversation


def conversation_hand_over(*, conversation: Conversation, staff: User,
                           to: User) -> Conversation:
    """Give a conversation to a colleague (on duty, under their cap).

    Only the current assignee or a supervisor (community admin) may do it.
    """
    scope = scope_of(staff)
    if conversation.assignee_id != staff.pk and conversation.community_id not in scope.admin_community_ids \
            and not scope.is_superuser:
        raise PermissionDenied(_("只有接待人或管理员可以转交。"))
    if to.pk == conversation.assignee_id:
        raise ChatError(_("已经是这位同事在接待。"))
    _check_liaison(to, conversation.community_id)
    desk = desk_of(to)
    if not desk.on_duty:
        raise ChatError(_("这位同事不在岗。"))
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
        if conversation.status == ConversationStatus.CLOSED:
            raise ChatError(_("会话已结束。"))
        if _holding(to) >= desk.cap:
            raise ChatError(_("这位同事接待的会话已满。"))
        before = conversation.assignee_id
        conversation.assignee = to
        conversation.status = ConversationStatus.OPEN
        conversation.picked_up_at = conversation.picked_up_at or timezone.now()
        conversation.save(update_fields=["assignee", "status", "picked_up_at"])
        _system(conversation, _("已转交给 %(who)s 继续为您服务。") % {"who": _staff_label(to)})
        audit(actor=staff, action="liaison.hand_over", target=conversation,
              before=before, to=to.pk)
        notify(recipient=to, title=gettext_lazy("有会话转交给您"),
               body=later(gettext_lazy("%(who)s 把一个连心室会话转交给您。"),
                          who=staff.shown_name),
               url=reverse("liaison:console_conversation", args=[conversation.pk]))
        events.conversation_changed(conversation, reason="handed")
    return conversation


def conversation_close(*, conversation: Conversation, actor: User) -> Conversation:
    """End the conversation (the assignee, a supervisor or the resident). The resident may rate it."""
    scope = scope_of(actor)
    allowed = (actor.pk in (conversation.assignee_id, conversation.resident_id)
               or conversation.community_id in scope.admin_community_ids or scope.is_superuser)
    if not allowed:
        raise PermissionDenied(_("您不能结束这个会话。"))
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
        if conversation.status == ConversationStatus.CLOSED:
            return conversation
        conversation.status = ConversationStatus.CLOSED
        conversation.closed_at = timezone.now()
        conversation.save(update_fields=["status", "closed_at"])
        _system(conversation, _("本次会话已结束。请为这次服务打个分。"))
        audit(actor=actor, action="liaison.close", target=conversation)
        events.conversation_changed(conversation, reason="closed")
    return conversation


def conversation_rate(*, conversation: Conversation, resident: User, stars: int) -> Conversation:
    """The resident's one-tap rating (1–5) of an ended conversation; once."""
    if resident.pk != conversation.resident_id:
        raise PermissionDenied(_("只有居民本人可以评价。"))
    if stars not in (1, 2, 3, 4, 5):
        raise ChatError(_("请选择 1 到 5 分。"))
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
        if conversation.status != ConversationStatus.CLOSED:
            raise ChatError(_("会话结束后才能评价。"))
        if conversation.rating is not None:
            raise ChatError(_("您已经评价过了，谢谢。"))
        conversation.rating = stars
        conversation.save(update_fields=["rating"])
        audit(actor=resident, action="liaison.rate", target=conversation, stars=stars)
        events.conversation_changed(conversation, reason="rated")
    return conversation


def conversation_to_case(*, conversation: Conversation, staff: User,
                         category: Category | None = None,
                         description: str = "") -> int:
    """Turn the conversation into a case in one step; return the case id.

    The case carries the resident's text and photos with the resident as
    reporter, through ``community.services.case_submit`` (channel "chat"). The
    conversation's client key makes a second tap return the same case.
    """
    scope = scope_of(staff)
    if conversation.assignee_id != staff.pk and conversation.community_id not in scope.admin_community_ids \
            and not scope.is_superuser:
        raise PermissionDenied(_("只有接待人可以转为诉求。"))
    if conversation.case_id:
        return conversation.case_id

    messages = list(conversation.messages.filter(role=SenderRole.RESIDENT)
                    .prefetch_related("photos").order_by("seq"))
    text = description.strip() or "\n".join(m.body for m in messages if m.body)
    if not text:
        raise ChatError(_("居民还没有说明情况，无法转为诉求。"))
    photos = [p.image for m in messages for p in m.photos.all()]
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
        if conversation.case_id:
            return conversation.case_id
        if category is None:
            category = Category.objects.filter(active=True).order_by("order", "id").first()
        if category is None:
            raise ChatError(_("还没有设置诉求类别，请联系管理员。"))
        # A refusal of the cases app (a WorkflowError) is a Refused too: it passes as it is.
        case = case_services.case_submit(
            reporter=conversation.resident, category=category, description=text[:2000],
            photos=photos, channel="chat", client_key=f"liaison-{conversation.pk}",
            on_behalf_by=staff,
        )
        case_id = case.pk
        conversation.case_id = case_id
        conversation.save(update_fields=["case_id"])
        _system(conversation, _("已为您登记为诉求（编号 %(id)s），可以随时查看办理进度。") % {"id": case_id},
                kind=MessageKind.CASE)
        audit(actor=staff, action="liaison.to_case", target=conversation, case=case_id)
        events.conversation_changed(conversation, reason="case")
    return case_id


# --- quick replies ----------------------------------------------------------


def quick_reply_add(*, staff: User, community_id: int, text: str) -> QuickReply:
    _check_liaison(staff, community_id)
    text = text.strip()
    if not text or len(text) > 300:
        raise ChatError(_("快捷回复请写 1 到 300 字。"))
    with transaction.atomic():
        reply = QuickReply.objects.create(community_id=community_id, text=text, created_by=staff,
                                          order=QuickReply.objects.filter(
                                              community_id=community_id).count())
        audit(actor=staff, action="liaison.quick_reply.add", target=reply)
    return reply


def quick_reply_delete(*, staff: User, reply: QuickReply) -> None:
    _check_liaison(staff, reply.community_id)
    with transaction.atomic():
        audit(actor=staff, action="liaison.quick_reply.delete", target=reply, text=reply.text)
        reply.delete()


# --- the resident is away ---------------------------------------------------


def unread_replies_remind(*, now: datetime | None = None) -> int:
    """SMS the resident when a staff reply has been unread for a few minutes; once per reply.

    Guarantees: at most one SMS per conversation per unread stretch (it
    records the last reply it told about); the SMS goes after commit.
    """
    now = now or timezone.now()
    cutoff = now - UNREAD_SMS_AFTER
    candidates = (Conversation.objects.exclude(status=ConversationStatus.WAITING)
                  .filter(last_message_at__lte=cutoff, last_message_at__gte=now - timedelta(days=1))
                  .select_related("resident"))
    told = 0
    for conversation in candidates:
        last_reply = (Message.objects.filter(conversation=conversation, role=SenderRole.STAFF,
                                             seq__gt=conversation.resident_read_seq,
                                             created_at__lte=cutoff)
                      .order_by("-seq").values_list("seq", flat=True).first())
        if not last_reply or last_reply <= conversation.sms_told_seq:
            continue
        with transaction.atomic():
            updated = Conversation.objects.filter(
                pk=conversation.pk, sms_told_seq__lt=last_reply,
                resident_read_seq__lt=last_reply,
            ).update(sms_told_seq=last_reply)
            if not updated:
                continue
            notify(recipient=conversation.resident, title=gettext_lazy("连心室回复了您"),
                   body=later(gettext_lazy("值班人员回复了您的留言，请点开查看：%(url)s"),
                              url=_absolute(reverse("liaison:chat"))),
                   url=reverse("liaison:chat"), sms=True)
            audit(actor=None, action="liaison.sms_unread", target=conversation, seq=last_reply)
        told += 1
    return told


def _absolute(path: str) -> str:
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + path
