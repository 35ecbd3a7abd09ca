"""API keys of the external platforms, the log of every call, and submission tokens."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import MinLengthValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

KEY_PREFIX_LENGTH = 8
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def callback_url_allowed(value: str) -> None:
    """https anywhere; plain http only to this machine (a platform's test receiver)."""
    parts = urlsplit(value)
    host = (parts.hostname or "").lower()
    if parts.scheme == "https" and host:
        return
    if parts.scheme == "http" and host in LOOPBACK_HOSTS:
        return
    raise ValidationError(
        _("回调地址须为 https://…（本机测试可用 http://127.0.0.1）。"),
        code="callback_url",
    )


def new_callback_secret() -> str:
    return secrets.token_urlsafe(32)


class ApiKey(models.Model):
    """One key of one external platform (e.g. 罗城12345). Only its hash is stored."""

    platform = models.CharField(_("外部平台"), max_length=40,
                                help_text=_("例如：罗城12345。该平台提交的诉求记为此来源。"))
    prefix = models.CharField(_("密钥前缀"), max_length=KEY_PREFIX_LENGTH, editable=False,
                              db_index=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    active = models.BooleanField(_("启用"), default=True)
    sees_all_cases = models.BooleanField(
        _("可查看全部诉求"), default=False,
        help_text=_("不勾选：只能查看本平台提交的诉求。"))
    rate_per_minute = models.PositiveIntegerField(_("每分钟调用上限"), default=120)
    contact = models.CharField(_("对方联系人"), max_length=80, blank=True)
    callback_url = models.URLField(
        _("回调地址"), max_length=300, blank=True, validators=[callback_url_allowed],
        help_text=_("填写后，该平台提交的诉求每办理一步，就把最新状态（与 requests/{id}.json 相同）"
                    "POST 到此地址。须为 https。"))
    callback_secret = models.CharField(
        _("回调签名密钥"), max_length=80, default=new_callback_secret,
        validators=[MinLengthValidator(16)],
        help_text=_("对方用它验证 X-Jiayuan-Signature（HMAC-SHA256）。交给对方；改动即更换。"))
    media_hosts = models.TextField(
        _("允许取图的网址主机"), blank=True,
        help_text=_("每行一个，如 img.12345.example.cn 或 *.example.cn。只从这些主机下载平台发来的"
                    "图片（media_url）；留空则从不下载。内网或本机地址须逐个写明。"))
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("最近调用"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("接口密钥")
        verbose_name_plural = _("接口密钥")
        ordering = ["platform", "-created_at"]

    def __str__(self) -> str:
        return f"{self.platform} ({self.prefix}…)"

    def issue(self) -> str:
        """Give this key a new secret; return it (shown once, never stored)."""
        raw = "jy_" + secrets.token_urlsafe(30)
        self.prefix = raw[:KEY_PREFIX_LENGTH]
        self.key_hash = hash_key(raw)
        return raw

    def media_host_list(self) -> list[str]:
        return [h.strip().lower() for h in self.media_hosts.replace(",", "\n").splitlines()
                if h.strip()]

    @classmethod
    def find(cls, raw: str) -> ApiKey | None:
        if not raw:
            return None
        return cls.objects.filter(key_hash=hash_key(raw), active=True).first()


class ApiCall(models.Model):
    """One call to the API, answered or refused. Never edited."""

    key = models.ForeignKey(ApiKey, on_delete=models.SET_NULL, null=True, blank=True,
                            related_name="calls", verbose_name=_("接口密钥"))
    platform = models.CharField(_("外部平台"), max_length=40, blank=True)
    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    method = models.CharField(_("方法"), max_length=8)
    path = models.CharField(_("路径"), max_length=200)
    query = models.CharField(_("参数"), max_length=500, blank=True)
    status = models.PositiveSmallIntegerField(_("HTTP 状态"))
    error = models.CharField(_("错误"), max_length=200, blank=True)
    ip = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("耗时（毫秒）"), default=0)
    case_id = models.BigIntegerField(_("诉求编号"), null=True, blank=True)

    class Meta:
        verbose_name = _("接口调用记录")
        verbose_name_plural = _("接口调用记录")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.status}"


class MediaStatus(models.TextChoices):
    NONE = "", _("无图片")
    PENDING = "pending", _("待下载")
    ATTACHED = "attached", _("已附到诉求")
    FAILED = "failed", _("下载失败")


class RequestToken(models.Model):
    """The platform's request as it sent it: the token a POST answers with (GeoReport
    ``tokens/{id}``), tied to its case, and what the platform told us besides the
    case's own fields (``email``, ``media_url``, ``address_string``), with the
    outcome of fetching its photo."""

    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    key = models.ForeignKey(ApiKey, on_delete=models.SET_NULL, null=True, related_name="+")
    case = models.ForeignKey("community.Case", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    email = models.EmailField(_("来电人邮箱"), max_length=254, blank=True)
    address_string = models.CharField(_("平台给的地址"), max_length=200, blank=True)
    media_url = models.URLField(_("平台给的图片网址"), max_length=300, blank=True)
    media_status = models.CharField(_("图片"), max_length=10, choices=MediaStatus.choices,
                                    blank=True, default=MediaStatus.NONE)
    media_error = models.CharField(_("图片下载失败原因"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("提交凭证")
        verbose_name_plural = _("提交凭证")

    def __str__(self) -> str:
        return str(self.token)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    DELIVERED = "delivered", _("已送达")
    FAILED = "failed", _("多次失败，已放弃")
    DROPPED = "dropped", _("不再发送")


class CallbackDelivery(models.Model):
    """One update of a case, owed to one platform's callback URL (the outbox).

    Written in the case's transaction, posted after it (``services.callback_deliver``);
    every attempt is recorded here. Read only in the admin.
    """

    key = models.ForeignKey(ApiKey, on_delete=models.SET_NULL, null=True, blank=True,
                            related_name="deliveries", verbose_name=_("接口密钥"))
    platform = models.CharField(_("外部平台"), max_length=40)
    case = models.ForeignKey("community.Case", on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("诉求"))
    event_id = models.BigIntegerField(_("办理记录编号"), null=True, blank=True)
    event_kind = models.CharField(_("事项"), max_length=20)
    url = models.URLField(_("回调地址"), max_length=300)
    status = models.CharField(_("状态"), max_length=10, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    next_attempt_at = models.DateTimeField(_("下次尝试"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("最近尝试"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(_("对方 HTTP 状态"), null=True,
                                                       blank=True)
    last_error = models.CharField(_("最近错误"), max_length=300, blank=True)
    body = models.TextField(_("最近发送内容"), blank=True)

    class Meta:
        verbose_name = _("回调推送")
        verbose_name_plural = _("回调推送")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"],
                                name="open311_delivery_due")]

    def __str__(self) -> str:
        return f"#{self.case_id} {self.event_kind} → {self.platform}"


class PlatformUpdate(models.Model):
    """An update a platform sent us (``POST servicerequestupdates``), by its own id.

    The same (platform, update id) sent twice is one step of the case: the
    second call answers with the step the first one made.
    """

    platform = models.CharField(_("外部平台"), max_length=40)
    update_id = models.CharField(_("平台更新编号"), max_length=64)
    key = models.ForeignKey(ApiKey, on_delete=models.SET_NULL, null=True, related_name="+",
                            verbose_name=_("接口密钥"))
    case = models.ForeignKey("community.Case", on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("诉求"))
    event = models.ForeignKey("community.CaseEvent", on_delete=models.CASCADE, related_name="+",
                              verbose_name=_("办理记录"))
    external_status = models.CharField(_("平台状态"), max_length=40, blank=True)
    received_at = models.DateTimeField(_("接收时间"), default=timezone.now)

    class Meta:
        verbose_name = _("平台更新")
        verbose_name_plural = _("平台更新")
        constraints = [models.UniqueConstraint(fields=["platform", "update_id"],
                                               name="open311_platform_update_once")]

    def __str__(self) -> str:
        return f"{self.platform}:{self.update_id} → #{self.case_id}"
