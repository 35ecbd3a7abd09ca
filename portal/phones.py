"""Mainland mobile numbers: one way to read them, one way to show them.

Stored as E.164 (+8613812345678) because that is what allauth's phone support
expects; typed and shown the way people here write them (138 1234 5678).
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_MAINLAND_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def normalize_phone(raw: str) -> str:
    """Return the E.164 form of a mainland mobile number, or raise ValidationError."""
    digits = re.sub(r"[\s\-()]", "", raw or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if not _MAINLAND_MOBILE.match(digits):
        raise ValidationError(
            _("请填写11位手机号码，例如 13812345678。 Please enter an 11-digit mainland mobile number."),
            code="invalid_phone",
        )
    return "+86" + digits


def national(phone: str) -> str:
    """+8613812345678 -> 13812345678."""
    return phone[3:] if phone and phone.startswith("+86") else (phone or "")


def mask_phone(phone: str) -> str:
    """138****1234: enough to recognise, not enough to misuse."""
    digits = national(phone)
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}"


def spaced(phone: str) -> str:
    """+8613900000123 -> 139 0000 0123: the number as people read it back."""
    digits = national(phone)
    if len(digits) != 11:
        return digits
    return f"{digits[:3]} {digits[3:7]} {digits[7:]}"
