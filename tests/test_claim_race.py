"""The last place goes to one person, however many tap at once (and the shop never oversells).

Each thread has its own database connection. On PostgreSQL the claims queue
on the task's row lock; on SQLite the IMMEDIATE transactions queue at BEGIN.
SQLite needs a file for this: an in-memory database is per-connection, so
when the test database is in memory it is copied to a file for the threads.
"""

from __future__ import annotations

import sqlite3
import tempfile
import threading
from pathlib import Path

import pytest
from django.db import connections
from django.db.models import Sum

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def threads_db(transactional_db):
    """Make sure connections opened by other threads see the same database."""
    conn = connections["default"]
    if conn.vendor != "sqlite" or not conn.is_in_memory_db():
        yield
        return
    conn.ensure_connection()
    settings_dict = conn.settings_dict
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "race.sqlite3")
        saved = settings_dict["NAME"]

        def switch():
            dest = sqlite3.connect(path)
            conn.connection.backup(dest)
            dest.close()
            settings_dict["NAME"] = path

        try:
            yield switch
        finally:
            settings_dict["NAME"] = saved


def _switch(threads_db):
    if callable(threads_db):
        threads_db()


def in_thread(fn):
    """Run ``fn`` on a connection of its own, the way a request would, and return its result."""
    out = {}

    def run():
        try:
            out["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            out["error"] = exc
        finally:
            connections.close_all()

    t = threading.Thread(target=run)
    t.start()
    t.join()
    if "error" in out:
        raise out["error"]
    return out["value"]


def fire(calls: list, *, timeout: float = 120) -> tuple[list, list]:
    """Start every call at the same moment, each in its own thread; collect results."""
    barrier = threading.Barrier(len(calls))
    results, errors = [], []
    lock = threading.Lock()

    def run(call):
        try:
            prepare, act = call
            arg = prepare()
            barrier.wait()
            value = act(arg)
            with lock:
                results.append(value)
        except BaseException as exc:  # noqa: BLE001
            with lock:
                errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    return results, errors


def test_many_claims_one_place(world, threads_db):
    from portal.models import User
    from volunteers import services
    from volunteers.choices import PLACE_STATES, ClaimState
    from volunteers.models import Claim, Task
    from volunteers.tests import factories as vf

    n = 16 if connections["default"].vendor == "sqlite" else 30
    vols = [vf.volunteer(community=world.community, grid=world.grid_a) for _ in range(n)]
    task = vf.task(building=world.building_a, created_by=world.worker_a, places=1)
    _switch(threads_db)

    def call(user_id):
        return (lambda: User.objects.get(pk=user_id),
                lambda user: services.task_claim(actor=user, task_id=task.pk).state)

    # every volunteer taps, and the first five tap twice
    calls = [call(v.user_id) for v in vols] + [call(v.user_id) for v in vols[:5]]
    results, errors = fire(calls)
    assert errors == []
    assert len(results) == len(calls)

    def outcome():
        t = Task.objects.get(pk=task.pk)
        holding = Claim.objects.filter(task=task, state__in=PLACE_STATES).count()
        per_volunteer = Claim.objects.filter(task=task).values("volunteer").distinct().count()
        return t.filled, holding, per_volunteer, Claim.objects.filter(task=task).count(), \
            Claim.objects.filter(task=task, state=ClaimState.WAITLISTED).count()

    filled, holding, per_volunteer, total, waiting = in_thread(outcome)
    assert filled == 1
    assert holding == 1
    assert total == per_volunteer == n  # a double tap made one claim
    assert waiting == n - 1


def test_many_redemptions_never_oversell(world, threads_db):
    from portal.models import User
    from volunteers import services
    from volunteers.models import PointsEntry, Redemption, ShopItem, Volunteer
    from volunteers.tests import factories as vf

    vols = [vf.volunteer(community=world.community) for _ in range(8)]
    for v in vols:
        services.ledger_correct(actor=world.admin, volunteer_id=v.pk, points=100,
                                reason="开户积分")
    rich = vols[0]
    oil = ShopItem.objects.create(community=world.community, name="油", cost=50, stock=3,
                                  per_person_limit=1)
    towel = ShopItem.objects.create(community=world.community, name="毛巾", cost=40, stock=50,
                                    per_person_limit=10)
    _switch(threads_db)

    def redeem(user_id, item_id):
        def act(user):
            try:
                return services.item_redeem(actor=user, item_id=item_id).pk
            except services.VolunteerError:
                return None
        return (lambda: User.objects.get(pk=user_id), act)

    calls = [redeem(v.user_id, oil.pk) for v in vols[1:]]  # 7 people, 3 bottles
    calls += [redeem(rich.user_id, towel.pk) for _ in range(5)]  # 100 points, 40 each
    results, errors = fire(calls)
    assert errors == []

    def outcome():
        return (
            ShopItem.objects.get(pk=oil.pk).stock,
            Redemption.objects.filter(item=oil).count(),
            Redemption.objects.filter(item=towel).count(),
            {v.pk: (v.points_balance, PointsEntry.objects.filter(volunteer=v)
                    .aggregate(s=Sum("points"))["s"]) for v in Volunteer.objects.all()},
        )

    stock, oil_sold, towels, balances = in_thread(outcome)
    assert stock == 0 and oil_sold == 3
    assert towels == 2
    for balance, total in balances.values():
        assert balance == total and balance >= 0
    assert balances[rich.pk][0] == 20
    assert sum(1 for b, _ in balances.values() if b == 50) == 3
