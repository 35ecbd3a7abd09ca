"""The liaison room's records: conversations, their numbered messages, and the duty set-up.

The database is the record of a chat. A message exists once it is stored with
its number (``seq``, 1, 2, 3 … per conversation); the socket only tells the
people in the conversation that something new is there. Typing and presence
are never stored.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.uploads.photos import BasePhoto

from .choices import ConversationStatus, MessageKind, SenderRole, Weekday


class DutyHours(models.Model):
    """When the liaison room is staffed (值班时间), one row per weekday period."""

    community = models.ForeignKey(
        "buildings.Community", on_delete=models.CASCADE, related_name="+",
        verbose_name=_("社区"),
    )
    weekday = models.PositiveSmallIntegerField(_("星期"), choices=Weekday.choices)
    opens = models.TimeField(_("开始"))
    closes = models.TimeField(_("结束"))

    class Meta:
        verbose_name = _("值班时间")
        verbose_name_plural = _("值班时间")
        ordering = ["community", "weekday", "opens"]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class DutyRoster(models.Model):
    """Who is on the duty roster (值班表) on which weekday."""

    community = models.ForeignKey(
        "buildings.Community", on_delete=models.CASCADE, related_name="+",
        verbose_name=_("社区"),
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
        verbose_name=_("值班人员"),
    )
    weekday = models.PositiveSmallIntegerField(_("星期"), choices=Weekday.choices)
    opens = models.TimeField(_("开始"))
    closes = models.TimeField(_("结束"))
    note = models.CharField(_("备注"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("值班表")
        verbose_name_plural = _("值班表")
        ordering = ["community", "weekday", "opens"]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M} {self.staff}"


class StaffDesk(models.Model):
    """One liaison staff member's desk: on or off duty, and how many chats they may hold."""

    staff = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="liaison_desk",
        verbose_name=_("值班人员"),
    )
    on_duty = models.BooleanField(_("在岗"), default=False)
    cap = models.PositiveSmallIntegerField(
        _("同时接待上限"), default=5, help_text=_("同时接待的会话数上限")
    )
    changed_at = models.DateTimeField(_("状态变更时间"), default=timezone.now)

    class Meta:
        verbose_name = _("值班状态")
        verbose_name_plural = _("值班状态")

    def __str__(self) -> str:
        return str(self.staff)


class QuickReply(models.Model):
    """A reply the staff use often (快捷回复), maintained by the staff themselves."""

    community = models.ForeignKey(
        "buildings.Community", on_delete=models.CASCADE, related_name="+",
        verbose_name=_("社区"),
    )
    text = models.CharField(_("内容"), max_length=300)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("添加人"),
    )

    class Meta:
        verbose_name = _("快捷回复")
        verbose_name_plural = _("快捷回复")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.text[:30]


class Conversation(models.Model):
    """One conversation between a resident and the liaison room.

    ``last_seq`` is the counter the next message's number comes from; it is
    only ever increased under a row lock (``message_post``).
    """

    community = models.ForeignKey(
        "buildings.Community", on_delete=models.CASCADE, related_name="+",
        verbose_name=_("社区"),
    )
    resident = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="liaison_conversations",
        verbose_name=_("居民"),
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=ConversationStatus.choices,
        default=ConversationStatus.WAITING, db_index=True,
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="liaison_assigned", verbose_name=_("接待人"),
    )
    last_seq = models.PositiveIntegerField(_("消息数"), default=0)
    resident_read_seq = models.PositiveIntegerField(default=0)
    staff_read_seq = models.PositiveIntegerField(default=0)
    sms_told_seq = models.PositiveIntegerField(
        default=0, help_text=_("已用短信提醒过的最后一条回复")
    )
    waiting_since = models.DateTimeField(_("开始等待"), default=timezone.now)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, db_index=True)
    picked_up_at = models.DateTimeField(_("接待时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    last_message_at = models.DateTimeField(_("最后消息"), null=True, blank=True)
    off_hours_told_at = models.DateTimeField(null=True, blank=True)
    rating = models.PositiveSmallIntegerField(_("评价"), null=True, blank=True)
    case_id = models.PositiveIntegerField(_("诉求编号"), null=True, blank=True)

    class Meta:
        verbose_name = _("连心室会话")
        verbose_name_plural = _("连心室会话")
        ordering = ["-created_at", "-id"]
        constraints = [
            # A resident has at most one conversation that is not closed.
            models.UniqueConstraint(
                fields=["resident"], condition=~Q(status="closed"),
                name="liaison_one_active_conversation",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.resident}"


class Message(models.Model):
    """One numbered message. Created only by ``services.message_post``."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages",
        verbose_name=_("会话"),
    )
    seq = models.PositiveIntegerField(_("序号"))
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("发送人"),
    )
    role = models.CharField(_("身份"), max_length=10, choices=SenderRole.choices)
    kind = models.CharField(_("类型"), max_length=10, choices=MessageKind.choices,
                            default=MessageKind.TEXT)
    body = models.TextField(_("内容"), blank=True)
    client_key = models.CharField(max_length=64, blank=True)
    voice = models.FileField(_("语音"), upload_to="liaison/voice/%Y/%m/", blank=True,
                             db_index=True)
    voice_seconds = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("消息")
        verbose_name_plural = _("消息")
        ordering = ["conversation", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "seq"], name="liaison_message_seq"),
            # A retry of the same send (same key from the same phone) is stored once.
            models.UniqueConstraint(
                fields=["conversation", "sender", "client_key"],
                condition=~Q(client_key=""), name="liaison_message_client_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.conversation_id}#{self.seq}"


class MessagePhoto(BasePhoto):
    """A photo in a chat message: checked, EXIF-stripped, in three sizes (portal.uploads)."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="photos",
                                verbose_name=_("消息"))

    class Meta(BasePhoto.Meta):
        verbose_name = _("聊天照片")
        verbose_name_plural = _("聊天照片")
