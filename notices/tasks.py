"""Periodic work for notices. Wagtail's scheduled publishing, and late acknowledgements."""

from django.core.management import call_command
from django_tasks import task

from portal.periodic import every

from .services import notices_alert_overdue, notices_publish_unreviewed_urgent


@every(seconds=60)
@task()
def publish_scheduled_notices() -> None:
    """Wagtail's own scheduled publishing (go-live / expiry), ticked here so no cron is needed."""
    call_command("publish_scheduled", verbosity=0)


@every(seconds=3600)
@task()
def alert_overdue_acknowledgements() -> int:
    return notices_alert_overdue()


@every(seconds=60)
@task()
def publish_unreviewed_urgent_notices() -> int:
    """An urgent notice nobody reviewed in time (通知设置) goes out anyway."""

    return notices_publish_unreviewed_urgent()
