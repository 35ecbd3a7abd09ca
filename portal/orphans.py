"""Uploaded files that no row points to, removed after a grace period.

A photo or a voice note is written to storage before the row that points to
it is saved, inside the same transaction (the storage cannot take part in
the transaction). If the transaction rolls back (a rule refused the move,
the database was busy, the process died), the file stays behind with no row:
a private photo nobody can see or delete. Django has no "on rollback" hook,
so instead a daily job lists the folders our own file fields write to and
removes every file that is older than a day and that no row references.

The folders are those of every FileField of the project's own apps (found by
where the app lives, so a new app such as patrols is never forgotten) and of
Wagtail's images and documents: a notice's photo is a Wagtail image saved in
the notice's transaction, so a killed request leaves it behind the same way.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.apps import apps
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.utils import timezone
from django_tasks import task

from .discovery import is_ours
from .models import PeriodicRun
from .periodic import every
from .services import audit

log = logging.getLogger("jiayuan.orphans")

WAGTAIL_APPS = ("wagtailimages", "wagtaildocs")
"""Wagtail's apps whose files are written the same way: original images, renditions, documents."""
GRACE = timedelta(days=1)
"""A file younger than this may belong to a transaction that has not committed yet."""


def _swept(app_config) -> bool:
    """An app of this project (its code lives under BASE_DIR, outside .venv), or Wagtail's files."""
    return app_config.label in WAGTAIL_APPS or is_ours(app_config.path)


def _file_fields():
    for model in apps.get_models():
        meta = model._meta
        if not _swept(meta.app_config) or meta.abstract or meta.proxy or not meta.managed:
            continue  # not ours, or no table of its own
        for field in model._meta.get_fields():
            if isinstance(field, models.FileField) and field.concrete:
                yield model, field


def _folder(model, field) -> str:
    """The top folder of every name ``field`` writes: ``cases/``, ``patrols/``, ``documents/``.

    Asked of the field itself, as Django names a file (``upload_to="documents"``
    writes ``documents/<name>``, with no slash in the setting).
    """
    sample = field.generate_filename(model(), "x.bin")
    return sample.split("/", 1)[0] + "/" if "/" in sample else ""


def upload_folders() -> dict[str, set[str]]:
    """Folder → the names stored in the database under it."""
    folders: dict[str, set[str]] = {}
    for model, field in _file_fields():
        folder = _folder(model, field)
        if not folder:
            continue  # a field writing to the top of MEDIA_ROOT: never swept
        names = folders.setdefault(folder, set())
        names.update(
            model._base_manager.exclude(**{field.name: ""}).exclude(**{f"{field.name}__isnull": True})
            .values_list(field.name, flat=True).iterator()
        )
    return folders


def _walk(storage, folder: str):
    try:
        dirs, files = storage.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return
    for name in files:
        yield f"{folder}{name}"
    for d in dirs:
        yield from _walk(storage, f"{folder}{d}/")


def media_sweep_orphans(*, now=None, grace: timedelta = GRACE, storage=None) -> dict:
    """Delete files under our upload folders that no row references and are older than ``grace``.

    Returns counts; writes one audit row when something was removed. Never
    touches a file that a row points to, nor one written in the last ``grace``.
    """

    storage = storage or default_storage
    now = now or timezone.now()
    cutoff = now - grace
    counts = {"checked": 0, "removed": 0, "kept_young": 0}
    removed = []
    for folder, referenced in upload_folders().items():
        for name in _walk(storage, folder):
            counts["checked"] += 1
            if name in referenced:
                continue
            if storage.get_modified_time(name) > cutoff:
                counts["kept_young"] += 1
                continue
            storage.delete(name)
            removed.append(name)
    counts["removed"] = len(removed)
    if removed:
        log.info("removed %d orphaned upload(s)", len(removed))
        run, _ = PeriodicRun.objects.get_or_create(name="portal.orphans.media_sweep_orphans")
        with transaction.atomic():
            audit(actor=None, action="media.sweep_orphans", target=run,
                  removed=len(removed), sample=removed[:20])
    return counts


@every(seconds=24 * 60 * 60)
@task()
def sweep_orphaned_uploads() -> dict:
    """Daily: files of rolled-back uploads (see ``media_sweep_orphans``)."""
    return media_sweep_orphans()
