"""Workbench and "my cases" with 100,000 cases: median server time and query counts.

Builds a throw-away SQLite file (or uses DATABASE_URL's PostgreSQL database,
which it fills: point it at a scratch database), loads the demo register,
generates the cases with ``manage.py generate_cases`` and times the pages
in-process with Django's test client. Prints figures; asserts nothing.

    .venv/bin/python tests/perf/bench_workbench.py [COUNT] [RUNS]
"""

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
COUNT = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 25
if os.environ.get("BENCH_DB"):  # reuse a file made by an earlier run
    os.environ["DATABASE_URL"] = f"sqlite:///{os.environ['BENCH_DB']}"
elif not os.environ.get("DATABASE_URL"):
    TMP = Path(tempfile.mkdtemp(prefix="bench-cases-")) / "bench.sqlite3"
    os.environ["DATABASE_URL"] = f"sqlite:///{TMP}"
os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings.test"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402


def main() -> None:
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    t = time.perf_counter()
    call_command("migrate", verbosity=0)
    import logging

    logging.disable(logging.WARNING)
    from buildings import demo as register_demo
    from community import demo as cases_demo

    accounts = register_demo.load()
    cases_demo.load()
    print(f"migrate + demo register: {time.perf_counter() - t:.1f} s")
    from community.models import Case

    have = Case.objects.count()
    if have < COUNT:
        call_command("generate_cases", count=COUNT - have)
    if connection.vendor == "sqlite":
        with connection.cursor() as c:
            c.execute("ANALYZE")
    pages = [
        ("grid worker: workbench, new", accounts["grid"], "/cases/workbench/"),
        ("grid worker: workbench, overdue", accounts["grid"], "/cases/workbench/?tab=overdue"),
        ("grid worker: workbench, done", accounts["grid"], "/cases/workbench/?tab=done"),
        ("handler: workbench", accounts["handler"], "/cases/workbench/"),
        ("admin: workbench, waiting", accounts["admin"], "/cases/workbench/?tab=waiting"),
        ("resident: my cases", accounts["resident"], "/cases/"),
        ("resident: 我的", accounts["resident"], "/me/"),
    ]
    print(f"cases: {Case.objects.count()}; runs per page: {RUNS}; "
          f"load average now: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'page':34} {'median ms':>10} {'p90 ms':>8} {'queries':>8} {'kB':>6}")
    for name, user, url in pages:
        client = Client()
        client.force_login(user)
        client.get(url)  # warm up
        times = []
        for _ in range(RUNS):
            t = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - t) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        with CaptureQueriesContext(connection) as q:
            response = client.get(url)
        times.sort()
        print(f"{name:34} {statistics.median(times):10.1f} {times[int(len(times) * .9)]:8.1f} "
              f"{len(q.captured_queries):8d} {len(response.content) / 1024:6.1f}")


if __name__ == "__main__":
    main()
