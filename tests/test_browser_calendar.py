"""The holiday calendar on a 360×740 phone: the admin is warned, enters the year, previews, saves.

``chinese-calendar`` knows no year after 2026. Without this, deadlines from 1 January
2027 would count 元旦 and 春节 as working days.
"""

import pytest
from django.utils import timezone

from tests.browser import shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOTICE = "{y}-01-01 至 {y}-01-03 元旦\n{y}-02-05 至 02-11 春节\n上班 {y}-02-13 春节调休"


def test_an_admin_enters_next_years_holidays_from_the_phone(phone, live_server, world):
    from community.calendar import calendar_gaps
    from community.models import CalendarDay
    from portal.models import AuditEntry

    # The library ends with 2026: from October 2026 on, some year within 90 days is unknown.
    gaps = calendar_gaps(today=timezone.localdate())
    assert gaps, "chinese-calendar knows the coming 90 days: nothing to warn about"
    year = gaps[0]
    page = phone
    page.set_default_timeout(60_000)  # the admin's first load fetches many static files
    sign_in(page.context, live_server.url, world.admin)
    page.goto(live_server.url + "/admin/", wait_until="domcontentloaded")
    warning = page.locator("#calendar-warning")
    assert str(year) in warning.inner_text()
    shot(page, "calendar-1-dashboard-warning")
    warning.get_by_role("link", name="录入全年节假日").click()
    page.wait_for_url("**/admin/calendar/year/")
    page.fill("#id_year", str(year))
    page.fill("#id_text", NOTICE.format(y=year))
    page.get_by_role("button", name="预览").click()
    page.wait_for_load_state()
    preview = page.locator("#calendar-preview")
    assert "2-13" in preview.inner_text()  # the make-up Saturday
    assert f"{year} 年共" in page.inner_text("main")
    assert not CalendarDay.objects.exists()
    shot(page, "calendar-2-preview")
    page.get_by_role("button", name="保存并重新计算办理时限").click()
    page.wait_for_url("**/admin/calendar/year/")
    assert "重新计算了" in page.inner_text("body")
    shot(page, "calendar-3-saved")
    assert CalendarDay.objects.filter(date__year=year).count() == 3 + 7 + 1
    assert AuditEntry.objects.filter(action="calendar.year_set").exists()
    page.goto(live_server.url + "/admin/", wait_until="domcontentloaded")
    assert page.locator("#calendar-warning").count() == 0
