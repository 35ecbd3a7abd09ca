"""allauth's documented seams, made for mainland phone numbers and our SMS sender."""

from __future__ import annotations

import secrets

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .auth_forms import PENDING_PASSWORD_KEY
from .clientip import client_ip
from .models import User
from .phones import normalize_phone
from .sms import send_sms, sms_quota_take


class MainlandPhoneField(forms.CharField):
    """Accepts 13812345678, 138 1234 5678 or +86 138…; cleans to +8613812345678."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("label", gettext_lazy("手机号"))
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={
                    "type": "tel",
                    "autocomplete": "tel",
                    "inputmode": "numeric",
                    "placeholder": "13812345678",
                }
            ),
        )
        kwargs.pop("validators", None)
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return value
        return normalize_phone(value)


def user_display(user) -> str:
    """How allauth names a person (ACCOUNT_USER_DISPLAY): never the generated username."""
    return user.display_name or user.get_full_name() or user.masked_phone or str(_("您"))


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "incorrect_code": gettext_lazy("验证码不对。"),
        "phone_taken": gettext_lazy("这个手机号已经注册过了，请直接用它登录。"),
    }

    def phone_form_field(self, **kwargs):
        return MainlandPhoneField(**kwargs)

    def clean_phone(self, phone: str) -> str:
        try:
            return normalize_phone(phone)
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages) from exc

    def get_client_ip(self, request) -> str:
        # Every rate limit of allauth counts by this; see portal.clientip.
        return client_ip(request)

    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        """The key that failed passwords are counted under: the phone number.

        allauth builds it from ``email``/``username``, which phone sign-in does
        not send, so every number shared one empty key and five wrong passwords
        for any number locked everyone out. allauth calls this both when it
        counts a failure and when a password reset clears the count.
        """
        phone = credentials.get("phone")
        if not phone:
            return super()._get_login_attempts_cache_key(request, **credentials)
        try:
            phone = normalize_phone(phone)
        except ValidationError:
            phone = phone.strip().lower()
        return f"phone:{phone}"

    def send_verification_code_sms(self, user, phone: str, code: str, **kwargs) -> None:
        send_sms(
            phone=phone,
            text=_("【仫佬家园】您的验证码是 %(code)s，5分钟内有效。请勿告诉他人。") % {"code": code},
            purpose="verification_code",
            strict=True,
        )

    def send_unknown_account_sms(self, phone: str, **kwargs) -> None:
        # A code asked for an unregistered number: the page answers as if one
        # was sent (portal.auth_forms.PhoneLoginForm), and nothing is sent, so
        # the form tells nobody which numbers are registered and nobody can
        # have texts sent to a stranger at our cost. The number's SMS caps
        # are counted all the same, so that they too trip alike.
        sms_quota_take(phone, spend=False)

    def send_account_already_exists_sms(self, phone: str) -> None:
        send_sms(
            phone=phone,
            text=_("【仫佬家园】此号码已注册，请直接用验证码登录。"),
            purpose="account_exists",
            strict=True,
        )

    def set_phone(self, user, phone: str, verified: bool) -> None:
        user.phone = phone
        user.phone_verified = verified
        if user.pk:
            user.save(update_fields=["phone", "phone_verified"])

    def get_phone(self, user) -> tuple[str, bool] | None:
        if user.phone:
            return user.phone, user.phone_verified
        return None

    def set_phone_verified(self, user, phone: str) -> None:
        user.phone = phone
        user.phone_verified = True
        fields = ["phone", "phone_verified"]
        # A password typed when signing up again into an unfinished account
        # (portal.auth_forms.PhoneSignupForm) counts only now the number is proved.
        request = context.request
        pending = request.session.pop(PENDING_PASSWORD_KEY, None) if request else None
        if pending and pending.get("user") == user.pk:
            user.password = pending["hash"]
            fields.append("password")
        user.save(update_fields=fields)

    def get_user_by_phone(self, phone: str):
        return User.objects.filter(phone=phone).order_by("pk").first()

    def populate_username(self, request, user) -> None:
        # Nobody here invents, types or reads a username: people are named by
        # display_name or their masked number (user_display). It is random, so
        # it says nothing about the phone either.
        if not user.username:
            candidate = "u-" + secrets.token_hex(6)
            while User.objects.filter(username=candidate).exists():
                candidate = "u-" + secrets.token_hex(6)
            user.username = candidate


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin) -> bool:
        # WeChat sign-in is available only where a WeChat app is configured.
        return bool(getattr(settings, "WEIXIN_APP_ID", ""))
