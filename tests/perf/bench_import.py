"""Register import benchmark: time to read, check and import 5,000 households.

Prints figures; asserts nothing about time. Runs on a throw-away test database:
SQLite in memory by default, PostgreSQL when DATABASE_URL is set.

    .venv/bin/python tests/perf/bench_import.py [ROWS]
"""

import io
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402


def sheet(rows: list[list]) -> tuple[bytes, bytes]:
    import openpyxl

    from buildings.importer import TEMPLATE_COLUMNS, column_label

    header = [column_label(n) for n in TEMPLATE_COLUMNS]
    workbook = openpyxl.Workbook()
    workbook.active.append(header)
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    text = "\r\n".join(",".join(str(c) for c in r) for r in [header, *rows])
    return buffer.getvalue(), ("\ufeff" + text).encode("utf-8")


def main(count: int) -> None:
    from buildings.importer import ImportPlan, build_plan, parse_file, register_snapshot
    from buildings.models import Building, Household
    from buildings.services import register_import, register_import_preview
    from buildings.tests import factories as f

    community = f.CommunityFactory(name="基准社区")
    grid = f.make_grid(code="B1", community=community)
    admin = f.community_admin(community)
    buildings = count // 104 + 1
    Building.objects.bulk_create(
        [Building(community=community, grid=grid, number=n, name=f"{n}栋", floors=13)
         for n in range(1, buildings + 1)]
    )
    rows = []
    for b in range(1, buildings + 1):
        for unit in range(1, 5):
            for floor in range(1, 14):
                for flat in (1, 2):
                    rows.append([b, unit, floor, f"{floor}0{flat}", "罗秀英",
                                 f"139{len(rows):08d}", 3, "四把镇", ""])
    rows = rows[:count]
    xlsx, csv = sheet(rows)

    def timed(fn, repeat=3):
        times, result = [], None
        for _ in range(repeat):
            start = time.perf_counter()
            result = fn()
            times.append(time.perf_counter() - start)
        return statistics.median(times), result

    t_xlsx, source = timed(lambda: parse_file(xlsx, "bench.xlsx"))
    t_csv, _ = timed(lambda: parse_file(csv, "bench.csv"))
    t_snap, snapshot = timed(lambda: register_snapshot(community))
    t_check, plan = timed(lambda: build_plan(source, snapshot, file_name="bench.xlsx"))
    assert len(plan.new) == count and not plan.rejected, plan.rejected[:3]
    t_preview, record = timed(lambda: register_import_preview(actor=admin, plan=plan), repeat=1)
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        register_import(actor=admin, plan=ImportPlan.from_json(record.plan), record=record)
        t_apply = time.perf_counter() - start
    assert Household.objects.count() == count
    # A second check of the same file against the now-full register: all unchanged.
    t_recheck, again = timed(lambda: build_plan(source, register_snapshot(community)), repeat=1)
    assert len(again.unchanged) == count

    print(f"register import, {count} households, {connection.vendor}")
    print(f"  read xlsx ({len(xlsx) // 1024} KiB)        {t_xlsx * 1000:8.0f} ms")
    print(f"  read csv  ({len(csv) // 1024} KiB)        {t_csv * 1000:8.0f} ms")
    print(f"  snapshot of the register      {t_snap * 1000:8.0f} ms")
    print(f"  check rows (build plan)       {t_check * 1000:8.0f} ms")
    print(f"  validate total (xlsx)         {(t_xlsx + t_snap + t_check) * 1000:8.0f} ms")
    print(f"  keep preview (JSON record)    {t_preview * 1000:8.0f} ms")
    print(f"  import (re-check + write)     {t_apply * 1000:8.0f} ms, "
          f"{len(queries.captured_queries)} queries")
    print(f"  re-check against full register {t_recheck * 1000:7.0f} ms")


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        main(count)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
