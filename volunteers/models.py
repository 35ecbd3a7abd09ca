"""Volunteers, their tasks and claims, and the two ledgers that can be trusted.

The place counter on a task (``filled``) and the balances on a volunteer are
guarded by database constraints as well as by the services that change them:
a task never holds more people than places, a balance never goes below zero.
Hours and points live in append-only ledgers; a balance is the sum of its
entries, kept on the volunteer row in the same transaction as each entry.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import (
    LIVE_STATES,
    ClaimState,
    EntryKind,
    FreeTime,
    RedemptionState,
    Skill,
    TaskKind,
    TaskState,
    VolunteerState,
)

COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐")


def family_name(name: str) -> str:
    name = (name or "").strip()
    for compound in COMPOUND_SURNAMES:
        if name.startswith(compound):
            return compound
    return name[:1]


def _codes(values) -> str:
    """Store a set of choice codes as ``,a,b,`` so one LIKE finds one code."""
    values = [v for v in values if v]
    return f",{','.join(values)}," if values else ""


def _code_list(stored: str) -> list[str]:
    return [v for v in (stored or "").split(",") if v]


class Team(models.Model):
    """An optional team: the party members' team (党员先锋队), the youth team."""

    community = models.ForeignKey(
        "buildings.Community", on_delete=models.CASCADE, related_name="volunteer_teams",
        verbose_name=_("社区"),
    )
    name = models.CharField(_("名称"), max_length=40)

    class Meta:
        verbose_name = _("志愿服务队")
        verbose_name_plural = _("志愿服务队")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["community", "name"], name="team_name_unique")]

    def __str__(self) -> str:
        return self.name


class Volunteer(models.Model):
    """A resident who volunteers. Only an approved volunteer may claim tasks."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="volunteer",
        verbose_name=_("账号"),
    )
    community = models.ForeignKey(
        "buildings.Community", on_delete=models.PROTECT, related_name="volunteers",
        verbose_name=_("社区"),
    )
    grid = models.ForeignKey(
        "buildings.Grid", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("所在网格"), help_text=_("按住户所在楼栋确定；任务列表优先显示本网格"),
    )
    real_name = models.CharField(_("真实姓名"), max_length=40)
    phone = models.CharField(_("手机号（已验证）"), max_length=20)
    skills = models.CharField(_("特长"), max_length=200, blank=True)
    free_times = models.CharField(_("常有空的时间"), max_length=120, blank=True)
    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="members",
        verbose_name=_("服务队"),
    )
    state = models.CharField(
        _("状态"), max_length=12, choices=VolunteerState.choices, default=VolunteerState.PENDING,
        db_index=True,
    )
    hide_from_leaderboard = models.BooleanField(_("排行榜不显示姓名"), default=False)
    applied_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("审核人"),
    )
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    # Kept in step with the ledgers by the services, in the same transaction as each entry.
    hours_total = models.DecimalField(_("累计服务时长（小时）"), max_digits=8, decimal_places=2,
                                      default=0)
    points_balance = models.IntegerField(_("积分余额"), default=0)

    class Meta:
        verbose_name = _("志愿者")
        verbose_name_plural = _("志愿者")
        ordering = ["-applied_at"]
        constraints = [
            models.CheckConstraint(condition=Q(points_balance__gte=0),
                                   name="volunteer_points_not_negative"),
            models.CheckConstraint(condition=Q(hours_total__gte=0),
                                   name="volunteer_hours_not_negative"),
        ]

    def __str__(self) -> str:
        return self.real_name

    @property
    def public_name(self) -> str:
        """What residents see: family name + 志愿者, e.g. 谢志愿者."""
        return f"{family_name(self.real_name)}{_('志愿者')}"

    @property
    def is_approved(self) -> bool:
        return self.state == VolunteerState.APPROVED

    @property
    def skill_list(self) -> list[str]:
        return _code_list(self.skills)

    @property
    def skill_labels(self) -> list[str]:
        return [Skill(s).label for s in self.skill_list if s in Skill.values]

    @property
    def free_time_labels(self) -> list[str]:
        return [FreeTime(s).label for s in _code_list(self.free_times) if s in FreeTime.values]

    def set_skills(self, values) -> None:
        self.skills = _codes(values)

    def set_free_times(self, values) -> None:
        self.free_times = _codes(values)


def _new_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def _new_token() -> str:
    return secrets.token_urlsafe(16)


class Task(models.Model):
    """A piece of volunteer work with a time window, a place and a number of places."""

    community = models.ForeignKey(
        "buildings.Community", on_delete=models.PROTECT, related_name="volunteer_tasks",
        verbose_name=_("社区"),
    )
    grid = models.ForeignKey(
        "buildings.Grid", on_delete=models.PROTECT, related_name="volunteer_tasks",
        verbose_name=_("网格"),
    )
    building = models.ForeignKey(
        "buildings.Building", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("楼栋"),
    )
    unit = models.ForeignKey(
        "buildings.Unit", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("单元"),
    )
    place = models.CharField(_("地点说明"), max_length=100, blank=True,
                             help_text=_("例如：社区广场、3栋门前空地"))
    households = models.ManyToManyField(
        "buildings.Household", blank=True, related_name="volunteer_tasks",
        verbose_name=_("服务的住户"),
        help_text=_("被服务的住户；具体门牌只对已报名的志愿者显示"),
    )
    kind = models.CharField(_("类别"), max_length=20, choices=TaskKind.choices,
                            default=TaskKind.GENERAL)
    title = models.CharField(_("标题"), max_length=80)
    public_title = models.CharField(
        _("对外标题"), max_length=80, blank=True,
        help_text=_("任务列表上给所有人看的标题，不写人名，例如“陪同就医”。不填时，服务具体住户的任务只显示类别和地点。"))
    description = models.TextField(_("要做什么"), blank=True)
    starts_at = models.DateTimeField(_("开始时间"), db_index=True)
    ends_at = models.DateTimeField(_("结束时间"))
    places = models.PositiveSmallIntegerField(_("需要人数"), default=1)
    filled = models.PositiveSmallIntegerField(_("已占名额"), default=0)
    skills = models.CharField(_("需要的特长"), max_length=200, blank=True)
    points = models.PositiveIntegerField(_("积分"), default=0,
                                         help_text=_("0 表示按积分规则计算"))
    needs_approval = models.BooleanField(_("报名需审核"), default=False)
    withdraw_cutoff_hours = models.PositiveSmallIntegerField(
        _("开始前多少小时内不能退出"), default=2)
    state = models.CharField(_("状态"), max_length=12, choices=TaskState.choices,
                             default=TaskState.OPEN, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("发布人"),
    )
    created_at = models.DateTimeField(_("发布时间"), default=timezone.now)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    summary = models.TextField(_("完成情况"), blank=True)
    # Links to the other apps are plain numbers: those apps point back to us, not we to them.
    source_case_id = models.PositiveBigIntegerField(_("来源诉求"), null=True, blank=True,
                                                    db_index=True)
    source_notice_id = models.PositiveBigIntegerField(_("来源通知"), null=True, blank=True,
                                                      db_index=True)
    checkin_code = models.CharField(_("签到码"), max_length=6, default=_new_code)
    qr_token = models.CharField(_("二维码令牌"), max_length=32, default=_new_token, unique=True)

    class Meta:
        verbose_name = _("志愿任务")
        verbose_name_plural = _("志愿任务")
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["state", "starts_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(filled__lte=models.F("places")),
                                   name="task_never_overfilled"),
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")),
                                   name="task_ends_after_start"),
            models.CheckConstraint(condition=Q(places__gte=1), name="task_needs_someone"),
        ]

    def __str__(self) -> str:
        return self.title

    def serves_people(self) -> bool:
        """The task is about particular residents (their flat, a case they filed):
        its title and description may name them. ``task_board`` annotates this."""
        known = getattr(self, "jy_serves_people", None)
        if known is None:
            known = self.source_case_id is not None or self.households.exists()
            self.jy_serves_people = known
        return bool(known)

    @property
    def board_title(self) -> str:
        """What everyone may read: never a person's name from the title."""
        if self.public_title:
            return self.public_title
        if self.serves_people():
            return str(self.get_kind_display())
        return self.title

    @property
    def places_left(self) -> int:
        return max(0, self.places - self.filled)

    @property
    def skill_list(self) -> list[str]:
        return _code_list(self.skills)

    @property
    def skill_labels(self) -> list[str]:
        return [Skill(s).label for s in self.skill_list if s in Skill.values]

    def set_skills(self, values) -> None:
        self.skills = _codes(values)

    @property
    def public_place(self) -> str:
        """Where it is, as anyone may see it: the building and unit, never the flat."""
        parts = []
        if self.building_id:
            parts.append(self.building.label)
        if self.unit_id:
            parts.append(f"{self.unit.number}单元")
        if self.place:
            parts.append(self.place)
        return " ".join(parts) or str(_("社区内"))

    @property
    def hours(self) -> float:
        return (self.ends_at - self.starts_at).total_seconds() / 3600


class Claim(models.Model):
    """One volunteer's place (or waiting-list spot) on one task, and their service on it."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="claims",
                             verbose_name=_("任务"))
    volunteer = models.ForeignKey(Volunteer, on_delete=models.CASCADE, related_name="claims",
                                  verbose_name=_("志愿者"))
    state = models.CharField(_("状态"), max_length=12, choices=ClaimState.choices,
                             db_index=True)
    created_at = models.DateTimeField(_("报名时间"), default=timezone.now)
    offer_expires_at = models.DateTimeField(_("递补确认截止"), null=True, blank=True)
    ended_at = models.DateTimeField(_("退出/结束时间"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("已提醒"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("签到时间"), null=True, blank=True)
    checked_in_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                      null=True, blank=True, related_name="+",
                                      verbose_name=_("签到操作人"))
    checked_out_at = models.DateTimeField(_("签退时间"), null=True, blank=True)
    checked_out_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                       null=True, blank=True, related_name="+",
                                       verbose_name=_("签退操作人"))
    confirmed_at = models.DateTimeField(_("服务对象确认时间"), null=True, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                     null=True, blank=True, related_name="+",
                                     verbose_name=_("确认人"))
    approved_at = models.DateTimeField(_("组织者审核时间"), null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+",
                                    verbose_name=_("审核人"))
    hours = models.DecimalField(_("认定时长（小时）"), max_digits=6, decimal_places=2,
                                null=True, blank=True)
    points = models.IntegerField(_("认定积分"), null=True, blank=True)

    class Meta:
        verbose_name = _("报名")
        verbose_name_plural = _("报名")
        ordering = ["created_at", "id"]
        constraints = [
            # A double tap makes one claim: one live claim per volunteer per task.
            models.UniqueConstraint(
                fields=["task", "volunteer"], condition=Q(state__in=list(LIVE_STATES)),
                name="claim_one_live_per_volunteer",
            ),
        ]
        indexes = [models.Index(fields=["volunteer", "state"]),
                   models.Index(fields=["task", "state"])]

    def __str__(self) -> str:
        return f"{self.volunteer} → {self.task}"

    @property
    def holds_place(self) -> bool:
        return self.state == ClaimState.HELD

    @property
    def service_minutes(self) -> int:
        if not (self.checked_in_at and self.checked_out_at):
            return 0
        return int((self.checked_out_at - self.checked_in_at).total_seconds() // 60)


class TaskMessage(models.Model):
    """A message from the organiser to everyone on a task."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="messages",
                             verbose_name=_("任务"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+", verbose_name=_("发送人"))
    body = models.TextField(_("内容"))
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("任务消息")
        verbose_name_plural = _("任务消息")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.body[:30]


class PointsRule(models.Model):
    """How many points service earns. The most specific active rule wins (kind, then all)."""

    community = models.ForeignKey("buildings.Community", on_delete=models.CASCADE,
                                  related_name="+", verbose_name=_("社区"))
    kind = models.CharField(_("任务类别"), max_length=20, choices=TaskKind.choices, blank=True,
                            help_text=_("留空表示所有类别"))
    per_hour = models.PositiveIntegerField(_("每小时积分"), default=10)
    per_task = models.PositiveIntegerField(_("每次任务另加积分"), default=0)
    cap_per_task = models.PositiveIntegerField(_("单次任务上限"), default=0,
                                               help_text=_("0 表示不限"))
    cap_per_month = models.PositiveIntegerField(_("每人每月上限"), default=0,
                                                help_text=_("0 表示不限"))
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("积分规则")
        verbose_name_plural = _("积分规则")
        ordering = ["kind"]

    def __str__(self) -> str:
        kind = self.get_kind_display() or _("所有类别")
        return f"{kind}：{self.per_hour}/h"


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise LedgerError(_("台账只能追加，不能修改。"))

    def delete(self):
        raise LedgerError(_("台账只能追加，不能删除。"))


class LedgerError(Exception):
    """Someone tried to change or remove a ledger entry."""


class _LedgerEntry(models.Model):
    """One line in an append-only ledger. A correction is a new line with a reason."""

    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("志愿者"))
    kind = models.CharField(_("类别"), max_length=12, choices=EntryKind.choices)
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name=_("服务记录"))
    reason = models.CharField(_("说明"), max_length=200)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("记账人"))
    created_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]

    def save(self, *args, **kwargs):
        if self.pk is not None or not self._state.adding:
            raise LedgerError(_("台账只能追加，不能修改。"))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise LedgerError(_("台账只能追加，不能删除。"))


class HoursEntry(_LedgerEntry):
    hours = models.DecimalField(_("时长（小时）"), max_digits=6, decimal_places=2)

    class Meta(_LedgerEntry.Meta):
        verbose_name = _("服务时长台账")
        verbose_name_plural = _("服务时长台账")

    def __str__(self) -> str:
        return f"{self.volunteer} {self.hours:+}h"


class PointsEntry(_LedgerEntry):
    points = models.IntegerField(_("积分"))

    class Meta(_LedgerEntry.Meta):
        verbose_name = _("积分台账")
        verbose_name_plural = _("积分台账")

    def __str__(self) -> str:
        return f"{self.volunteer} {self.points:+}"


class ShopItem(models.Model):
    """An item at the points supermarket (爱心积分超市)."""

    community = models.ForeignKey("buildings.Community", on_delete=models.CASCADE,
                                  related_name="+", verbose_name=_("社区"))
    name = models.CharField(_("名称"), max_length=60)
    description = models.CharField(_("说明"), max_length=200, blank=True)
    cost = models.PositiveIntegerField(_("所需积分"))
    stock = models.PositiveIntegerField(_("库存"), default=0)
    per_person_limit = models.PositiveSmallIntegerField(_("每人限兑"), default=1,
                                                        help_text=_("0 表示不限"))
    active = models.BooleanField(_("上架"), default=True)
    collect_note = models.CharField(_("领取时间地点"), max_length=100, blank=True,
                                    help_text=_("例如：每月5日上午，社区服务中心"))

    class Meta:
        verbose_name = _("积分超市商品")
        verbose_name_plural = _("积分超市商品")
        ordering = ["cost", "name"]
        constraints = [models.CheckConstraint(condition=Q(stock__gte=0),
                                              name="shop_item_stock_not_negative")]

    def __str__(self) -> str:
        return self.name


class Redemption(models.Model):
    item = models.ForeignKey(ShopItem, on_delete=models.PROTECT, related_name="redemptions",
                             verbose_name=_("商品"))
    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT,
                                  related_name="redemptions", verbose_name=_("志愿者"))
    cost = models.PositiveIntegerField(_("积分"))
    state = models.CharField(_("状态"), max_length=12, choices=RedemptionState.choices,
                             default=RedemptionState.RESERVED, db_index=True)
    created_at = models.DateTimeField(_("兑换时间"), default=timezone.now)
    collected_at = models.DateTimeField(_("领取时间"), null=True, blank=True)
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("经办人"))

    class Meta:
        verbose_name = _("积分兑换")
        verbose_name_plural = _("积分兑换")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.volunteer} {self.item}"
