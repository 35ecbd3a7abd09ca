from django.db import models
from django.utils.translation import gettext_lazy as _


class ResidencyState(models.TextChoices):
    PENDING = "pending", _("待认证")
    VERIFIED = "verified", _("已认证")
    REJECTED = "rejected", _("未通过")
    MOVED_OUT = "moved_out", _("已迁出")


class Relation(models.TextChoices):
    HEAD = "head", _("户主")
    FAMILY = "family", _("家庭成员")
    TENANT = "tenant", _("租住")
    OTHER = "other", _("其他")


class GridLevel(models.IntegerChoices):
    FIRST = 1, _("一级网格")
    SECOND = 2, _("二级网格")
    THIRD = 3, _("三级网格")


class PlaceKind(models.TextChoices):
    STAIRWELL = "stairwell", _("楼道")
    OUTDOOR = "outdoor", _("室外区域")
    FACILITY = "facility", _("公共设施")
    ROAD = "road", _("道路")


class DepartmentKind(models.TextChoices):
    PROPERTY = "property", _("物业")
    UTILITY = "utility", _("水电公司")
    POLICE = "police", _("警务室")
    MEDIATION = "mediation", _("调解室")
    BUREAU = "bureau", _("县直部门")
    COMMUNITY = "community", _("社区")
    OTHER = "other", _("其他")
