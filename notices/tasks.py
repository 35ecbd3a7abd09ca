"""Periodic work for notices. Wagtail's scheduled publishing, and late acknowledgements."""

from django.core.management import call_command
from django_tasks import task

from portal.periodic import every


@every(seconds=60)
@task()
def publish_scheduled_notices() -> None:
    """Wagtail's own scheduled publishing (go-live / expiry), ticked here so no cron is needed."""
    call_command("publish_scheduled", verbosity=0)


@every(seconds=3600)
@task()
def alert_overdue_acknowledgements() -> int:
    from .services import notices_alert_overdue

    return notices_alert_overdue()
