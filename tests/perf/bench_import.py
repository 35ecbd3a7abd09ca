"""Register import benchmark: time to read, check and import 5,000 households.

Prints figures; asserts nothing about time. Runs on a throw-away test database:
a SQLite file in /tmp by default, PostgreSQL when DATABASE_URL is set (its
test_<name> database is created and dropped: point DATABASE_URL at a name
nobody else tests on).

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
# A database file of its own: the test settings' default file may be in use by a test run.
os.environ.setdefault("TEST_SQLITE_NAME", f"/tmp/bench-import-{os.getpid()}.sqlite3")

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

    cpu: dict[str, float] = {}

    def timed(fn, repeat=3, name=""):
        """Median wall time; the CPU time of this process is kept too, since on a shared
        machine the wall time also measures the neighbours."""
        times, cpus, result = [], [], None
        for _ in range(repeat):
            start, start_cpu = time.perf_counter(), time.process_time()
            result = fn()
            times.append(time.perf_counter() - start)
            cpus.append(time.process_time() - start_cpu)
        cpu[name] = statistics.median(cpus)
        return statistics.median(times), result

    t_xlsx, source = timed(lambda: parse_file(xlsx, "bench.xlsx"), name="xlsx")
    t_csv, _ = timed(lambda: parse_file(csv, "bench.csv"), name="csv")
    t_snap, snapshot = timed(lambda: register_snapshot(community), name="snapshot")
    t_check, plan = timed(lambda: build_plan(source, snapshot, file_name="bench.xlsx"),
                          name="check")
    assert len(plan.new) == count and not plan.rejected, plan.rejected[:3]
    t_preview, record = timed(lambda: register_import_preview(actor=admin, plan=plan), repeat=1,
                              name="preview")
    with CaptureQueriesContext(connection) as queries:
        start, start_cpu = time.perf_counter(), time.process_time()
        register_import(actor=admin, plan=ImportPlan.from_json(record.plan), record=record)
        t_apply = time.perf_counter() - start
        cpu["apply"] = time.process_time() - start_cpu
    assert Household.objects.count() == count
    # A second check of the same file against the now-full register: all unchanged.
    t_recheck, again = timed(lambda: build_plan(source, register_snapshot(community)), repeat=1,
                            name="recheck")
    assert len(again.unchanged) == count

    load = os.getloadavg()[0]
    print(f"register import, {count} households, {connection.vendor} "
          f"(load average {load:.1f} on {os.cpu_count()} cores)")
    print(f"  {'step':34} {'wall ms':>8} {'cpu ms':>8}")
    for label, wall, key in [
        (f"read xlsx ({len(xlsx) // 1024} KiB)", t_xlsx, "xlsx"),
        (f"read csv ({len(csv) // 1024} KiB)", t_csv, "csv"),
        ("snapshot of the register", t_snap, "snapshot"),
        ("check rows (build plan)", t_check, "check"),
        ("keep preview (JSON record)", t_preview, "preview"),
        ("import (re-check + write)", t_apply, "apply"),
        ("re-check against the full register", t_recheck, "recheck"),
    ]:
        print(f"  {label:34} {wall * 1000:8.0f} {cpu[key] * 1000:8.0f}")
    print(f"  validate xlsx total (read+snapshot+check) {(t_xlsx + t_snap + t_check) * 1000:.0f} ms"
          f" wall, {(cpu['xlsx'] + cpu['snapshot'] + cpu['check']) * 1000:.0f} ms cpu")
    print(f"  import: {len(queries.captured_queries)} queries")

if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        main(count)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
