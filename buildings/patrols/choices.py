from django.db import models
from django.utils.translation import gettext_lazy as _


class Finding(models.TextChoices):
    """What a visit found. Anything but ``NONE`` may become a case or a dispute."""

    DISPUTE = "dispute", _("矛盾纠纷苗头")
    SAFETY = "safety", _("安全隐患")
    HARDSHIP = "hardship", _("生活困难")
    FACILITY = "facility", _("设施损坏")
    NONE = "none", _("无异常")


class Met(models.TextChoices):
    HEAD = "head", _("户主")
    FAMILY = "family", _("家庭成员")
    NEIGHBOUR = "neighbour", _("邻居")
    NOBODY = "nobody", _("无人在家")


class Condition(models.TextChoices):
    GOOD = "good", _("良好")
    FAIR = "fair", _("一般")
    POOR = "poor", _("较差，需关注")


class GuideRole(models.TextChoices):
    JUDGE = "judge", _("法官")
    PROSECUTOR = "prosecutor", _("检察官")
    POLICE = "police", _("警官")


#: The care flags every community starts with: (name, visit every N days, report
#: to the admins N days past due). Migration 0002 made them; the demo makes any missing.
DEFAULT_KINDS = [
    ("独居老人", 7, 3),
    ("残疾", 14, 7),
    ("低保", 30, 7),
    ("新搬迁", 14, 7),
    ("留守儿童", 14, 7),
]
