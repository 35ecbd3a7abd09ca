"""Working hours (``community.workdays``): deadlines counted in office hours, over lunch,
weekends and the holidays the admin entered."""

from datetime import datetime

import pytest
from django.utils import timezone

from community import workdays
from community.whistle.tests.test_services import FRIDAY_4PM

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("start, hours, due", [
    (datetime(2026, 11, 30, 9, 0), 2, datetime(2026, 11, 30, 11, 0)),
    (datetime(2026, 11, 30, 11, 0), 2, datetime(2026, 11, 30, 15, 30)),  # over lunch
    (datetime(2026, 11, 30, 7, 0), 4, datetime(2026, 11, 30, 12, 0)),   # before opening
    (datetime(2026, 11, 28, 10, 0), 4, datetime(2026, 11, 30, 12, 0)),  # a Saturday
    (datetime(2026, 11, 27, 16, 0), 4, datetime(2026, 11, 30, 10, 30)),  # Friday afternoon
])
def test_add_workhours(start, hours, due):
    tz = timezone.get_current_timezone()
    got = workdays.add_workhours(timezone.make_aware(start, tz), hours)
    assert got == timezone.make_aware(due, tz)
    assert workdays.workhours_between(timezone.make_aware(start, tz), got) == hours


def test_add_workhours_skips_a_holiday_the_admin_entered():
    from community.models import CalendarDay

    CalendarDay.objects.create(date=datetime(2026, 11, 30).date(), is_workday=False, note="测试")
    got = workdays.add_workhours(FRIDAY_4PM, 4)
    assert got == timezone.make_aware(datetime(2026, 12, 1, 10, 30))
