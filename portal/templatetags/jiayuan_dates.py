"""Short dates in the reader's language: ``{{ case.created_at|when }}``.

Django's own named formats cover the long forms (``|date:"DATE_FORMAT"`` is
2026年11月26日 or Nov. 26, 2026). A phone list wants a shorter one without the
year, which Django has no name for, so the pattern itself is a translatable
string: 11月26日 08:30 in Chinese, Nov 26, 08:30 in English.

Loaded for every template (``builtins`` in the settings).
"""

from django import template
from django.utils.dateformat import format as format_date
from django.utils.timezone import template_localtime
from django.utils.translation import pgettext

register = template.Library()


def _format(value, pattern: str) -> str:
    if value in (None, ""):
        return ""
    try:
        return format_date(template_localtime(value), pattern)
    except (AttributeError, TypeError, ValueError):
        return ""


@register.filter
def when(value) -> str:
    """Month, day and time: 11月26日 08:30 / Nov 26, 08:30."""
    return _format(value, pgettext("date format: month, day, hour:minute", "n月j日 H:i"))


@register.filter
def day(value) -> str:
    """Month and day: 11月26日 / Nov 26."""
    return _format(value, pgettext("date format: month and day", "n月j日"))


@register.filter
def weekday_when(value) -> str:
    """Month, day, weekday and time: 11月26日 星期四 08:30 / Thursday, Nov 26, 08:30."""
    return _format(value, pgettext("date format: month, day, weekday, hour:minute", "n月j日 l H:i"))
