"""Many volunteers tapping "claim" on the same task at once: throughput, latency, over-fill.

Each of THREADS threads (one database connection each) claims every task of
ROUNDS rounds at the same moment (a barrier); half the tasks have one place,
half five. Prints claims per second, the median and 95th-percentile claim
time, and how many places were over-filled (must be 0). Asserts nothing.

Runs on DATABASE_URL (PostgreSQL: ``eval "$(bash scripts/services)"``) in a
throw-away database ``bench_<name>`` (kept between runs); without
DATABASE_URL, on a temporary SQLite file.

    .venv/bin/python tests/perf/bench_claims.py [THREADS] [ROUNDS]
"""

import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
THREADS = int(sys.argv[1]) if len(sys.argv) > 1 else 40
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 20
if not os.environ.get("DATABASE_URL"):
    TMP = Path(tempfile.mkdtemp(prefix="bench-claims-")) / "bench.sqlite3"
    os.environ["DATABASE_URL"] = f"sqlite:///{TMP}"
os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings.test"

import django  # noqa: E402

django.setup()

from django.db import connection, connections  # noqa: E402
from django.db.models import Count, Q  # noqa: E402
from django.utils import timezone  # noqa: E402


def setup_world(tag: str):
    from buildings.tests import factories as f
    from volunteers.choices import VolunteerState
    from volunteers.models import Task, Volunteer

    community = f.CommunityFactory(name=f"压测社区{tag}")
    grid = f.make_grid(code=f"B{tag}", community=community)
    worker = f.grid_worker(grid, f.UserFactory(username=f"w{tag}", phone=f"+8617{tag}0000"))
    building = f.BuildingFactory(community=community, grid=grid, number=1)
    users = [f.UserFactory(username=f"v{tag}{i}", phone=f"+8616{tag}{i:04d}")
             for i in range(THREADS)]
    for u in users:
        Volunteer.objects.create(user=u, community=community, grid=grid, real_name=f"谢{u.pk}",
                                 phone=u.phone, state=VolunteerState.APPROVED)
    start = timezone.now() + timedelta(days=1)
    tasks = [Task.objects.create(community=community, grid=grid, building=building,
                                 title=f"压测{r}", starts_at=start + timedelta(hours=3 * r),
                                 ends_at=start + timedelta(hours=3 * r + 2),
                                 places=1 if r % 2 == 0 else 5, created_by=worker)
             for r in range(ROUNDS)]
    return users, tasks


def main() -> None:
    from portal.models import User
    from volunteers import services
    from volunteers.choices import PLACE_STATES
    from volunteers.models import Task

    keep = connection.vendor == "postgresql"
    # Its own database, never the one the test suite reuses.
    connection.settings_dict.setdefault("TEST", {})["NAME"] = (
        f"bench_{connection.settings_dict['NAME']}")
    connection.creation.create_test_db(verbosity=0, keepdb=keep)
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}; "
          f"{THREADS} threads × {ROUNDS} tasks")
    tag = uuid.uuid4().hex[:4].translate(str.maketrans("abcdef", "123456"))
    users, tasks = setup_world(tag)
    connections.close_all()

    times: list[float] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    barrier = threading.Barrier(THREADS)

    def run(user_id: int) -> None:
        try:
            user = User.objects.get(pk=user_id)
            for task in tasks:
                barrier.wait()
                t0 = time.perf_counter()
                try:
                    services.task_claim(actor=user, task_id=task.pk)
                except services.VolunteerError:
                    pass
                with lock:
                    times.append(time.perf_counter() - t0)
        except BaseException as exc:  # noqa: BLE001
            with lock:
                errors.append(exc)
            barrier.abort()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(u.pk,)) for u in users]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    if errors:
        print(f"errors: {len(errors)}, first: {errors[0]!r}")
    rows = Task.objects.filter(pk__in=[t.pk for t in tasks]).annotate(
        holding=Count("claims", filter=Q(claims__state__in=PLACE_STATES)),
        claims_n=Count("claims"))
    over = sum(max(0, r.holding - r.places) + max(0, r.filled - r.places) for r in rows)
    wrong_counter = sum(1 for r in rows if r.filled != r.holding)
    places = sum(r.places for r in rows)
    held = sum(r.holding for r in rows)
    times.sort()
    p95 = times[int(len(times) * 0.95) - 1] if times else 0
    print(f"claims: {len(times)} in {wall:.2f} s = {len(times) / wall:.0f} claims/s")
    print(f"claim time: median {statistics.median(times) * 1000:.1f} ms, "
          f"p95 {p95 * 1000:.1f} ms, max {times[-1] * 1000:.1f} ms")
    print(f"places: {places}, taken {held}; over-filled places: {over}; "
          f"counter out of step: {wrong_counter}")
    connections.close_all()
    if not keep:
        connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)


if __name__ == "__main__":
    main()
