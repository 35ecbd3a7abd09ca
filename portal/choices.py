from django.db import models
from django.utils.translation import gettext_lazy as _


class Language(models.TextChoices):
    ZH_HANS = "zh-hans", "简体中文"
    EN = "en", "English"


class NotificationKind(models.TextChoices):
    GENERAL = "general", _("消息")
    RESIDENCY = "residency", _("住户认证")
    CASE = "case", _("诉求")
    NOTICE = "notice", _("通知")
    VOLUNTEER = "volunteer", _("志愿服务")
    CHAT = "chat", _("连心室")


class SmsStatus(models.TextChoices):
    QUEUED = "queued", _("待发送")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")
