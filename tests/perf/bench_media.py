"""Private media benchmark: what the checked /media/ view costs per file.

Builds N cases with 2 photos each (rows only: the files are tiny and shared),
then asks for one photo's thumbnail as its reporter through the Django test
client, the way a page's <img> would, and prints the median server time and
the query count; then the same with an index on the three file-name columns
(made here by hand: the models do not have one yet), so the lookup's share of
the time is visible. Asserts nothing about time. A throw-away test database:
SQLite by default, PostgreSQL when DATABASE_URL is set.

    .venv/bin/python tests/perf/bench_media.py [CASES] [RUNS]
"""

import os
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")
if not os.environ.get("DATABASE_URL"):
    os.environ.setdefault("TEST_SQLITE_NAME", "var/bench-media.sqlite3")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402


def build(cases: int):
    from django.utils import timezone

    from buildings.tests import factories as f
    from community.models import Case, CasePhoto
    from community.services import case_submit
    from community.tests.factories import category, jpeg

    community = f.CommunityFactory(name="基准社区")
    grid = f.make_grid(code="M", community=community)
    building = f.BuildingFactory(community=community, grid=grid, number=1)
    unit = f.UnitFactory(building=building, number=1)
    household = f.HouseholdFactory(unit=unit, number="101", floor=1)
    resident = f.resident_of(household)
    cat = category()
    # One real case with a real photo: the one asked for.
    mine = case_submit(reporter=resident, category=cat, household=household,
                       description="基准", photos=[jpeg()])
    now = timezone.now()
    rows = [Case(community=community, category=cat, grid=grid, building=building,
                 description="填充", created_at=now, updated_at=now) for _ in range(cases)]
    Case.objects.bulk_create(rows, batch_size=2000)
    photos = []
    for case in Case.objects.exclude(pk=mine.pk).only("pk"):
        for _ in range(2):
            name = uuid.uuid4().hex
            photos.append(CasePhoto(case_id=case.pk, image=f"community/photos/{name}.jpg",
                                    medium=f"community/photos/m/{name}.jpg",
                                    thumb=f"community/photos/t/{name}.jpg"))
    CasePhoto.objects.bulk_create(photos, batch_size=2000)
    return resident, mine.photos.get()


def measure(client, url: str, runs: int) -> tuple[float, float, int]:
    client.get(url)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        b"".join(response.streaming_content) if response.streaming else response.content
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], len(queries)


def main(cases: int, runs: int) -> None:
    from django.test import Client

    from community.models import CasePhoto

    print(f"database: {connection.vendor}; {cases} cases, {cases * 2 + 1} photos")
    resident, photo = build(cases)
    client = Client()
    client.force_login(resident, backend="django.contrib.auth.backends.ModelBackend")
    url = photo.thumb.url
    median, p95, queries = measure(client, url, runs)
    print(f"/media/ thumb, no index:   median {median:.1f} ms  p95 {p95:.1f} ms  "
          f"{queries} queries")
    table = CasePhoto._meta.db_table
    with connection.cursor() as cursor:
        for column in ("image", "medium", "thumb"):
            cursor.execute(f"CREATE INDEX bench_{column} ON {table} ({column})")
    median, p95, queries = measure(client, url, runs)
    print(f"/media/ thumb, with index: median {median:.1f} ms  p95 {p95:.1f} ms  "
          f"{queries} queries")


if __name__ == "__main__":
    cases = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        main(cases, runs)
    finally:
        connection.creation.destroy_test_db(name, verbosity=0)
