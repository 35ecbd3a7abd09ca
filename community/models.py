"""Cases (诉求) and everything that happens to them.

A case's state changes only through ``community.services``, which checks the
move against the table in ``community.workflow`` and writes a ``CaseEvent``
for it. Events are never edited.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting

from portal.params import BadParameter, parse_int
from portal.uploads.photos import BasePhoto

from .choices import (
    ICONS,
    WORKING_STATES,
    Channel,
    DisputeStage,
    EventKind,
    Ladder,
    PhotoKind,
    Priority,
    Status,
)


class Category(models.Model):
    """诉求类别, configured by the community admin in the Wagtail admin."""

    code = models.SlugField(_("代码"), max_length=30, unique=True,
                            help_text=_("稳定的英文代码，外部接口使用，例如 repair"))
    name = models.CharField(_("名称"), max_length=30)
    name_en = models.CharField(_("英文名称"), max_length=40, blank=True,
                               help_text=_("界面选英文时显示；不填就显示中文名称"))
    icon = models.CharField(_("图标"), max_length=20, choices=ICONS, default="question")
    hint = models.CharField(_("说明"), max_length=80, blank=True,
                            help_text=_("例如：水管、电梯、门窗坏了"))
    hint_en = models.CharField(_("英文说明"), max_length=120, blank=True)
    days_normal = models.PositiveSmallIntegerField(_("一般：办理时限（工作日）"), default=5)
    days_high = models.PositiveSmallIntegerField(_("较急：办理时限（工作日）"), default=3)
    days_urgent = models.PositiveSmallIntegerField(_("紧急：办理时限（工作日）"), default=1)
    default_department = models.ForeignKey(
        "buildings.Department", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("默认承办部门"))
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("诉求类别")
        verbose_name_plural = _("诉求类别")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The name in the reader's language (the Chinese one when no English is set)."""
        if self.name_en and (get_language() or "").startswith("en"):
            return self.name_en
        return self.name

    @property
    def hint_label(self) -> str:
        if self.hint_en and (get_language() or "").startswith("en"):
            return self.hint_en
        return self.hint

    def days_for(self, priority: str) -> int:
        return {Priority.URGENT: self.days_urgent, Priority.HIGH: self.days_high}.get(
            priority, self.days_normal)


class CalendarDay(models.Model):
    """A day that the library does not know, or knows wrong: a holiday or a 调休 working day.

    ``chinese-calendar`` knows the State Council's schedule up to 2026; the admin
    enters later years here when the schedule is published. An entry here wins.
    """

    date = models.DateField(_("日期"), unique=True)
    is_workday = models.BooleanField(_("上班"), help_text=_("勾选：调休上班日；不勾选：放假"))
    note = models.CharField(_("说明"), max_length=40, blank=True, help_text=_("例如：国庆节"))

    class Meta:
        verbose_name = _("节假日与调休")
        verbose_name_plural = _("节假日与调休")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {'上班' if self.is_workday else '放假'} {self.note}"


@register_setting(icon="time")
class LoopSettings(BaseGenericSetting):
    """The numbers of the closed loop the community may tune."""

    feedback_days = models.PositiveSmallIntegerField(
        _("未评价自动办结（天）"), default=7,
        help_text=_("办理结果反馈后，居民多少天未评价即按“未评价”办结"))
    remind_before_workdays = models.PositiveSmallIntegerField(
        _("到期前提醒（工作日）"), default=1)
    escalate_after_workdays = models.PositiveSmallIntegerField(
        _("超期多少工作日后催办"), default=1)
    report_after_workdays = models.PositiveSmallIntegerField(
        _("超期多少工作日后通报"), default=3)
    reopen_below_rating = models.PositiveSmallIntegerField(
        _("低于几分重新办理"), default=3, help_text=_("评分低于此数（例如 1、2 分）时重新转办"))
    dispute_visit_days = models.CharField(
        _("纠纷调解后回访（天）"), max_length=40, default="7,30,90",
        help_text=_("用逗号分隔，例如 7,30,90"))
    whistle_report_hours = models.PositiveSmallIntegerField(
        _("吹哨后部门报到时限（工作小时）"), default=4,
        help_text=_("被召集的部门须在多少个工作小时内报到"))

    def visit_days(self) -> list[int]:
        days = []
        for part in (self.dispute_visit_days or "").replace("，", ",").split(","):
            try:
                days.append(parse_int(part.strip(), min=1, max=3650))
            except BadParameter:
                pass  # typed in the admin: a stray word is skipped, not a crash later
        return sorted(set(days)) or [7, 30, 90]

    class Meta:
        verbose_name = _("诉求办理设置")


class Case(models.Model):
    """诉求: something a resident asks the community to act on."""

    community = models.ForeignKey("buildings.Community", on_delete=models.PROTECT,
                                  related_name="cases", verbose_name=_("社区"))
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="cases",
                                 verbose_name=_("类别"))
    priority = models.CharField(_("紧急程度"), max_length=10, choices=Priority.choices,
                                default=Priority.NORMAL)
    description = models.TextField(_("描述"), blank=True)
    voice = models.FileField(_("语音"), upload_to="cases/voice/%Y/%m/", blank=True, db_index=True)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices,
                              default=Status.SUBMITTED, editable=False)
    # Where
    household = models.ForeignKey("buildings.Household", on_delete=models.PROTECT, null=True,
                                  blank=True, related_name="cases", verbose_name=_("住户"))
    place = models.ForeignKey("buildings.PublicPlace", on_delete=models.PROTECT, null=True,
                              blank=True, related_name="cases", verbose_name=_("公共场所"))
    building = models.ForeignKey("buildings.Building", on_delete=models.PROTECT, null=True,
                                 blank=True, related_name="cases", verbose_name=_("楼栋"))
    unit = models.ForeignKey("buildings.Unit", on_delete=models.PROTECT, null=True, blank=True,
                             related_name="cases", verbose_name=_("单元"))
    grid = models.ForeignKey("buildings.Grid", on_delete=models.PROTECT, related_name="cases",
                             verbose_name=_("网格"))
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True,
                                   blank=True)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True,
                                    blank=True)
    # Who
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                 blank=True, related_name="cases", verbose_name=_("反映人"))
    reporter_name = models.CharField(_("反映人姓名"), max_length=40, blank=True,
                                     help_text=_("没有账号的居民（电话、来访）"))
    reporter_phone = models.CharField(_("反映人电话"), max_length=20, blank=True)
    on_behalf_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                     null=True, blank=True, related_name="+",
                                     verbose_name=_("代办人"))
    channel = models.CharField(_("来源渠道"), max_length=10, choices=Channel.choices,
                               default=Channel.SELF)
    client_key = models.CharField(max_length=64, blank=True, editable=False)
    source_platform = models.CharField(_("来源平台"), max_length=40, blank=True)
    external_id = models.CharField(_("外部编号"), max_length=80, blank=True)
    # Who handles
    department = models.ForeignKey("buildings.Department", on_delete=models.PROTECT, null=True,
                                   blank=True, related_name="cases", verbose_name=_("承办部门"))
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                 blank=True, related_name="assigned_cases",
                                 verbose_name=_("承办人"))
    to_volunteers = models.BooleanField(_("转志愿服务"), default=False)
    merged_into = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="duplicates", verbose_name=_("合并到"))
    # When
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)
    due_at = models.DateTimeField(_("办理时限"), null=True, blank=True, db_index=True)
    resolved_at = models.DateTimeField(_("反馈时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    ladder = models.PositiveSmallIntegerField(_("督办"), choices=Ladder.choices,
                                              default=Ladder.NONE)
    # The resident's answer
    fixed = models.BooleanField(_("问题已解决"), null=True, blank=True)
    rating = models.PositiveSmallIntegerField(_("满意度"), null=True, blank=True)
    feedback = models.CharField(_("评价"), max_length=300, blank=True)
    no_rating = models.BooleanField(_("未评价"), default=False)
    reopen_count = models.PositiveSmallIntegerField(_("重新办理次数"), default=0)
    metoo_count = models.PositiveIntegerField(_("“我也遇到”人数"), default=0)

    class Meta:
        verbose_name = _("诉求")
        verbose_name_plural = _("诉求")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["grid", "status", "due_at"], name="case_grid_status_due"),
            models.Index(fields=["department", "status", "due_at"], name="case_dept_status_due"),
            models.Index(fields=["reporter", "-created_at"], name="case_reporter"),
            models.Index(fields=["status", "due_at"], name="case_status_due"),
            models.Index(fields=["grid", "-created_at"], name="case_grid_created"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["reporter", "client_key"], condition=~models.Q(client_key=""),
                name="case_client_key_once"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.category}"

    @property
    def number(self) -> str:
        # The community's own date (Beijing time), not UTC: a case filed at 03:08 on
        # 1 December carries 20261201, as the resident's phone says.
        return f"{timezone.localtime(self.created_at):%Y%m%d}-{self.pk:05d}" if self.pk else ""

    @property
    def where(self) -> str:
        if self.household_id:
            return self.household.address
        if self.place_id:
            return self.place.name
        if self.unit_id:
            return str(self.unit)
        if self.building_id:
            return self.building.label
        return str(_("待定位"))

    @property
    def is_unplaced(self) -> bool:
        """Came in (from the hotline) with a location that matched no building or place."""
        return not (self.household_id or self.place_id or self.unit_id or self.building_id)

    @property
    def tag(self) -> str:
        """Which case, in a few characters for an SMS: 维修·3栋2单元·00006 (never the flat)."""
        if self.place_id:
            place = self.place.name
        elif self.unit_id:
            place = f"{self.unit.building.label}{self.unit.number}单元"
        elif self.building_id:
            place = self.building.label
        else:
            place = ""
        return "·".join(p for p in (self.category.label, place, f"{self.pk:05d}") if p)

    @property
    def masked_where(self) -> str:
        if self.household_id:
            return self.household.masked_address
        return self.where

    @property
    def is_overdue(self) -> bool:
        return bool(self.due_at and self.status in WORKING_STATES
                    and self.due_at < timezone.now())

    @property
    def who(self) -> str:
        if self.reporter_id:
            return self.reporter.shown_name
        return self.reporter_name


class CaseFollower(models.Model):
    """Someone else with the same problem ("me too"), or the reporter of a merged duplicate."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="followers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="followed_cases")
    created_at = models.DateTimeField(default=timezone.now)
    via_merge = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("关注人")
        verbose_name_plural = _("关注人")
        constraints = [models.UniqueConstraint(fields=["case", "user"], name="case_follower_once")]

    def __str__(self) -> str:
        return f"{self.user} → #{self.case_id}"


class CaseEvent(models.Model):
    """One step in a case's life: who, when, from which state to which, and why. Never edited."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("事项"), max_length=20, choices=EventKind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+", verbose_name=_("操作人"))
    at = models.DateTimeField(_("时间"), default=timezone.now)
    from_status = models.CharField(_("原状态"), max_length=12, choices=Status.choices,
                                   blank=True)
    to_status = models.CharField(_("新状态"), max_length=12, choices=Status.choices, blank=True)
    note = models.TextField(_("说明"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    # Staff-only events (supervision, escalation) are not shown to residents.
    internal = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("办理记录")
        verbose_name_plural = _("办理记录")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at"], name="case_event_case_at"),
                   models.Index(fields=["actor", "kind", "at"], name="case_event_actor")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.case_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValidationError("CaseEvent rows are never edited.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("CaseEvent rows are never deleted.")


class CasePhoto(BasePhoto):
    """A photo of the problem (with the report or a comment) or of the result."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="photos")
    event = models.ForeignKey(CaseEvent, on_delete=models.CASCADE, null=True, blank=True,
                              related_name="photos")
    kind = models.CharField(_("类型"), max_length=10, choices=PhotoKind.choices,
                            default=PhotoKind.REPORT)

    class Meta(BasePhoto.Meta):
        verbose_name = _("诉求照片")
        verbose_name_plural = _("诉求照片")


class Dispute(models.Model):
    """矛盾纠纷: screening → problem found → early intervention → joint mediation → visits.

    Seen only by its parties, its mediators, the grid workers of its grid and
    the community admins.
    """

    community = models.ForeignKey("buildings.Community", on_delete=models.PROTECT,
                                  related_name="disputes", verbose_name=_("社区"))
    grid = models.ForeignKey("buildings.Grid", on_delete=models.PROTECT, related_name="disputes",
                             verbose_name=_("网格"))
    building = models.ForeignKey("buildings.Building", on_delete=models.PROTECT, null=True,
                                 blank=True, related_name="+", verbose_name=_("楼栋"))
    case = models.OneToOneField(Case, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="dispute", verbose_name=_("来源诉求"))
    title = models.CharField(_("纠纷事项"), max_length=80)
    summary = models.TextField(_("排查情况"))
    stage = models.CharField(_("阶段"), max_length=14, choices=DisputeStage.choices,
                             default=DisputeStage.SCREENING, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, related_name="+", verbose_name=_("登记人"))
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)
    mediated_on = models.DateField(_("调解日期"), null=True, blank=True)
    agreement = models.TextField(_("调解协议"), blank=True)
    agreement_file = models.FileField(_("协议附件"), upload_to="disputes/%Y/%m/", blank=True)

    class Meta:
        verbose_name = _("矛盾纠纷")
        verbose_name_plural = _("矛盾纠纷")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class DisputeParty(models.Model):
    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="parties")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                             blank=True, related_name="dispute_parties", verbose_name=_("当事人"))
    name = models.CharField(_("姓名"), max_length=40)

    class Meta:
        verbose_name = _("当事人")
        verbose_name_plural = _("当事人")

    def __str__(self) -> str:
        return self.name


class DisputeMediator(models.Model):
    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="mediators")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="mediations", verbose_name=_("调解员"))
    department = models.ForeignKey("buildings.Department", on_delete=models.SET_NULL, null=True,
                                   blank=True, related_name="+", verbose_name=_("部门"))

    class Meta:
        verbose_name = _("调解员")
        verbose_name_plural = _("调解员")
        constraints = [models.UniqueConstraint(fields=["dispute", "user"],
                                               name="dispute_mediator_once")]

    def __str__(self) -> str:
        return str(self.user)


class DisputeRecord(models.Model):
    """One step of a dispute, as it was recorded. Never edited."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="records")
    kind = models.CharField(_("事项"), max_length=14)
    from_stage = models.CharField(max_length=14, choices=DisputeStage.choices, blank=True)
    to_stage = models.CharField(max_length=14, choices=DisputeStage.choices, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              related_name="+")
    at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)

    class Meta:
        verbose_name = _("纠纷记录")
        verbose_name_plural = _("纠纷记录")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} #{self.dispute_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError("DisputeRecord rows are never edited.")
        super().save(*args, **kwargs)


class DisputeVisit(models.Model):
    """A scheduled follow-up visit after mediation (e.g. after 7, 30 and 90 days)."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="visits")
    due_on = models.DateField(_("计划回访日期"))
    done_at = models.DateTimeField(_("回访时间"), null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="+", verbose_name=_("回访人"))
    note = models.TextField(_("回访情况"), blank=True)

    class Meta:
        verbose_name = _("纠纷回访")
        verbose_name_plural = _("纠纷回访")
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return f"{self.dispute} {self.due_on}"


class Whistle(models.Model):
    """吹哨报到: a grid worker summons several departments to one case; one of them leads.

    Each summoned department reports in (``WhistleSummons``) within the set
    working hours; the lead gives the result. Written only by ``community.whistle``.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="whistles",
                             verbose_name=_("诉求"))
    lead = models.ForeignKey("buildings.Department", on_delete=models.PROTECT,
                             related_name="+", verbose_name=_("牵头部门"))
    note = models.TextField(_("吹哨说明"), blank=True)
    blown_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                 related_name="+", verbose_name=_("吹哨人"))
    blown_at = models.DateTimeField(_("吹哨时间"), default=timezone.now)
    due_at = models.DateTimeField(_("报到时限"))
    result = models.TextField(_("办理结果"), blank=True)
    result_at = models.DateTimeField(_("反馈时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("吹哨报到")
        verbose_name_plural = _("吹哨报到")
        ordering = ["-blown_at", "-id"]
        constraints = [models.UniqueConstraint(
            fields=["case"], condition=models.Q(result_at__isnull=True),
            name="whistle_one_open_per_case")]

    def __str__(self) -> str:
        return f"#{self.case_id} {self.lead}"


class WhistleSummons(models.Model):
    """One department summoned by a whistle, and its report-in (报到)."""

    whistle = models.ForeignKey(Whistle, on_delete=models.CASCADE, related_name="summonses")
    department = models.ForeignKey("buildings.Department", on_delete=models.PROTECT,
                                   related_name="whistle_summonses", verbose_name=_("部门"))
    due_at = models.DateTimeField(_("报到时限"))
    reported_at = models.DateTimeField(_("报到时间"), null=True, blank=True)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+",
                                    verbose_name=_("报到人"))
    note = models.TextField(_("报到情况"), blank=True)
    ladder = models.PositiveSmallIntegerField(_("督办"), choices=Ladder.choices,
                                              default=Ladder.NONE)

    class Meta:
        verbose_name = _("部门报到")
        verbose_name_plural = _("部门报到")
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["whistle", "department"],
                                               name="whistle_department_once")]
        indexes = [models.Index(fields=["reported_at", "due_at"], name="summons_due")]

    def __str__(self) -> str:
        return f"{self.department} → #{self.whistle_id}"

    @property
    def late(self) -> bool:
        """Reported in after the limit, or not yet and the limit has passed."""
        return (self.reported_at or timezone.now()) > self.due_at
