"""The county's pages on PostgreSQL with a generated county: generation time, server time
(p50/p95) and query counts, at each scale given.

Generates one county per scale into DATABASE_URL's database (point it at a scratch
one), rebuilds the summary tables (``community.county.rollups.refresh``, the
periodic job), then times in-process with Django's test client: the county page,
a township page, the township's supervision list and a community's case list.
Prints figures; asserts nothing.

    DATABASE_URL=postgres://.../jiayuan_county_bench .venv/bin/python tests/perf/bench_county.py 0.1,1 25

With BENCH_COUNTY_REUSE=1 it generates nothing and measures the newest county the
database already holds (a rebuild and the pages again, after a code change).

Measured 2026-12-01 on the shared 2-core box (load average 15-18), PostgreSQL:
scale 0.01 (10k cases) generated in 15 s, 0.1 (100k) in 159 s, 0.5 (500k) in 748 s;
summary rebuild 0.6 / 8.4 / 53 s. Queries per page 6/6/5/4 at every scale.
p50 ms at 0.1 / 0.5: county 288 / 388, township 274 / 311, supervision 426 / 465,
community case list 600 / 456 (367 after the (community, created_at) index; its
query went from 275 ms to 0.9 ms).
Scale 1 (1,000,000 cases, 100,000 households, 200,000 visits), 2026-12-01, load 9-16:
generated in 894 s (regions and grids 35 s, register 182 s, cases 673 s, visits 712 s
cumulative); summary rebuild 41 s with this month's patrol rows only, 39 s (load 9) to
96 s (load 16) with one patrol row per community and month (426 rows). p50 / p95 ms,
queries, at load 9 with the monthly rows: county 152 / 231, 7; township 72 / 86, 7;
supervision 87 / 109, 5; community case list 77 / 94, 4; county xlsx 148 / 187, 6;
county page for last month 102 / 106, 7. The first run (load 16, before the monthly
rows) had county 162 / 1180, township 515 / 1041, supervision 149 / 178, case list
106 / 277: the p95 and that township p50 are the busy machine, not the pages.
"""

import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
SCALES = [float(s) for s in (sys.argv[1] if len(sys.argv) > 1 else "0.1,1").split(",")]
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 25
os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings.test"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402


def main() -> None:
    import logging

    logging.disable(logging.WARNING)
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    call_command("migrate", verbosity=0)
    from buildings.models import Community, Region, RegionAdmin
    from buildings.regions import RegionKind
    from community.county.generate import generate
    from community.county.rollups import refresh
    from community.models import Case
    from portal.models import User

    reuse = os.environ.get("BENCH_COUNTY_REUSE") == "1"
    for scale in SCALES:
        name = f"罗城县（规模 {scale}）-{time.time_ns() % 10**6}"
        t = time.perf_counter()
        if reuse:
            county = Region.objects.filter(kind=RegionKind.COUNTY).order_by("-pk").first()
            print(f"reusing {county.name}")
        else:
            county = generate(scale=scale, name=name, log=lambda m: print("  ", m))
        made = time.perf_counter() - t
        t = time.perf_counter()
        counts = refresh()
        rebuilt = time.perf_counter() - t
        n_cases = Case.objects.filter(community__township__parent=county).count()
        print(f"scale {scale}: {n_cases} cases generated in {made:.1f} s; summary tables "
              f"rebuilt in {rebuilt:.1f} s ({counts}, all counties in the database)")
        admin, _ = User.objects.get_or_create(username=f"bench-{county.pk}")
        RegionAdmin.objects.get_or_create(user=admin, region=county)
        town = county.children.order_by("pk").first()
        community = Community.objects.filter(township=town).order_by("pk").first()
        last_month = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)
        client = Client()
        client.force_login(admin)
        pages = [
            ("county page", reverse("county:region", args=[county.pk])),
            ("township page", reverse("county:region", args=[town.pk])),
            ("township supervision list", reverse("county:supervision", args=[town.pk])),
            ("community case list", reverse("county:community_cases", args=[community.pk])),
            ("county page, xlsx", reverse("county:region", args=[county.pk]) + "?export=xlsx"),
            ("county page, last month", reverse("county:region", args=[county.pk])
             + f"?month={last_month:%Y-%m}"),
        ]
        print(f"{'page':28} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
        for label, url in pages:
            assert client.get(url).status_code == 200, url  # warm up
            times = []
            for _ in range(RUNS):
                t = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - t) * 1000)
                assert response.status_code == 200
            with CaptureQueriesContext(connection) as ctx:
                client.get(url)
            times.sort()
            p95 = times[min(len(times) - 1, round(0.95 * len(times)) - 1)]
            print(f"{label:28} {statistics.median(times):8.1f} {p95:8.1f} "
                  f"{len(ctx.captured_queries):8d}")


if __name__ == "__main__":
    main()
