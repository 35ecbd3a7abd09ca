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
            _("请填写11位手机号码，例如 13812345678。"),
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


# Phone numbers written into free text ("电话13812345678", "138 1234 5678",
# "0772-1234567", "(0772)1234567", "座机 5123456"): what leaves the portal in
# someone else's words still must not carry a number in full.
_SEP = r"[\s\-]?"
_MOBILE_IN_TEXT = re.compile(
    rf"(?<![\d+])(?:(?:\+|00)?86{_SEP})?(1[3-9]\d){_SEP}(\d{{4}}){_SEP}(\d{{4}})(?!\d)")
_LANDLINE_IN_TEXT = re.compile(
    rf"(?<!\d)([(（]?0\d{{2,3}}[)）]?){_SEP}(\d{{3,4}}){_SEP}(\d{{4}})(?!\d)")
_LOCAL_IN_TEXT = re.compile(
    rf"((?:电话|手机|座机|联系|号码|tel|phone)[^\d\n]{{0,6}})(\d{{3,4}}){_SEP}(\d{{4}})(?!\d)",
    re.IGNORECASE)


def mask_phones_in_text(text: str) -> str:
    """Mask every mainland mobile and landline number in free text.

    Mobiles as ``mask_phone`` shows them (138****5678); landlines keep their
    area code and last two digits (0772-*****67); a bare local number after a
    word like 电话 or 座机 likewise.
    """
    if not text:
        return text or ""
    text = _MOBILE_IN_TEXT.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)
    text = _LANDLINE_IN_TEXT.sub(
        lambda m: (f"{m.group(1)}{'' if m.group(1).endswith((')', '）')) else '-'}"
                   f"{'*' * (len(m.group(2)) + 2)}{m.group(3)[-2:]}"), text)
    return _LOCAL_IN_TEXT.sub(
        lambda m: f"{m.group(1)}{'*' * (len(m.group(2)) + 2)}{m.group(3)[-2:]}", text)


def spaced(phone: str) -> str:
    """+8613900000123 -> 139 0000 0123: the number as people read it back."""
    digits = national(phone)
    if len(digits) != 11:
        return digits
    return f"{digits[:3]} {digits[3:7]} {digits[7:]}"
