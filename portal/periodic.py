"""Periodic background work, with no cron to set up.

Apps register jobs with ``@every(seconds=...)`` on a django-tasks task, in
their ``tasks.py``. Something must tick:

- on the embedded default, ``manage.py serve`` runs a ticker thread beside
  the web server; tasks run in-process (ImmediateBackend);
- in production, one ``manage.py ticker`` process enqueues the due tasks and
  the django-tasks database workers run them.

When a job last ran is kept in the database (``PeriodicRun``), so a restart
does not run everything again, and two tickers do not run a job twice in one
period.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import timedelta

from django.db import close_old_connections, transaction
from django.utils import timezone

from .discovery import app_modules
from .models import PeriodicRun

log = logging.getLogger("jiayuan.periodic")


@dataclass
class Job:
    name: str
    task: object
    seconds: int


REGISTRY: dict[str, Job] = {}


def every(*, seconds: int):
    """Register a django-tasks task to be enqueued every ``seconds``."""

    def decorator(task):
        name = getattr(task, "module_path", None) or f"{task.__module__}.{task.__name__}"
        REGISTRY[name] = Job(name=name, task=task, seconds=seconds)
        return task

    return decorator


def discover() -> None:
    """Import every app's ``tasks.py`` (libraries' too), so their ``@every`` jobs register."""
    app_modules("tasks", ours=False)


def run_due(now=None) -> list[str]:
    """Enqueue every job whose period has passed. Returns the names enqueued."""

    now = now or timezone.now()
    ran = []
    for job in list(REGISTRY.values()):
        with transaction.atomic():
            row, _ = PeriodicRun.objects.select_for_update().get_or_create(name=job.name)
            if row.last_run and row.last_run + timedelta(seconds=job.seconds) > now:
                continue
            row.last_run = now
            row.save(update_fields=["last_run"])
        try:
            job.task.enqueue()
            ran.append(job.name)
        except Exception:
            log.exception("periodic job %s failed", job.name)
    return ran


def tick_forever(interval: float = 30.0, stop: threading.Event | None = None) -> None:
    discover()
    stop = stop or threading.Event()
    while not stop.is_set():
        try:
            close_old_connections()
            run_due()
        except Exception:
            log.exception("ticker failed; will try again")
        finally:
            close_old_connections()
        stop.wait(interval)


def start_ticker_thread(interval: float = 30.0) -> threading.Event:
    stop = threading.Event()
    thread = threading.Thread(target=tick_forever, args=(interval, stop), daemon=True,
                              name="jiayuan-ticker")
    thread.start()
    return stop


