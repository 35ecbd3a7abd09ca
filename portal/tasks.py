"""The portal's periodic jobs (found by ``portal.periodic.discover``)."""

from django_tasks import task

from .periodic import every
from .privacy import retention_sweep


@every(seconds=6 * 60 * 60)
@task()
def remove_old_media() -> dict:
    """Photos and voice notes of cases and chats that ended long ago (``RetentionSettings``)."""
    return retention_sweep()


# Daily: files of uploads whose transaction rolled back (defined beside the sweep).
from .orphans import sweep_orphaned_uploads  # noqa: E402, F401
