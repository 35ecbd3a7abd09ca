from django.db import models
from django.utils.translation import gettext_lazy as _


class ConversationStatus(models.TextChoices):
    WAITING = "waiting", _("等待接待")
    OPEN = "open", _("接待中")
    CLOSED = "closed", _("已结束")


class SenderRole(models.TextChoices):
    RESIDENT = "resident", _("居民")
    STAFF = "staff", _("值班人员")
    SYSTEM = "system", _("系统")


class MessageKind(models.TextChoices):
    TEXT = "text", _("文字")
    PHOTO = "photo", _("照片")
    VOICE = "voice", _("语音")
    NOTICE = "notice", _("提示")
    CASE = "case", _("转为诉求")


class Weekday(models.IntegerChoices):
    MON = 0, _("星期一")
    TUE = 1, _("星期二")
    WED = 2, _("星期三")
    THU = 3, _("星期四")
    FRI = 4, _("星期五")
    SAT = 5, _("星期六")
    SUN = 6, _("星期日")
