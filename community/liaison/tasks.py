"""Background work of the liaison room."""

from django_tasks import task

from portal.periodic import every

from .services import unread_replies_remind


@every(seconds=60)
@task()
def remind_unread_replies() -> int:
    """SMS residents whose staff reply has been unread for a few minutes."""
    return unread_replies_remind()
