"""The round's periodic job: overdue visits to flagged households reach the admins."""

from django_tasks import task

from portal.periodic import every

from .services import overdue_visits_report


@every(seconds=6 * 60 * 60)
@task()
def report_overdue_visits() -> int:
    return overdue_visits_report()
