"""Phone numbers in templates the way people write them: ``{{ phone|phone_spaced }}``."""

from django import template

from portal.phones import spaced

register = template.Library()


@register.filter
def phone_spaced(value) -> str:
    """+8613900000123 -> 139 0000 0123."""
    return spaced(str(value or ""))
