"""Ids, numbers and dates from a request or a socket frame, read one way.

``int()`` takes more than a person types: ``'٣'`` and ``'１２'`` parse,
``'²'`` passes ``str.isdigit()`` and then fails, ``' 1'`` is forgiven, and a
twenty-digit id overflows the database column. ``date.fromisoformat`` takes
year 1, which overflows the moment it meets a time zone. Everything a view or
consumer reads from the outside goes through these functions instead: they
accept ASCII digits only, within a range, and raise :class:`BadParameter`
otherwise.

``BadParameter`` is a ``django.core.exceptions.BadRequest``, so a view that
lets it go answers 400 through ``handler400`` (``portal.views.error_400``),
with the Chinese message; a view with its own error format (Open311, JSON
endpoints, the chat socket) catches it and answers in that format.
"""

from __future__ import annotations

import re
from datetime import date, datetime, tzinfo

from django.core.exceptions import BadRequest
from django.utils import timezone
from django.utils.dateparse import parse_datetime as _django_parse_datetime
from django.utils.translation import gettext as _

MAX_ID = 2**31 - 1  # an id column (PostgreSQL integer)
MIN_YEAR = 1900
MAX_YEAR = 2999
MAX_LENGTH = 40  # longer than any number or date we read; refused before parsing

_DIGITS = re.compile(r"[0-9]+")  # not \d: that matches every script's digits
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")

_MISSING = object()


class BadParameter(BadRequest):
    """A value from the request is not what it should be; ``message`` says so in words."""

    def __init__(self, message: str, *, name: str = ""):
        super().__init__(message)
        self.message = message
        self.name = name

    def __str__(self) -> str:
        return str(self.message)


def _absent(value) -> bool:
    return value is None or value == ""


def parse_int(value, *, name: str = "", min: int = 0, max: int = MAX_ID,  # noqa: A002
              default=_MISSING) -> int:
    """A whole number from ASCII digits (a leading ``-`` only if ``min`` is negative),
    ``min <= n <= max``. An ``int`` (from a JSON frame) is checked the same way; a
    bool, a float, ``Infinity`` are not numbers here. Empty or missing gives
    ``default``, or is refused if there is none."""
    if _absent(value) and default is not _MISSING:
        return default
    number = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and len(value) <= MAX_LENGTH:
        digits = value[1:] if value[:1] == "-" and min < 0 else value
        if _DIGITS.fullmatch(digits):
            number = int(value)
    if number is None or not min <= number <= max:
        raise BadParameter(_("“%(name)s”应为 %(min)s 到 %(max)s 之间的整数。")
                           % {"name": name or _("数字"), "min": min, "max": max}, name=name)
    return number


def parse_id(value, *, name: str = "", max: int = MAX_ID, default=_MISSING) -> int:  # noqa: A002
    """A database id: ASCII digits, 1 to ``max`` (the column's range by default)."""
    try:
        return parse_int(value, name=name, min=1, max=max, default=default)
    except BadParameter:
        raise BadParameter(_("“%(name)s”不是有效的编号。") % {"name": name or _("编号")},
                           name=name) from None


def parse_ids(values, *, name: str = "", max: int = MAX_ID) -> list[int]:  # noqa: A002
    """Several ids (``getlist``, or a comma-separated string split by the caller)."""
    return [parse_id(v, name=name, max=max) for v in values]


def _bad_date(name: str) -> BadParameter:
    return BadParameter(_("“%(name)s”不是有效的日期（%(low)s 到 %(high)s 年，例如 2026-11-30）。")
                        % {"name": name or _("日期"), "low": MIN_YEAR, "high": MAX_YEAR},
                        name=name)


def parse_date(value, *, name: str = "", default=_MISSING) -> date:
    """``YYYY-MM-DD`` in ASCII digits, a real day, between MIN_YEAR and MAX_YEAR."""
    if _absent(value) and default is not _MISSING:
        return default
    match = _DATE.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise _bad_date(name)
    try:
        day = date(*(int(g) for g in match.groups()))
    except ValueError:
        raise _bad_date(name) from None
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise _bad_date(name)
    return day


def parse_month(value, *, name: str = "", default=_MISSING, latest: date | None = None) -> date:
    """``YYYY-MM`` in ASCII digits: the first day of that month, from MIN_YEAR up to
    ``latest``'s month (today's by default), since a month to come has no figures."""
    if _absent(value) and default is not _MISSING:
        return default
    bad = BadParameter(_("“%(name)s”不是有效的月份（例如 2026-11）。")
                       % {"name": name or _("月份")}, name=name)
    match = _MONTH.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise bad
    year, month = (int(g) for g in match.groups())
    if not (MIN_YEAR <= year <= MAX_YEAR and 1 <= month <= 12):
        raise bad
    first = date(year, month, 1)
    if first > (latest or timezone.localdate()).replace(day=1):
        raise BadParameter(_("“%(name)s”不能是还没到的月份。") % {"name": name or _("月份")},
                           name=name)
    return first


def parse_datetime(value, *, name: str = "", default=_MISSING,
                   tz: tzinfo | None = None) -> datetime:
    """An ISO 8601 / W3C date and time (or a bare date, read as its midnight) in ASCII,
    between MIN_YEAR and MAX_YEAR, always aware: without an offset it is read in
    ``tz`` (the current time zone by default)."""
    if _absent(value) and default is not _MISSING:
        return default
    bad = BadParameter(_("“%(name)s”不是有效的时间（%(low)s 到 %(high)s 年，"
                         "例如 2026-11-30T08:00:00+08:00）。")
                       % {"name": name or _("时间"), "low": MIN_YEAR, "high": MAX_YEAR},
                       name=name)
    if not isinstance(value, str) or not value.isascii() or len(value) > MAX_LENGTH \
            or not value[:1].isdigit():
        raise bad
    try:
        parsed = _django_parse_datetime(value)
        if parsed is None and _DATE.fullmatch(value):
            parsed = datetime.combine(parse_date(value, name=name), datetime.min.time())
    except (ValueError, BadParameter):
        raise bad from None
    if parsed is None or not MIN_YEAR <= parsed.year <= MAX_YEAR:
        raise bad
    if parsed.tzinfo is None:
        parsed = timezone.make_aware(parsed, tz or timezone.get_current_timezone())
    return parsed
