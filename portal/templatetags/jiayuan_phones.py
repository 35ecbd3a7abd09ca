"""Phone numbers in templates: ``{{ text|mask_phones }}`` (free text with its numbers
masked) and ``{{ phone|phone_spaced }}`` (the number as people read it back)."""

from django import template

from portal.phones import mask_phones_in_text, spaced

register = template.Library()


@register.filter
def mask_phones(value) -> str:
    return mask_phones_in_text(str(value) if value is not None else "")


@register.filter
def phone_spaced(value) -> str:
    """+8613900000123 -> 139 0000 0123."""
    return spaced(str(value or ""))
