"""Working days in China: weekends, public holidays and the make-up working days (调休).

The admin's ``CalendarDay`` entries win; then ``chinese-calendar`` (which knows
the State Council schedule up to 2026); for later years with no entries, plain
Monday–Friday. Deadlines end at the close of a working day, local time.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import chinese_calendar
from django.utils import timezone

from .models import CalendarDay

END_OF_DAY = time(23, 59, 59)


def _overrides(start: date, end: date) -> dict[date, bool]:
    return dict(CalendarDay.objects.filter(date__gte=start, date__lte=end)
                .values_list("date", "is_workday"))


def _library_or_weekday(day: date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def is_workday(day: date, overrides: dict[date, bool] | None = None) -> bool:
    if overrides is None:
        overrides = _overrides(day, day)
    if day in overrides:
        return overrides[day]
    return _library_or_weekday(day)


def add_workdays(start: date, n: int) -> date:
    """The ``n``-th working day after ``start`` (``n == 0``: ``start`` itself if it is one,
    else the next working day)."""
    overrides = _overrides(start, start + timedelta(days=n * 3 + 30))
    day = start
    if n == 0:
        while not is_workday(day, overrides):
            day += timedelta(days=1)
        return day
    counted = 0
    while counted < n:
        day += timedelta(days=1)
        if is_workday(day, overrides):
            counted += 1
    return day


def workdays_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 if ``end <= start``)."""
    if end <= start:
        return 0
    overrides = _overrides(start, end)
    return sum(1 for i in range(1, (end - start).days + 1)
               if is_workday(start + timedelta(days=i), overrides))


def deadline(start: datetime, workdays: int) -> datetime:
    """The end of the ``workdays``-th working day after ``start``'s (local) date."""
    local = timezone.localtime(start).date()
    due = add_workdays(local, workdays)
    return timezone.make_aware(datetime.combine(due, END_OF_DAY))


# Office hours on a working day, local time: the limits of a report-in (吹哨报到)
# count these hours only, so a whistle blown at 17:00 on a Friday is due on Monday.
OFFICE_HOURS = ((time(8, 0), time(12, 0)), (time(14, 30), time(17, 30)))


def _windows(day: date):
    for lo, hi in OFFICE_HOURS:
        yield (timezone.make_aware(datetime.combine(day, lo)),
               timezone.make_aware(datetime.combine(day, hi)))


def add_workhours(start: datetime, hours: float) -> datetime:
    """The moment ``hours`` office hours (``OFFICE_HOURS`` on working days) after ``start``."""
    left = timedelta(hours=hours)
    if left <= timedelta(0):
        return start
    day = timezone.localtime(start).date()
    overrides = _overrides(day, day + timedelta(days=int(hours) // 7 * 3 + 60))
    cursor = start
    for _i in range(366 * 2):
        if is_workday(day, overrides):
            for lo, hi in _windows(day):
                begin = max(cursor, lo)
                if begin >= hi:
                    continue
                if left <= hi - begin:
                    return begin + left
                left -= hi - begin
        day += timedelta(days=1)
    raise ValueError("no working hours within two years")


def workhours_between(start: datetime, end: datetime) -> float:
    """Office hours from ``start`` to ``end`` (0 if ``end <= start``), in hours."""
    if end <= start:
        return 0.0
    first, last = timezone.localtime(start).date(), timezone.localtime(end).date()
    overrides = _overrides(first, last)
    total = timedelta(0)
    day = first
    while day <= last:
        if is_workday(day, overrides):
            for lo, hi in _windows(day):
                a, b = max(start, lo), min(end, hi)
                if b > a:
                    total += b - a
        day += timedelta(days=1)
    return round(total.total_seconds() / 3600, 2)
