"""A year's holidays entered in one go: the warning, the preview, the recount."""

from datetime import date, datetime

import pytest
from django.utils import timezone

from community import workdays
from community.calendar import (
    ScheduleError,
    calendar_gaps,
    calendar_warn_admins,
    calendar_year_apply,
    parse_schedule,
)
from community.models import CalendarDay
from portal.models import AuditEntry, Notification

from .factories import case_in

TZ = timezone.get_current_timezone()

# The State Council's notice for 2027 as an admin would type it (dates as published
# in that notice's shape: ranges of days off, and the make-up working days).
NOTICE_2027 = """
# 2027 年部分节假日安排
2027-01-01 至 2027-01-03 元旦
2027-02-05 至 02-11 春节
上班 2027-02-13 春节调休
2027-04-05 清明节
"""

ICS_2027 = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"
    "BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20270101\r\nDTEND;VALUE=DATE:20270104\r\n"
    "SUMMARY:元旦\r\nEND:VEVENT\r\n"
    "BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20270205\r\nDTEND;VALUE=DATE:20270212\r\n"
    "SUMMARY:春节\r\nEND:VEVENT\r\n"
    "BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20270213\r\nDTEND;VALUE=DATE:20270214\r\n"
    "SUMMARY:春节调休\r\n 上班\r\nEND:VEVENT\r\n"
    "END:VCALENDAR\r\n"
).encode()


def test_the_library_runs_out_and_the_gap_is_seen_90_days_ahead(db):
    assert calendar_gaps(today=date(2026, 6, 1)) == []
    assert calendar_gaps(today=date(2026, 11, 30)) == [2027]
    CalendarDay.objects.create(date=date(2027, 1, 1), is_workday=False, note="元旦")
    assert calendar_gaps(today=date(2026, 11, 30)) == []


def test_a_typed_notice_and_an_ics_file_read_the_same():
    typed = parse_schedule(year=2027, text=NOTICE_2027)
    assert date(2027, 2, 8) in typed.holidays and date(2027, 2, 11) in typed.holidays
    assert typed.workdays == {date(2027, 2, 13): "春节调休"}
    from_ics = parse_schedule(year=2027, ics=ICS_2027)
    assert set(from_ics.holidays) == set(typed.holidays) - {date(2027, 4, 5)}
    assert set(from_ics.workdays) == {date(2027, 2, 13)}
    # The preview counts working days per month: February loses 5 weekdays, gains a Saturday.
    feb = typed.months()[1]
    assert feb["working"] == 20 - 5 + 1


@pytest.mark.parametrize("text, words", [
    ("明年春节放假", "看不懂"),
    ("2027-02-30 春节", "日期不对"),
    ("2027-02-11 至 2027-02-05", "结束日期早于开始日期"),
    ("2028-01-01 元旦", "不在 2027 年"),
    ("2027-01-01 元旦\n上班 2027-01-01", "既是放假又是上班"),
    ("", "没有读到任何日期"),
])
def test_a_schedule_that_cannot_be_read_says_which_line_and_why(text, words):
    with pytest.raises(ScheduleError) as err:
        parse_schedule(year=2027, text=text)
    assert words in str(err.value)


def test_applying_recounts_open_deadlines_with_audit_rows(world, settings):
    # A case filed on 2026-12-30 with 5 working days: without 2027's schedule the
    # deadline is Wednesday 2027-01-06 (1 Jan counted as a working day).
    case = case_in(world, "dispatched")
    filed = timezone.make_aware(datetime(2026, 12, 30, 10), TZ)
    type(case).objects.filter(pk=case.pk).update(created_at=filed)
    case.refresh_from_db()
    days = case.category.days_for(case.priority)
    type(case).objects.filter(pk=case.pk).update(due_at=workdays.deadline(filed, days))
    before = timezone.localtime(type(case).objects.get(pk=case.pk).due_at).date()

    done = calendar_year_apply(actor=world.admin,
                               schedule=parse_schedule(year=2027, text=NOTICE_2027))

    case.refresh_from_db()
    after = timezone.localtime(case.due_at).date()
    assert after > before  # 元旦 (Friday 1 Jan) is no longer counted as a working day
    assert not workdays.is_workday(date(2027, 1, 1))
    assert done["cases"] >= 1 and done["year"] == 2027
    assert AuditEntry.objects.filter(action="calendar.year_set").count() == 1
    row = AuditEntry.objects.get(action="case.deadline_recounted", object_id=str(case.pk))
    assert row.data["old"] != row.data["new"]
    # Entering the year again replaces it rather than adding to it.
    calendar_year_apply(actor=world.admin, schedule=parse_schedule(year=2027, text="2027-01-01 元旦"))
    assert CalendarDay.objects.filter(date__year=2027).count() == 1


def test_admins_are_told_once_per_missing_year(world):
    from django.core.cache import cache

    cache.clear()
    assert calendar_warn_admins(today=date(2026, 11, 30)) == [2027]
    assert calendar_warn_admins(today=date(2026, 12, 1)) == []
    note = Notification.objects.get(recipient=world.admin)
    assert "2027" in note.body and "节假日" in note.title


def test_the_admin_screen_previews_then_applies_and_only_for_admins(world, client):
    client.force_login(world.worker_a)
    assert client.get("/admin/calendar/year/").status_code in (302, 403)
    client.force_login(world.admin)
    page = client.get("/admin/", follow=True).content.decode()
    assert "还没有录入" in page
    preview = client.post("/admin/calendar/year/", {"year": "2027", "text": NOTICE_2027,
                                                    "preview": "1"})
    assert preview.status_code == 200
    assert "calendar-preview" in preview.content.decode()
    assert not CalendarDay.objects.exists()  # a preview writes nothing
    bad = client.post("/admin/calendar/year/", {"year": "2027", "text": "二月放假",
                                                "apply": "1"})
    assert bad.status_code == 200 and "看不懂" in bad.content.decode()
    assert not CalendarDay.objects.exists()
    done = client.post("/admin/calendar/year/", {"year": "2027", "text": NOTICE_2027,
                                                 "apply": "1"})
    assert done.status_code == 302
    assert CalendarDay.objects.filter(date__year=2027).count() == 3 + 7 + 1 + 1
    page = client.get("/admin/", follow=True).content.decode()
    assert "还没有录入" not in page
