from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    WATER = "water", _("停水")
    POWER = "power", _("停电")
    MEETING = "meeting", _("会议")
    POLICY = "policy", _("政策")
    ACTIVITY = "activity", _("活动")
    SAFETY = "safety", _("安全")
    OTHER = "other", _("其他")


# Categories that reach people by SMS too: a cut or a danger cannot wait for
# someone to open the app.
URGENT_CATEGORIES = frozenset({Category.WATER, Category.POWER, Category.SAFETY})


class Audience(models.TextChoices):
    COMMUNITY = "community", _("全社区")
    GRIDS = "grids", _("指定网格")
    BUILDINGS = "buildings", _("指定楼栋")


class AckMethod(models.TextChoices):
    APP = "app", _("本人在手机上确认")
    PHONE = "phone", _("电话告知")
    DOOR = "door", _("上门告知")


class ReadVia(models.TextChoices):
    WEB = "web", _("网页")
    QR = "qr", _("扫码")


class Receipt(models.IntegerChoices):
    """A household's state for one notice, in the order the overview lists them."""

    NOT_READ = 0, _("未读")
    READ = 1, _("已读未确认")
    ACKNOWLEDGED = 2, _("已确认")
