"""The load test's own parts: ``manage.py load_users``, the summariser, the locustfile.

Locust is the optional ``load`` extra (requirements-load.lock), installed by
``scripts/load`` and ``scripts/test`` but not by the application's install.
The locustfile test fails in CI without it and is skipped only on a
developer's machine without it; the other tests run everywhere.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.needs import missing

ROOT = Path(__file__).resolve().parent.parent
LOAD = ROOT / "tests" / "perf" / "load"


def _summarise():
    spec = importlib.util.spec_from_file_location("load_summarise", LOAD / "summarise.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- manage.py load_users ---------------------------------------------------------


@pytest.fixture
def register(db):
    from buildings.tests import factories as f

    community = f.CommunityFactory(name="压测社区")
    top = f.make_grid(code="L1", community=community)
    grids = [f.make_grid(code=f"L1-{i}", parent=top) for i in (1, 2)]
    households = []
    for number, grid in enumerate(grids, start=1):
        unit = f.UnitFactory(building=f.BuildingFactory(community=community, grid=grid,
                                                        number=number), number=1)
        households += [f.HouseholdFactory(unit=unit, number=f"{floor}01", floor=floor)
                       for floor in (1, 2, 3)]
    return {"grids": grids, "households": households}


def test_load_users_makes_signed_in_residents_and_grid_workers(register, tmp_path, client):
    from django.contrib.auth import SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from buildings.choices import ResidencyState
    from buildings.models import GridWorker, Residency
    from portal.models import User

    out = tmp_path / "users.json"
    call_command("load_users", residents=4, staff=2, out=str(out))
    keys = json.loads(out.read_text())
    assert len(keys["residents"]) == 4 and len(keys["staff"]) == 2

    residents = User.objects.filter(username__startswith="load-r-")
    residencies = Residency.objects.filter(user__in=residents)
    assert residencies.count() == 4
    assert {r.state for r in residencies} == {ResidencyState.VERIFIED}
    assert len({r.household_id for r in residencies}) == 4  # one flat each
    workers = GridWorker.objects.filter(user__username__startswith="load-g-")
    assert {w.grid_id for w in workers} == {g.pk for g in register["grids"]}
    # The sessions are real: the first resident's key signs its holder in.
    first = residents.get(username="load-r-0000")
    assert SessionStore(keys["residents"][0]).get(SESSION_KEY) == str(first.pk)
    client.cookies["sessionid"] = keys["residents"][0]
    assert client.get("/me/").status_code == 200

    # Again: the same people, new sessions.
    call_command("load_users", residents=4, staff=2, out=str(out))
    again = json.loads(out.read_text())
    assert User.objects.filter(username__startswith="load-").count() == 6
    assert Residency.objects.filter(user__in=residents).count() == 4
    assert set(again["residents"]).isdisjoint(keys["residents"])


def test_load_users_needs_the_demo_register(db):
    with pytest.raises(CommandError, match="demo_data"):
        call_command("load_users", residents=2, staff=1)


def test_load_users_refuses_more_residents_than_free_flats(register):
    with pytest.raises(CommandError, match="free households"):
        call_command("load_users", residents=7, staff=0)


# --- the summariser ------------------------------------------------------------------

HEADER = ["Type", "Name", "Request Count", "Failure Count", "Median Response Time",
          "Average Response Time", "Min Response Time", "Max Response Time",
          "Average Content Size", "Requests/s", "Failures/s", "50%", "66%", "75%", "80%",
          "90%", "95%", "98%", "99%", "99.9%", "99.99%", "100%"]


def _stats(path: Path, rows: list[tuple]) -> None:
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        for kind, name, count, fails, median, rps, p95 in rows:
            writer.writerow([kind, name, count, fails, median, median, 1, 900, 5000, rps, 0,
                             median, 0, 0, 0, 0, p95, 0, 0, 0, 0, 900])


def test_summarise_prints_both_targets_side_by_side(tmp_path, capsys):
    _stats(tmp_path / "prod-u10_stats.csv", [("GET", "/", 80, 0, 40, 4.0, 90),
                                             ("", "Aggregated", 100, 0, 45, 5.0, 120)])
    _stats(tmp_path / "prod-u50_stats.csv", [("GET", "/", 400, 0, 60, 20.0, 200),
                                             ("", "Aggregated", 500, 2, 70, 24.5, 310)])
    _stats(tmp_path / "embedded-u10_stats.csv", [("GET", "/", 81, 0, 30, 4.1, 70),
                                                 ("", "Aggregated", 101, 0, 33, 5.1, 100)])
    with (tmp_path / "prod-u50_failures.csv").open("w", newline="") as f:
        csv.writer(f).writerows([["Method", "Name", "Error", "Occurrences"],
                                 ["POST", "/cases/new/", "502 Bad Gateway", "2"]])
    (tmp_path / "prod-warmup.log").write_text("ignored")

    assert _summarise().main(["summarise", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert "prod" in lines[0] and "embedded" in lines[0]
    assert lines[0].index("prod") < lines[0].index("embedded")
    row10 = next(x for x in lines if x.strip().startswith("10 |"))
    assert row10.split() == ["10", "|", "5.0", "45", "120", "0/100", "|", "5.1", "33", "100",
                             "0/101"]
    row50 = next(x for x in lines if x.strip().startswith("50 |"))
    assert row50.split()[2:6] == ["24.5", "70", "310", "2/500"]
    assert row50.split()[-1] == "-"  # no embedded run at 50 users
    assert "per request at 50 users" in out
    assert "prod 50 users: POST /cases/new/: 502 Bad Gateway (×2)" in out


def test_summarise_puts_the_asgi_servers_side_by_side_and_averages_their_rounds(tmp_path,
                                                                              capsys):
    figures = {("daphne", 1): (5.0, 40), ("uvicorn", 1): (7.0, 30),
               ("daphne", 2): (6.0, 50), ("uvicorn", 2): (9.0, 20)}
    for (server, round_), (rps, median) in figures.items():
        _stats(tmp_path / f"prod-{server}-r{round_}-u25_stats.csv",
               [("GET", "/", 10, 0, median, rps, median * 2),
                ("", "Aggregated", 10, 1, median, rps, median * 2)])
        (tmp_path / f"prod-{server}-r{round_}-warmup.log").write_text("ignored")

    assert _summarise().main(["summarise", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    names = out.splitlines()[0].split()
    assert names == ["|", "prod-daphne-r1", "|", "prod-uvicorn-r1", "|", "prod-daphne-r2", "|",
                     "prod-uvicorn-r2"]
    assert "prod-uvicorn-r2: production: nginx, 2 uvicorn, PostgreSQL, Redis, worker, round 2" \
        in out
    averaged = out.split("its rounds averaged", 1)[1].splitlines()
    assert averaged[1].split() == ["|", "prod-daphne", "|", "prod-uvicorn"]
    row = next(x for x in averaged if x.strip().startswith("25 |"))
    assert row.split() == ["25", "|", "5.5", "45", "90", "2/20", "|", "8.0", "25", "50", "2/20"]


def test_summarise_gives_server_cpu_per_request_for_pages_served_through_wsgi(tmp_path, capsys):
    for server, cpu in (("daphne", "10.00 13.00"), ("granian-wsgi", "20.00 22.40")):
        for round_ in (1, 2):
            name = f"prod-{server}-r{round_}-u50"
            _stats(tmp_path / f"{name}_stats.csv", [("", "Aggregated", 100, 0, 40, 9.0, 80)])
            (tmp_path / f"{name}.cpu").write_text(cpu)

    assert _summarise().main(["summarise", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert ("prod-granian-wsgi-r1: production: nginx, 2 Granian WSGI for the pages, "
            "2 Daphne for /ws/, PostgreSQL, Redis, worker, round 1") in out
    cpu = out.split("server CPU per request", 1)[1].splitlines()
    assert cpu[1].split() == ["users", "|", "prod-daphne", "|", "prod-granian-wsgi"]
    # 3.0 s over 100 requests in each round: 30 ms; 2.4 s: 24 ms.
    assert cpu[2].split() == ["50", "|", "30.0", "|", "24.0"]


def test_cpu_seconds_of_a_process_group():
    spec = importlib.util.spec_from_file_location("load_cpu", LOAD / "cpu.py")
    cpu = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cpu)
    before = cpu.cpu_seconds({os.getpgrp()})
    deadline = time.process_time() + 0.3
    while time.process_time() < deadline:
        pass
    assert cpu.cpu_seconds({os.getpgrp()}) - before >= 0.2
    assert cpu.cpu_seconds({2 ** 22 + 12345}) == 0


def test_summarise_says_when_there_is_nothing(tmp_path, capsys):
    assert _summarise().main(["summarise", str(tmp_path)]) == 1
    assert "no Locust results" in capsys.readouterr().out


# --- the locustfile, against a real Daphne ---------------------------------------


@pytest.mark.django_db(transaction=True)
def test_locustfile_runs_every_task_and_a_short_headless_run(tmp_path):
    """Every task once (each request must succeed), then Locust itself for 5 s."""
    if importlib.util.find_spec("locust") is None:
        missing("Locust (the 'load' extra, requirements-load.lock)")
    from community.liaison.testing import live_servers

    call_command("demo_data", stdout=io.StringIO())
    users = tmp_path / "users.json"
    call_command("load_users", residents=4, staff=2, out=str(users))
    env = {**os.environ, "LOAD_USERS": str(users), "LOAD_WAIT": "0.2,0.5"}
    env.pop("DJANGO_SETTINGS_MODULE", None)

    with live_servers(1) as (server,):
        once = subprocess.run([sys.executable, str(LOAD / "locustfile.py"), server.url],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert once.returncode == 0, once.stdout[-3000:] + once.stderr[-3000:]
        made = json.loads(once.stdout)
        assert [r for r in made if r["error"]] == []
        names = {(r["type"], r["name"]) for r in made}
        assert {("GET", "/"), ("GET", "/notices/[id]/"), ("WS", "chat: send→ack"),
                ("POST", "/cases/new/"), ("GET", "/cases/[id]/?sent=1"),
                ("GET", "/cases/workbench/"), ("GET", "/cases/[id]/ (staff)")} <= names

        run = subprocess.run(
            [sys.executable, "-m", "locust", "-f", str(LOAD / "locustfile.py"),
             "--host", server.url, "--headless", "-u", "2", "-r", "2", "-t", "5s",
             "--stop-timeout", "10", "--only-summary", "--csv", str(tmp_path / "smoke-u2"),
             "--loglevel", "WARNING"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]  # 1 = failures
    results = _summarise().collect(tmp_path)
    total = results["smoke"][2]["total"]
    assert total["count"] > 0 and total["fails"] == 0, run.stdout[-3000:] + run.stderr[-3000:]
