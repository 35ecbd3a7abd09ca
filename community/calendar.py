"""A year's holidays and make-up working days, entered in one go.

``chinese-calendar`` knows the State Council's schedule up to 2026 and there is
no newer release; from then on the admin enters each year when the notice is
published. Without it, deadlines would count 元旦 and 春节 as working days and
the 督办 ladder would fire through the Spring Festival. So:

- ``calendar_gaps`` tells which years within the coming 90 days nobody knows
  (neither the library nor an admin's entries): the dashboard warns, and the
  admins get a notification once per year;
- ``parse_schedule`` reads the notice as typed lines or an ``.ics`` file into a
  ``Schedule`` (a pure plan: nothing here writes), which the admin previews;
- ``calendar_year_apply`` stores it and recomputes the deadlines of the open
  cases, in one transaction, with audit rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import chinese_calendar
from django.core.cache import cache
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from buildings.models import CommunityAdmin
from portal.errors import Refused
from portal.i18n import later
from portal.services import audit, notify_many

from . import workdays
from .choices import WORKING_STATES, EventKind
from .models import CalendarDay, Case, CaseEvent

HORIZON_DAYS = 90


class ScheduleError(Refused, ValueError):
    """A line of the schedule that cannot be read; the message says which and why."""


def library_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def calendar_gaps(*, today: date | None = None, horizon: int = HORIZON_DAYS) -> list[int]:
    """Years touched by the next ``horizon`` days that neither the library nor the
    admin's calendar entries know."""
    today = today or timezone.localdate()
    years = range(today.year, (today + timedelta(days=horizon)).year + 1)
    entered = {d.year for d in CalendarDay.objects.filter(date__year__in=list(years))
               .dates("date", "year")}
    return [y for y in years if not library_knows(y) and y not in entered]


@dataclass
class Schedule:
    year: int
    holidays: dict[date, str] = field(default_factory=dict)
    workdays: dict[date, str] = field(default_factory=dict)

    def days(self) -> list[tuple[date, bool, str]]:
        rows = [(d, False, n) for d, n in self.holidays.items()]
        rows += [(d, True, n) for d, n in self.workdays.items()]
        return sorted(rows)

    def is_workday(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def working_days(self) -> int:
        start = date(self.year, 1, 1)
        return sum(1 for i in range((date(self.year + 1, 1, 1) - start).days)
                   if self.is_workday(start + timedelta(days=i)))

    def months(self) -> list[dict]:
        """Per month: the days off on weekdays and the make-up days, for the preview."""
        out = []
        for m in range(1, 13):
            off = sorted(d for d in self.holidays if d.month == m)
            on = sorted(d for d in self.workdays if d.month == m)
            first = date(self.year, m, 1)
            last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
            count = sum(1 for i in range(last.day) if self.is_workday(first + timedelta(days=i)))
            out.append({"month": m, "off": off, "on": on, "working": count})
        return out


_DATE = r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?"
_SHORT = r"(?:(\d{1,2})[-/.月])?(\d{1,2})日?"
_LINE = re.compile(
    rf"^\s*(?P<kind>上班|调休上班|补班|放假|休息)?\s*[:：]?\s*(?P<start>{_DATE})"
    rf"(?:\s*(?:至|到|~|～|—|–|-)\s*(?P<end>{_DATE}|{_SHORT}))?\s*(?P<kind2>上班|补班|放假|休息)?"
    rf"\s*(?P<note>.*)$"
)


def _day(y: str, m: str, d: str, where: str) -> date:
    try:
        return date(int(y), int(m), int(d))
    except ValueError as exc:
        raise ScheduleError(_("%(where)s：日期不对。") % {"where": where}) from exc


def parse_schedule(*, year: int, text: str = "", ics: bytes | None = None) -> Schedule:
    """Read the State Council notice as lines, or an .ics calendar, for ``year``.

    Lines: ``2027-01-01 至 2027-01-03 元旦`` (days off; the end may be short,
    ``至 01-03`` or ``至 3日``) and ``上班 2027-02-07 春节调休`` (a make-up working
    day; ``补班`` works too). Blank lines and lines starting with ``#`` are skipped.
    In an .ics file, an all-day event whose name contains 班 is a working day,
    any other is days off.
    """
    schedule = Schedule(year=year)
    if ics:
        _read_ics(schedule, ics)
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = _("第 %(n)d 行") % {"n": number}
        m = _LINE.match(line)
        if not m:
            raise ScheduleError(_("%(where)s：看不懂“%(line)s”，请写成“2027-01-01 至 2027-01-03 元旦”"
                                  "或“上班 2027-02-07”。") % {"where": where, "line": line[:40]})
        start = _day(*re.match(_DATE, m["start"]).groups(), where)
        end = start
        if m["end"]:
            full = re.match(_DATE, m["end"])
            if full:
                end = _day(*full.groups(), where)
            else:
                mm, dd = re.match(_SHORT, m["end"]).groups()
                end = _day(str(start.year), mm or str(start.month), dd, where)
        kind = m["kind"] or m["kind2"] or ""
        _add(schedule, start, end, working=kind in ("上班", "调休上班", "补班"),
             note=m["note"].strip()[:40], where=where)
    if not schedule.holidays and not schedule.workdays:
        raise ScheduleError(_("没有读到任何日期。"))
    return schedule


def _add(schedule: Schedule, start: date, end: date, *, working: bool, note: str,
         where: str) -> None:
    if end < start:
        raise ScheduleError(_("%(where)s：结束日期早于开始日期。") % {"where": where})
    if (end - start).days > 31:
        raise ScheduleError(_("%(where)s：一段假期不能超过31天。") % {"where": where})
    for i in range((end - start).days + 1):
        day = start + timedelta(days=i)
        if day.year != schedule.year:
            raise ScheduleError(_("%(where)s：%(day)s 不在 %(year)d 年。")
                                % {"where": where, "day": day.isoformat(), "year": schedule.year})
        other = schedule.holidays if working else schedule.workdays
        if day in other:
            raise ScheduleError(_("%(where)s：%(day)s 既是放假又是上班。")
                                % {"where": where, "day": day.isoformat()})
        (schedule.workdays if working else schedule.holidays)[day] = note


def _read_ics(schedule: Schedule, data: bytes) -> None:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScheduleError(_("日历文件不是 UTF-8 文本。")) from exc
    if "BEGIN:VCALENDAR" not in text:
        raise ScheduleError(_("这不是 .ics 日历文件。"))
    # Unfold continuation lines (RFC 5545 3.1), then read each VEVENT.
    text = re.sub(r"\r?\n[ \t]", "", text)
    for number, block in enumerate(re.findall(r"BEGIN:VEVENT(.*?)END:VEVENT", text, re.S), 1):
        where = _("第 %(n)d 个日程") % {"n": number}
        props = {}
        for line in block.splitlines():
            name, sep, value = line.partition(":")
            if sep:
                props[name.split(";")[0].upper()] = value.strip()
        start_raw = props.get("DTSTART", "")
        if not re.fullmatch(r"\d{8}", start_raw[:8]):
            raise ScheduleError(_("%(where)s：没有开始日期。") % {"where": where})
        start = _day(start_raw[:4], start_raw[4:6], start_raw[6:8], where)
        end = start
        end_raw = props.get("DTEND", "")
        if re.fullmatch(r"\d{8}", end_raw[:8]):
            # DTEND of an all-day event is the day after the last one.
            end = max(start, _day(end_raw[:4], end_raw[4:6], end_raw[6:8], where)
                      - timedelta(days=1))
        summary = props.get("SUMMARY", "").replace("\\,", ",")
        if start.year != schedule.year and end.year != schedule.year:
            continue
        _add(schedule, max(start, date(schedule.year, 1, 1)),
             min(end, date(schedule.year, 12, 31)), working="班" in summary,
             note=summary[:40], where=where)


def calendar_year_apply(*, actor, schedule: Schedule) -> dict:
    """Replace the year's calendar entries with ``schedule`` and recount the
    deadlines of the open cases that the year touches.

    One transaction; an audit row for the calendar and one per case whose
    deadline moved (old and new). Returns the counts for the admin's message.
    """

    year = schedule.year
    with transaction.atomic():
        removed, _kinds = CalendarDay.objects.filter(date__year=year).delete()
        days = CalendarDay.objects.bulk_create(
            CalendarDay(date=d, is_workday=working, note=note)
            for d, working, note in schedule.days())
        first = CalendarDay.objects.get(date=days[0].date)
        audit(actor=actor, action="calendar.year_set", target=first,
              year=year, holidays=len(schedule.holidays), workdays=len(schedule.workdays),
              replaced=removed)
        moved = 0
        cases = (Case.objects.select_for_update()
                 .filter(status__in=WORKING_STATES, due_at__isnull=False,
                         due_at__gte=timezone.make_aware(datetime(year - 1, 12, 1)))
                 .select_related("category"))
        cases = list(cases)
        # A deadline is counted from the last reopening, or else from the filing.
        reopened = dict(CaseEvent.objects.filter(case__in=cases, kind=EventKind.REOPEN)
                        .values("case_id").annotate(last=Max("at")).values_list("case_id", "last"))
        for case in cases:
            if case.category is None:
                continue
            basis = reopened.get(case.pk) or case.created_at
            new = workdays.deadline(basis, case.category.days_for(case.priority))
            if new != case.due_at:
                audit(actor=actor, action="case.deadline_recounted", target=case,
                      old=case.due_at.isoformat(), new=new.isoformat(), year=year)
                case.due_at = new
                case.save(update_fields=["due_at"])
                moved += 1
    return {"year": year, "days": len(schedule.holidays) + len(schedule.workdays),
            "cases": moved}


def calendar_warn_admins(*, today: date | None = None) -> list[int]:
    """Tell the community admins (once per missing year) that the holiday calendar
    runs out within the horizon. Returns the years warned about this time."""

    gaps = calendar_gaps(today=today)
    warned = []
    for year in gaps:
        if not cache.add(f"jy:calendar:warned:{year}", 1, 7 * 24 * 3600):
            continue
        admins = [a.user for a in CommunityAdmin.objects.select_related("user")]
        notify_many(
            recipients={u.pk: u for u in admins}.values(),
            title=gettext_lazy("节假日安排需要录入"),
            body=_later_year_body(year),
            url=reverse("community_calendar_year"),
        )
        warned.append(year)
    return warned


def _later_year_body(year: int):
    return later(gettext_lazy("%(year)d 年的法定节假日和调休还没有录入，办理时限会把节假日算作工作日。"
                              "请在后台“节假日与调休”里按国务院通知录入。"), year=year)
