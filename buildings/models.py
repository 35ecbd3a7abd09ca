"""The places and the people in them.

Community → grids (a three-level tree) → buildings → units → households.
A person belongs to a household through a residency that a building head or
grid worker verifies. Roles are assignments: a building head heads some
buildings, a grid worker works some grids, a handler belongs to a department.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node

from portal.phones import mask_phone

from .choices import DepartmentKind, GridLevel, PlaceKind, Relation, ResidencyState


class Community(models.Model):
    name = models.CharField(_("名称"), max_length=60, unique=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    duty_phone = models.CharField(_("值班电话"), max_length=20, blank=True)
    township = models.ForeignKey("buildings.Region", on_delete=models.PROTECT, null=True,
                                 blank=True, related_name="communities",
                                 verbose_name=_("所属乡镇"))

    class Meta:
        verbose_name = _("社区")
        verbose_name_plural = _("社区")

    def __str__(self) -> str:
        return self.name


class Grid(MP_Node):
    """A grid (网格). Level 1 is the community's, level 3 the smallest."""

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="grids", verbose_name=_("社区")
    )
    name = models.CharField(_("名称"), max_length=60)
    code = models.CharField(_("编号"), max_length=30, unique=True)

    node_order_by = ["code"]

    class Meta:
        verbose_name = _("网格")
        verbose_name_plural = _("网格")

    def __str__(self) -> str:
        return f"{self.name}（{self.get_level_display()}）"

    @property
    def level(self) -> int:
        return self.depth

    def get_level_display(self) -> str:
        try:
            return GridLevel(self.depth).label
        except ValueError:
            return str(self.depth)


def grid_paths_up(path: str) -> list[str]:
    """The tree paths of a grid and of every grid above it, the level-1 grid first.

    The grid itself counts: a grid worker looks after their grid and all below it,
    so "the grid workers of a grid or of one above it" include the grid's own
    (DESIGN.md, "The places"). The one place that walks up the tree; a caller that
    wants only the grids above (to escalate past the grid) drops the last, ``[:-1]``.
    """
    step = Grid.steplen
    return [path[:end] for end in range(step, len(path) + 1, step)]


class Building(models.Model):
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="buildings", verbose_name=_("社区")
    )
    grid = models.ForeignKey(
        Grid, on_delete=models.PROTECT, related_name="buildings", verbose_name=_("所属网格")
    )
    number = models.PositiveIntegerField(_("楼号"))
    name = models.CharField(_("名称"), max_length=40, blank=True, help_text=_("例如：3栋"))
    floors = models.PositiveSmallIntegerField(_("层数"), default=6)
    # Where it stands (WGS-84, as phones and hotline platforms send it): a point
    # reported through Open311 is matched to the nearest building or place.
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True,
                                   blank=True, validators=[MinValueValidator(-90),
                                                           MaxValueValidator(90)])
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True,
                                    blank=True, validators=[MinValueValidator(-180),
                                                            MaxValueValidator(180)])

    class Meta:
        verbose_name = _("楼栋")
        verbose_name_plural = _("楼栋")
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["community", "number"], name="building_number_unique")
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return self.name or f"{self.number}栋"


class Unit(models.Model):
    building = models.ForeignKey(
        Building, on_delete=models.CASCADE, related_name="units", verbose_name=_("楼栋")
    )
    number = models.PositiveSmallIntegerField(_("单元号"))

    class Meta:
        verbose_name = _("单元")
        verbose_name_plural = _("单元")
        ordering = ["building__number", "number"]
        constraints = [
            models.UniqueConstraint(fields=["building", "number"], name="unit_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.building.label} {self.number}单元"


class Household(models.Model):
    """A flat (户). The register's contact phone is for staff only."""

    unit = models.ForeignKey(
        Unit, on_delete=models.CASCADE, related_name="households", verbose_name=_("单元")
    )
    floor = models.SmallIntegerField(_("楼层"))
    number = models.CharField(_("门牌号"), max_length=10, help_text=_("例如：501"))
    head_name = models.CharField(_("户主姓名"), max_length=40, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    members = models.PositiveSmallIntegerField(_("人口数"), default=1)
    origin_village = models.CharField(_("搬迁前村屯"), max_length=60, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("住户（户）")
        verbose_name_plural = _("住户（户）")
        ordering = ["unit__building__number", "unit__number", "floor", "number"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "number"], name="household_number_unique")
        ]

    def __str__(self) -> str:
        return self.address

    @property
    def address(self) -> str:
        return f"{self.unit.building.label} {self.unit.number}单元 {self.number}"

    @property
    def masked_address(self) -> str:
        """The building and unit, not the flat: enough for neighbours, not for strangers."""
        return f"{self.unit.building.label} {self.unit.number}单元 ***"

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def building(self) -> Building:
        return self.unit.building


class PublicPlace(models.Model):
    """A place that is nobody's flat: a stairwell, a square, a road, a pump house."""

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="places", verbose_name=_("社区")
    )
    grid = models.ForeignKey(
        Grid, on_delete=models.PROTECT, related_name="places", verbose_name=_("所属网格")
    )
    building = models.ForeignKey(
        Building,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="places",
        verbose_name=_("楼栋"),
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.CASCADE, null=True, blank=True, verbose_name=_("单元")
    )
    kind = models.CharField(_("类型"), max_length=20, choices=PlaceKind.choices)
    name = models.CharField(_("名称"), max_length=60)
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True,
                                   blank=True, validators=[MinValueValidator(-90),
                                                           MaxValueValidator(90)])
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True,
                                    blank=True, validators=[MinValueValidator(-180),
                                                            MaxValueValidator(180)])

    class Meta:
        verbose_name = _("公共场所")
        verbose_name_plural = _("公共场所")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Residency(models.Model):
    """住户关系: a person lives in a household, once someone responsible says so."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="residencies",
        verbose_name=_("居民"),
    )
    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="residencies", verbose_name=_("住户")
    )
    relation = models.CharField(
        _("与户主关系"), max_length=10, choices=Relation.choices, default=Relation.FAMILY
    )
    claimant_name = models.CharField(_("申请人姓名"), max_length=40, blank=True)
    state = models.CharField(
        _("状态"),
        max_length=12,
        choices=ResidencyState.choices,
        default=ResidencyState.PENDING,
        db_index=True,
    )
    claimed_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("处理人"),
    )
    reason = models.CharField(_("原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("住户关系")
        verbose_name_plural = _("住户关系")
        ordering = ["-claimed_at"]
        constraints = [
            # A person has at most one open claim or residency per household.
            models.UniqueConstraint(
                fields=["user", "household"],
                condition=models.Q(state__in=["pending", "verified"]),
                name="residency_one_open_per_household",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.household}"

    @property
    def name_differs_from_register(self) -> bool:
        """Says 户主 but is not the register's head of household: worth a question."""
        def plain(name: str) -> str:
            return "".join((name or "").split())

        return (self.relation == Relation.HEAD and bool(self.claimant_name)
                and bool(self.household.head_name)
                and plain(self.claimant_name) != plain(self.household.head_name))


class Department(models.Model):
    """承办部门: property management, the water company, the police room, a bureau."""

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="departments", verbose_name=_("社区")
    )
    name = models.CharField(_("名称"), max_length=60)
    kind = models.CharField(_("类型"), max_length=20, choices=DepartmentKind.choices)
    phone = models.CharField(_("电话"), max_length=20, blank=True)
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("负责人"),
        help_text=_("催办时通知此人"),
    )

    class Meta:
        verbose_name = _("承办部门")
        verbose_name_plural = _("承办部门")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class _Assignment(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("人员"),
    )
    since = models.DateField(_("任职起"), default=timezone.localdate)

    class Meta:
        abstract = True


class BuildingHead(_Assignment):
    """楼栋长 of one building. A person may head several."""

    building = models.ForeignKey(
        Building, on_delete=models.CASCADE, related_name="heads", verbose_name=_("楼栋")
    )
    may_publish_directly = models.BooleanField(
        _("可直接发布通知"), default=False, help_text=_("不经审核直接发布本楼栋通知")
    )

    class Meta:
        verbose_name = _("楼栋长")
        verbose_name_plural = _("楼栋长")
        constraints = [
            models.UniqueConstraint(fields=["user", "building"], name="building_head_unique")
        ]

    def __str__(self) -> str:
        return f"{self.building} 楼栋长 {self.user}"


class GridWorker(_Assignment):
    """网格员 of one grid, and so of every grid below it."""

    grid = models.ForeignKey(
        Grid, on_delete=models.CASCADE, related_name="workers", verbose_name=_("网格")
    )

    class Meta:
        verbose_name = _("网格员")
        verbose_name_plural = _("网格员")
        constraints = [models.UniqueConstraint(fields=["user", "grid"], name="grid_worker_unique")]

    def __str__(self) -> str:
        return f"{self.grid} 网格员 {self.user}"


class DepartmentHandler(_Assignment):
    """A person who handles cases for a department (承办人)."""

    department = models.ForeignKey(
        Department, on_delete=models.CASCADE, related_name="handlers", verbose_name=_("部门")
    )

    class Meta:
        verbose_name = _("承办人")
        verbose_name_plural = _("承办人")
        constraints = [
            models.UniqueConstraint(fields=["user", "department"], name="department_handler_unique")
        ]

    def __str__(self) -> str:
        return f"{self.department} {self.user}"


class LiaisonStaff(_Assignment):
    """干群连心室 staff: answers the chat, registers walk-in and phone cases."""

    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="liaison_staff", verbose_name=_("社区")
    )

    class Meta:
        verbose_name = _("连心室值班人员")
        verbose_name_plural = _("连心室值班人员")
        constraints = [
            models.UniqueConstraint(fields=["user", "community"], name="liaison_staff_unique")
        ]

    def __str__(self) -> str:
        return f"{self.community} 连心室 {self.user}"


class CommunityAdmin(_Assignment):
    """社区管委会 / 综治中心: configures, supervises, reads the statistics."""

    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="admins", verbose_name=_("社区")
    )

    class Meta:
        verbose_name = _("社区管理员")
        verbose_name_plural = _("社区管理员")
        constraints = [
            models.UniqueConstraint(fields=["user", "community"], name="community_admin_unique")
        ]

    def __str__(self) -> str:
        return f"{self.community} 管理员 {self.user}"


class RegisterImport(models.Model):
    """One upload of the relocation office's spreadsheet: who, when, what, and the report.

    Made at the preview (state ``previewed``) with the checked plan as JSON, so
    the preview survives between requests; ``buildings.services.register_import``
    applies it all or nothing and marks it ``applied``. Kept as the record.
    """

    class State(models.TextChoices):
        PREVIEWED = "previewed", _("待确认")
        APPLIED = "applied", _("已导入")

    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="imports", verbose_name=_("社区")
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("上传人"),
    )
    file_name = models.CharField(_("文件名"), max_length=200)
    file_sha256 = models.CharField(_("文件校验值"), max_length=64)
    created_at = models.DateTimeField(_("上传时间"), default=timezone.now, db_index=True)
    state = models.CharField(
        _("状态"), max_length=12, choices=State.choices, default=State.PREVIEWED
    )
    plan = models.JSONField(_("导入计划"), default=dict)
    fingerprint = models.CharField(_("计划指纹"), max_length=64)
    new_count = models.PositiveIntegerField(_("新增户数"), default=0)
    unchanged_count = models.PositiveIntegerField(_("未变户数"), default=0)
    unit_count = models.PositiveIntegerField(_("新增单元数"), default=0)
    rejected_count = models.PositiveIntegerField(_("未通过行数"), default=0)
    applied_at = models.DateTimeField(_("导入时间"), null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("确认人"),
    )

    class Meta:
        verbose_name = _("登记册导入")
        verbose_name_plural = _("登记册导入")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.file_name}（{self.created_at:%Y-%m-%d %H:%M}）"


from .regions import Region, RegionAdmin  # noqa: E402,F401  (models of this app)
