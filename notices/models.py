"""Notices (通知): Wagtail pages under one index page, and who read and acknowledged them.

A notice is a Wagtail page so that revisions, preview, scheduled publishing,
moderation and the audit log come from Wagtail. What Wagtail does not know
lives beside it: read receipts per person, acknowledgements per household, a
search index that understands Chinese, and what has been sent out.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting
from wagtail.fields import StreamField
from wagtail.models import Orderable, Page, Task, TaskState

from buildings.access import may, scope_of

from .blocks import NoticeBodyBlock
from .choices import URGENT_CATEGORIES, AckMethod, Audience, Category, ReadVia
from .rules import may_moderate


class NoticeIndexPage(Page):
    """通知公告: the one parent of every notice. Its list is the 通知 tab."""

    max_count = 1
    parent_page_types = ["portal.HomePage"]
    subpage_types = ["notices.NoticePage"]

    class Meta:
        verbose_name = _("通知公告栏")

    def serve(self, request, *args, **kwargs):
        return redirect("notices:index")


class NoticePage(Page):
    """One notice, for the whole community, some grids or some buildings."""

    category = models.CharField(
        _("类别"), max_length=20, choices=Category.choices, default=Category.OTHER
    )
    body = StreamField(NoticeBodyBlock(), verbose_name=_("正文"), blank=True)
    audience = models.CharField(
        _("发给谁"), max_length=20, choices=Audience.choices, default=Audience.COMMUNITY
    )
    audience_grids = ParentalManyToManyField(
        "buildings.Grid", blank=True, related_name="notices", verbose_name=_("网格")
    )
    audience_buildings = ParentalManyToManyField(
        "buildings.Building", blank=True, related_name="notices", verbose_name=_("楼栋")
    )
    is_public = models.BooleanField(
        _("公开"),
        default=True,
        help_text=_("全社区通知：未认证的人和访客也能看到，并出现在订阅源中"),
    )
    pinned = models.BooleanField(_("置顶"), default=False)
    urgent = models.BooleanField(_("紧急"), default=False)
    ack_wanted = models.BooleanField(_("需要每户确认收到"), default=False)
    ack_within_hours = models.PositiveSmallIntegerField(
        _("确认期限（小时）"), default=24,
        help_text=_("发布后多少小时内未确认的住户，可以安排上门告知"),
    )
    starts_at = models.DateTimeField(_("开始时间"), null=True, blank=True,
                                     help_text=_("停水停电、会议等的开始时间"))
    ends_at = models.DateTimeField(
        _("结束时间"), null=True, blank=True, db_index=True,
        help_text=_("过了这个时间，通知自动归入往期，并标为已结束"),
    )
    affected_buildings = ParentalManyToManyField(
        "buildings.Building", blank=True, related_name="+", verbose_name=_("受影响楼栋")
    )

    parent_page_types = ["notices.NoticeIndexPage"]
    subpage_types: list[str] = []

    content_panels = Page.content_panels + [
        FieldRowPanel([FieldPanel("category"), FieldPanel("pinned"), FieldPanel("urgent")]),
        FieldPanel("body"),
        InlinePanel("attachments", label=_("附件")),
        MultiFieldPanel(
            [FieldPanel("audience"), FieldPanel("is_public"), FieldPanel("audience_grids"),
             FieldPanel("audience_buildings")],
            heading=_("发给谁"),
        ),
        MultiFieldPanel(
            [FieldRowPanel([FieldPanel("starts_at"), FieldPanel("ends_at")]),
             FieldPanel("affected_buildings")],
            heading=_("时间与影响范围（停水停电等）"),
        ),
        MultiFieldPanel([FieldPanel("ack_wanted"), FieldPanel("ack_within_hours")],
                        heading=_("确认收到")),
    ]

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        indexes = [models.Index(fields=["audience", "is_public"])]

    def clean(self):
        super().clean()
        errors = {}
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = _("结束时间要晚于开始时间。")
        if self.audience != Audience.COMMUNITY:
            self.is_public = False
        if errors:
            raise ValidationError(errors)

    # --- What a reader sees ----------------------------------------------------

    @property
    def is_over(self) -> bool:
        return self.ends_at is not None and self.ends_at < timezone.now()

    @property
    def sends_sms(self) -> bool:
        return self.urgent or self.category in URGENT_CATEGORIES

    @property
    def ack_deadline(self):
        if not self.ack_wanted or not self.first_published_at:
            return None
        return self.first_published_at + timedelta(hours=self.ack_within_hours)

    def body_text(self) -> str:
        """The body as plain text: for search, SMS and reading aloud."""
        parts = []
        for block in self.body:
            if block.block_type == "paragraph":
                parts.append(strip_tags(block.value.source).strip())
            elif block.block_type == "image":
                alt = getattr(block.value, "contextual_alt_text", "") or ""
                if alt:
                    parts.append(alt)
        return "\n".join(p for p in parts if p)

    def get_url_parts(self, request=None):
        # The notice's own address is the portal's (/notices/<id>/), which
        # checks who may read it; Wagtail's "view live" lands there too.

        parts = super().get_url_parts(request)
        if parts is None or not self.pk:
            return parts
        site_id, root_url, _path = parts
        return site_id, root_url, reverse("notices:detail", args=[self.pk])

    def serve(self, request, *args, **kwargs):
        if not self.pk:
            raise Http404
        return redirect("notices:detail", pk=self.pk)

    def get_context(self, request, *args, preview: bool = False, **kwargs):
        """What notices/detail.html shows, for the detail page and Wagtail's preview alike.

        A preview shows the notice as residents will see it, without their
        acknowledgement or the author's links.
        """
        context = super().get_context(request, *args, **kwargs)
        scope = scope_of(request.user)
        ack = None
        may_ack = False
        if self.ack_wanted and scope.household_ids and not preview:
            ack = NoticeAck.objects.filter(notice=self,
                                           household_id__in=scope.household_ids).first()
            may_ack = ack is None
        context.update({
            "notice": self,
            "ack": ack,
            "may_ack": may_ack,
            "preview": preview,
            "category": Category(self.category).label,
            "may_see_receipts": (not preview) and may(request.user, "notices.view_receipts", self),
            "may_edit": (not preview) and may(request.user, "notices.edit", self),
        })
        return context

    def serve_preview(self, request, mode_name):
        return render(request, "notices/detail.html", self.get_context(request, preview=True))


class NoticeAttachment(Orderable):
    notice = ParentalKey(NoticePage, on_delete=models.CASCADE, related_name="attachments")
    document = models.ForeignKey(
        "wagtaildocs.Document", on_delete=models.CASCADE, related_name="+",
        verbose_name=_("文件"),
    )
    title = models.CharField(_("说明"), max_length=100, blank=True)

    panels = [FieldPanel("document"), FieldPanel("title")]

    class Meta(Orderable.Meta):
        verbose_name = _("附件")
        verbose_name_plural = _("附件")


class NoticeRead(models.Model):
    """One person opened one notice (the first time counts)."""

    notice = models.ForeignKey(NoticePage, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="notice_reads")
    via = models.CharField(_("方式"), max_length=10, choices=ReadVia.choices,
                           default=ReadVia.WEB)
    read_at = models.DateTimeField(_("阅读时间"), default=timezone.now)

    class Meta:
        verbose_name = _("阅读记录")
        verbose_name_plural = _("阅读记录")
        constraints = [
            models.UniqueConstraint(fields=["notice", "user"], name="notice_read_once")
        ]
        indexes = [models.Index(fields=["user", "notice"])]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.notice_id}"


class NoticeAck(models.Model):
    """A household acknowledged a notice: by a resident in the app, or told by a building head.

    Never edited; one per household and notice.
    """

    notice = models.ForeignKey(NoticePage, on_delete=models.CASCADE, related_name="acks")
    household = models.ForeignKey("buildings.Household", on_delete=models.CASCADE,
                                  related_name="notice_acks", verbose_name=_("住户"))
    method = models.CharField(_("方式"), max_length=10, choices=AckMethod.choices)
    by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("确认人"),
    )
    at = models.DateTimeField(_("时间"), default=timezone.now)
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("确认收到")
        verbose_name_plural = _("确认收到")
        constraints = [
            models.UniqueConstraint(fields=["notice", "household"], name="notice_ack_once")
        ]
        indexes = [models.Index(fields=["household", "notice"])]

    def __str__(self) -> str:
        return f"{self.household_id} ack {self.notice_id} ({self.method})"


class NoticeTerm(models.Model):
    """One search term (a Chinese character, a pair of them, or a word) of a live notice.

    Chinese has no spaces, and the full-text engines split it badly (SQLite's
    trigram tokenizer cannot match two characters). Indexing every character
    and every pair of characters makes "停水" a plain indexed lookup on any
    database. ``weight`` counts title hits more than body hits.
    """

    notice = models.ForeignKey(NoticePage, on_delete=models.CASCADE, related_name="terms")
    term = models.CharField(max_length=32)
    weight = models.PositiveSmallIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["term", "notice"], name="notice_term_unique")
        ]

    def __str__(self) -> str:
        return self.term


class NoticeDelivery(models.Model):
    """What has gone out for a notice, so a re-publish does not tell everyone again."""

    notice = models.OneToOneField(NoticePage, on_delete=models.CASCADE, related_name="delivery")
    announced_at = models.DateTimeField(null=True, blank=True)
    announced_to = models.PositiveIntegerField(default=0)
    overdue_alerted_at = models.DateTimeField(null=True, blank=True)
    last_reminded_at = models.DateTimeField(null=True, blank=True)
    door_knock_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("通知发送记录")
        verbose_name_plural = _("通知发送记录")

    def __str__(self) -> str:
        return f"delivery of {self.notice_id}"


@register_setting(icon="mail")
class NoticeSettings(BaseGenericSetting):
    """The numbers of notices the community may tune."""

    remind_every_hours = models.PositiveSmallIntegerField(
        _("一键提醒间隔（小时）"), default=12,
        help_text=_("同一条通知，多少小时内只能一键提醒一次（提醒会发短信）"))
    urgent_publish_after_minutes = models.PositiveSmallIntegerField(
        _("紧急通知无人审核时自动发布（分钟）"), default=30,
        help_text=_("紧急通知提交审核后，过了这么多分钟仍没有人审核，就自动发布。0 表示不自动发布"))

    class Meta:
        verbose_name = _("通知设置")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


class NoticeApprovalTask(Task):
    """通知审核: approved by a grid worker of every building the notice is for, or an admin.

    A Wagtail workflow task, so the Wagtail admin shows it (dashboard,
    approve/request changes) and the phone review page uses the same actions.
    """

    admin_form_fields = Task.admin_form_fields

    class Meta:
        verbose_name = _("通知审核（网格员或社区管理员）")
        verbose_name_plural = _("通知审核")

    def _may(self, obj, user) -> bool:
        page = obj.specific if isinstance(obj, Page) else obj
        return may_moderate(user, page)

    def user_can_access_editor(self, obj, user):
        return self._may(obj, user)

    def locked_for_user(self, obj, user):
        return not (user.is_superuser or self._may(obj, user))

    def get_actions(self, obj, user):
        if user.is_superuser or self._may(obj, user):
            return [
                ("reject", _("退回修改"), True),
                ("approve", _("通过并发布"), False),
                ("approve", _("通过（附意见）"), True),
            ]
        return []

    def get_task_states_user_can_moderate(self, user, **kwargs):
        return TaskState.objects.filter(pk__in=[s.pk for s in self.states_for_reviewer(user)])

    @classmethod
    def states_for_reviewer(cls, user) -> list[TaskState]:
        """Notice approvals in progress that this person may decide (``state.notice`` set)."""
        scope = scope_of(user)
        if not (scope.is_admin or scope.is_grid_worker):
            return []
        states = list(
            TaskState.objects.filter(
                status=TaskState.STATUS_IN_PROGRESS,
                task__in=cls.objects.all(),
            ).select_related("revision", "workflow_state", "workflow_state__requested_by")
            .order_by("started_at")
        )
        out = []
        for state in states:
            page = state.revision.as_object()
            if may_moderate(user, page):
                state.notice = page
                out.append(state)
        return out

    @classmethod
    def get_description(cls):
        return _("负责这些楼栋的网格员或社区管理员审核")
