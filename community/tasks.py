"""The closed loop's periodic jobs: supervision, and closing what nobody rated."""

from django_tasks import task

from portal.periodic import every

from .calendar import calendar_warn_admins
from .services import cases_close_unrated, cases_supervise_due
from .whistle.services import whistles_supervise_due


@every(seconds=15 * 60)
@task()
def supervise_cases() -> dict:
    """Reminders, overdue, 催办 and 通报 (see ``cases_supervise_due``)."""
    return cases_supervise_due()


@every(seconds=15 * 60)
@task()
def supervise_whistles() -> dict:
    """Late report-ins of a whistle climb the 督办 ladder (see ``whistles_supervise_due``)."""
    return whistles_supervise_due()


@every(seconds=60 * 60)
@task()
def close_unrated_cases() -> int:
    return cases_close_unrated()


@every(seconds=24 * 60 * 60)
@task()
def warn_calendar_gaps() -> list[int]:
    """Tell the admins when the holiday calendar runs out within 90 days."""
    return calendar_warn_admins()
