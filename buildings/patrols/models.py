"""Care flags on households, village guides, and the visits of the monthly round.

Care flags are sensitive (who lives alone, who is disabled, who is on
minimum living allowance): they are read only through ``selectors`` and
``services.care_flags_read`` (which writes an audit row), never sent to
outside platforms (a case made from a visit carries the finding, not the flags).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.uploads.photos import BasePhoto

from .choices import Condition, Finding, GuideRole, Met


class CareFlagKind(models.Model):
    """A kind of care flag (独居老人, 残疾, …), and how often such a household is visited."""

    name = models.CharField(_("名称"), max_length=30, unique=True)
    visit_days = models.PositiveSmallIntegerField(
        _("走访周期（天）"), default=30, help_text=_("有此标记的住户每隔多少天走访一次"))
    escalate_days = models.PositiveSmallIntegerField(
        _("超期上报（天）"), default=7, help_text=_("走访超期多少天后通知社区管理员"))
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("关爱标记类型")
        verbose_name_plural = _("关爱标记类型")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name


class CareFlag(models.Model):
    """A household carries a care flag."""

    household = models.ForeignKey("buildings.Household", on_delete=models.CASCADE,
                                  related_name="care_flags", verbose_name=_("住户"))
    kind = models.ForeignKey(CareFlagKind, on_delete=models.PROTECT, related_name="flags",
                             verbose_name=_("标记"))
    note = models.CharField(_("备注"), max_length=200, blank=True)
    since = models.DateField(_("标记日期"), default=timezone.localdate)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("标记人"))

    class Meta:
        verbose_name = _("关爱标记")
        verbose_name_plural = _("关爱标记")
        constraints = [models.UniqueConstraint(fields=["household", "kind"],
                                               name="care_flag_once")]

    def __str__(self) -> str:
        return f"{self.household} {self.kind}"


class Guide(models.Model):
    """A village guide (法官、检察官、警官) assigned to a community: visits its households."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+", verbose_name=_("人员"))
    community = models.ForeignKey("buildings.Community", on_delete=models.CASCADE,
                                  related_name="guides", verbose_name=_("社区"))
    role = models.CharField(_("身份"), max_length=12, choices=GuideRole.choices)
    since = models.DateField(_("任职起"), default=timezone.localdate)

    class Meta:
        verbose_name = _("驻村指导员")
        verbose_name_plural = _("驻村指导员")
        constraints = [models.UniqueConstraint(fields=["user", "community"],
                                               name="guide_once_per_community")]

    def __str__(self) -> str:
        return f"{self.community} {self.get_role_display()} {self.user}"


class Visit(models.Model):
    """One visit at a household's door. Stored once per (visitor, client_key)."""

    household = models.ForeignKey("buildings.Household", on_delete=models.CASCADE,
                                  related_name="visits", verbose_name=_("住户"))
    grid = models.ForeignKey("buildings.Grid", on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("网格"))
    visitor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                related_name="+", verbose_name=_("走访人"))
    as_guide = models.BooleanField(_("指导员走访"), default=False)
    visited_at = models.DateTimeField(_("走访时间"), default=timezone.now, db_index=True)
    met = models.CharField(_("见到"), max_length=12, choices=Met.choices)
    condition = models.CharField(_("情况"), max_length=8, choices=Condition.choices,
                                 blank=True)
    finding = models.CharField(_("发现"), max_length=10, choices=Finding.choices,
                               default=Finding.NONE)
    note = models.TextField(_("说明"), blank=True)
    voice = models.FileField(_("语音"), upload_to="patrols/voice/", max_length=200, blank=True,
                             db_index=True)
    client_key = models.CharField(max_length=64, blank=True)
    case = models.OneToOneField("community.Case", on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="patrol_visit",
                                verbose_name=_("转为诉求"))
    dispute = models.OneToOneField("community.Dispute", on_delete=models.SET_NULL, null=True,
                                   blank=True, related_name="patrol_visit",
                                   verbose_name=_("转为纠纷"))

    class Meta:
        verbose_name = _("走访记录")
        verbose_name_plural = _("走访记录")
        ordering = ["-visited_at", "-id"]
        constraints = [models.UniqueConstraint(
            fields=["visitor", "client_key"], condition=~models.Q(client_key=""),
            name="visit_once_per_key")]
        indexes = [models.Index(fields=["household", "-visited_at"])]

    def __str__(self) -> str:
        return f"{self.household} {self.visited_at:%Y-%m-%d}"

    @property
    def has_finding(self) -> bool:
        return self.finding != Finding.NONE


class VisitPhoto(BasePhoto):
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="photos")

    class Meta(BasePhoto.Meta):
        verbose_name = _("走访照片")
        verbose_name_plural = _("走访照片")


class OverdueReport(models.Model):
    """A flagged household's overdue visit was reported to the community admins (once)."""

    household = models.ForeignKey("buildings.Household", on_delete=models.CASCADE,
                                  related_name="+")
    due_on = models.DateField()
    reported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("走访超期上报")
        verbose_name_plural = _("走访超期上报")
        constraints = [models.UniqueConstraint(fields=["household", "due_on"],
                                               name="overdue_report_once")]

    def __str__(self) -> str:
        return f"{self.household} {self.due_on}"
