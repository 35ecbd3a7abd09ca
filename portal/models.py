"""Accounts, notifications, the SMS outbox, the audit trail and the home page."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting
from wagtail.models import Page

from .choices import Language, NotificationKind, SmsStatus
from .phones import mask_phone


class User(AbstractUser):
    """A person who signs in: a resident, or someone who also holds a role.

    Roles are not flags here: they are assignments in ``buildings`` (this
    building, this grid, this department), so what a person may do follows
    from where they are assigned.
    """

    phone = models.CharField(_("手机号"), max_length=20, unique=True, null=True, blank=True)
    phone_verified = models.BooleanField(_("手机号已验证"), default=False)
    display_name = models.CharField(_("称呼"), max_length=40, blank=True)
    language = models.CharField(
        _("语言"), max_length=10, choices=Language.choices, default=Language.ZH_HANS
    )
    large_type = models.BooleanField(_("大字模式"), default=False)
    erased_at = models.DateTimeField(
        _("注销时间"), null=True, blank=True, editable=False,
        help_text=_("账号已注销并匿名化（portal.privacy.account_erase）"),
    )

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.shown_name

    @property
    def shown_name(self) -> str:
        if self.erased_at:
            # Translated when shown, so the case history reads right in either language.
            return str(_("已注销居民"))
        return self.display_name or self.get_full_name() or self.masked_phone or self.username

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone) if self.phone else ""


class Notification(models.Model):
    """An in-app message to one person. Created only by ``portal.services.notify``."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("接收人"),
    )
    kind = models.CharField(
        _("类别"), max_length=20, choices=NotificationKind.choices, default=NotificationKind.GENERAL
    )
    title = models.CharField(_("标题"), max_length=120)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("站内通知")
        verbose_name_plural = _("站内通知")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return self.title


class SmsMessage(models.Model):
    """Every SMS the portal sends, whatever the sender: the outbox and the log."""

    phone = models.CharField(_("手机号"), max_length=20, db_index=True)
    text = models.TextField(_("内容"))
    purpose = models.CharField(_("用途"), max_length=40, blank=True)
    backend = models.CharField(_("通道"), max_length=20)
    status = models.CharField(
        _("状态"), max_length=10, choices=SmsStatus.choices, default=SmsStatus.QUEUED
    )
    provider_reply = models.TextField(_("通道回执"), blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("短信")
        verbose_name_plural = _("短信发件箱")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{mask_phone(self.phone)}: {self.text[:20]}"


class AuditEntry(models.Model):
    """One row for every state change made through a service: who, when, what."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("操作人"),
    )
    action = models.CharField(_("动作"), max_length=60, db_index=True)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.CharField(max_length=40)
    target = GenericForeignKey("content_type", "object_id")
    data = models.JSONField(_("详情"), default=dict, blank=True)
    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("操作记录")
        verbose_name_plural = _("操作记录")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.action} {self.content_type.model}#{self.object_id}"


HOME_PAGE_CACHE_KEY = "jy:home-page"


class HomePage(Page):
    """首页: the resident's start, assembled from what each app offers them."""

    max_count = 1

    class Meta:
        verbose_name = _("首页")

    def get_context(self, request, *args, **kwargs):
        from .selectors import page_sections  # noqa: PLC0415 (cycle: portal.selectors imports these models)

        context = super().get_context(request, *args, **kwargs)
        context["sections"] = page_sections("jiayuan_home_sections", request)
        return context


class PeriodicRun(models.Model):
    """When a periodic job was last enqueued (see ``portal.periodic``)."""

    name = models.CharField(max_length=200, unique=True)
    last_run = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("定时任务")
        verbose_name_plural = _("定时任务")

    def __str__(self) -> str:
        return self.name


@register_setting(icon="bin")
class RetentionSettings(BaseGenericSetting):
    """How long residents' photos and voice notes are kept once a case or chat has ended.

    ``portal.tasks.retention_sweep`` removes them (files and rows) after this
    many days; the case and conversation records themselves stay.
    """

    media_days = models.PositiveIntegerField(
        _("照片和语音保留天数"), default=365, validators=[MaxValueValidator(36500)],
        help_text=_("诉求办结或连心室会话结束多少天后，删除其中的照片和语音（记录本身保留）。"
                    "0 表示不自动删除。"),
    )

    class Meta:
        verbose_name = _("个人信息保留期限")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)
