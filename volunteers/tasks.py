"""Background jobs: reminders before tasks start, and waiting-list offers that lapse."""

from django_tasks import task

from portal.periodic import every

from .services import claims_remind_upcoming, offers_expire


@every(seconds=300)
@task()
def remind_upcoming_tasks() -> int:
    return claims_remind_upcoming()


@every(seconds=120)
@task()
def expire_waitlist_offers() -> int:
    return offers_expire()
