"""The closed loop's periodic jobs: supervision, and closing what nobody rated."""

from django_tasks import task

from portal.periodic import every

from .services import cases_close_unrated, cases_supervise_due


@every(seconds=15 * 60)
@task()
def supervise_cases() -> dict:
    """Reminders, overdue, 催办 and 通报 (see ``cases_supervise_due``)."""
    return cases_supervise_due()


@every(seconds=60 * 60)
@task()
def close_unrated_cases() -> int:
    return cases_close_unrated()
