"""``{{ text|mask_phones }}``: free text with its phone numbers masked (see ``portal.phones``)."""

from django import template

from portal.phones import mask_phones_in_text as _mask_phones

register = template.Library()


@register.filter
def mask_phones(value) -> str:
    return _mask_phones(str(value) if value is not None else "")
