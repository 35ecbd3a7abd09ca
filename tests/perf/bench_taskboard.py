"""The volunteer task board with 5,000 open tasks: median server time and query count.

Builds a throw-away SQLite file (or a ``bench_<name>`` database on
DATABASE_URL's PostgreSQL), loads the demo register and volunteers, adds
COUNT open tasks spread over the grids, and times the board in-process with
Django's test client. Prints figures; asserts nothing (the query budget is
asserted in volunteers/tests/test_views.py).

    .venv/bin/python tests/perf/bench_taskboard.py [COUNT] [RUNS]
"""

import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
COUNT = int(sys.argv[1]) if len(sys.argv) > 1 else 5_000
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 30
if not os.environ.get("DATABASE_URL"):
    TMP = Path(tempfile.mkdtemp(prefix="bench-board-")) / "bench.sqlite3"
    os.environ["DATABASE_URL"] = f"sqlite:///{TMP}"
os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings.test"

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402


def main() -> None:
    from django.core.management import call_command

    from buildings import demo as register_demo
    from buildings.models import Building
    from volunteers import demo as volunteers_demo
    from volunteers.choices import TaskKind, TaskState
    from volunteers.models import Task

    keep = connection.vendor == "postgresql"
    # Its own database, never the one the test suite reuses.
    connection.settings_dict.setdefault("TEST", {})["NAME"] = (
        f"bench_{connection.settings_dict['NAME']}")
    t = time.perf_counter()
    if keep:
        connection.creation.create_test_db(verbosity=0, keepdb=True)
    else:
        call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    accounts = register_demo.load()
    volunteers_demo.load()
    buildings = list(Building.objects.select_related("grid"))
    have = Task.objects.filter(state=TaskState.OPEN).count()
    start = timezone.now() + timedelta(days=1)
    kinds = list(TaskKind.values)
    Task.objects.bulk_create([
        Task(community_id=b.community_id, grid=b.grid, building=b, title=f"任务{i}",
             kind=kinds[i % len(kinds)], starts_at=start + timedelta(minutes=7 * i),
             ends_at=start + timedelta(minutes=7 * i + 90), places=1 + i % 5,
             created_by=accounts["grid"], skills=",elderly," if i % 3 == 0 else "")
        for i in range(max(0, COUNT - have)) for b in [buildings[i % len(buildings)]]
    ], batch_size=1000)
    if connection.vendor == "sqlite":
        with connection.cursor() as c:
            c.execute("ANALYZE")
    print(f"setup: {time.perf_counter() - t:.1f} s; open tasks: "
          f"{Task.objects.filter(state=TaskState.OPEN).count()}")
    pages = [
        ("volunteer: board", accounts["volunteer"], "/volunteer/"),
        ("volunteer: board, page 50", accounts["volunteer"], "/volunteer/?page=50"),
        ("volunteer: filtered", accounts["volunteer"],
         "/volunteer/?kind=elderly&skill=elderly&when=week&free=1"),
        ("volunteer: my tasks", accounts["volunteer"], "/volunteer/?tab=mine"),
        ("grid worker: board", accounts["grid"], "/volunteer/"),
    ]
    for label, user, url in pages:
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        client.get(url)
        times = []
        for _ in range(RUNS):
            t0 = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - t0)
        with CaptureQueriesContext(connection) as ctx:
            client.get(url)
        print(f"{label:28s} median {statistics.median(times) * 1000:6.1f} ms, "
              f"{len(ctx):2d} queries, {len(response.content) / 1024:.1f} kB "
              f"(status {response.status_code})")


if __name__ == "__main__":
    main()
