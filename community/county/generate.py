"""Generate a county as the seed describes it, at any scale (``generate_county``).

At scale 1: one county, 11 townships, 142 communities, 143/725/1,696 grids
(一级/二级/三级), 1,720 grid workers, about 100,000 households, a year of cases
(about a million) and two months of patrol visits. Every count is multiplied
by ``scale`` (at least two communities, one grid per level each). The big
tables go in with COPY on PostgreSQL, with ``bulk_create`` elsewhere; nothing
sends a notification or writes an event row: these are figures to read.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from buildings.models import Building, Community, Grid, GridWorker, Household, Region, Unit
from buildings.patrols.choices import Met
from buildings.patrols.models import Visit
from buildings.regions import RegionKind
from community import workdays
from community.choices import Channel, Priority, Status
from community.models import Case, Category
from portal.models import User

SEED = {"townships": 11, "communities": 142, "grids": (143, 725, 1696), "workers": 1720,
        "households": 100_000, "cases": 1_000_000, "visits": 200_000}

MIX = [(Status.SUBMITTED, 3), (Status.TRIAGED, 3), (Status.DISPATCHED, 4),
       (Status.IN_PROGRESS, 5), (Status.RESOLVED, 4), (Status.CLOSED, 78), (Status.DECLINED, 3)]


def _n(value: int, scale: float, least: int = 1) -> int:
    return max(least, round(value * scale))


def insert(model, rows: Iterable[dict], *, batch: int = 5000) -> int:
    """Insert rows (dicts of attnames) fast: COPY on PostgreSQL, bulk_create elsewhere.

    Columns a row leaves out take the model field's default.
    """
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    defaults = {f.attname: f.get_default() for f in fields}
    made = 0
    if connection.vendor == "postgresql":
        cols = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        table = connection.ops.quote_name(model._meta.db_table)
        names = [f.attname for f in fields]
        with connection.cursor() as cursor, cursor.cursor.copy(
                f"COPY {table} ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(tuple(row.get(n, defaults[n]) for n in names))
                made += 1
        return made
    chunk: list = []
    for row in rows:
        chunk.append(model(**row))
        if len(chunk) >= batch:
            model.objects.bulk_create(chunk)
            made, chunk = made + len(chunk), []
    model.objects.bulk_create(chunk)
    return made + len(chunk)


def generate(*, scale: float = 1.0, seed: int = 20261201, name: str = "罗城仫佬族自治县",
             log=print) -> Region:
    """Make the county. Returns its Region. Takes one transaction."""
    rng = random.Random(seed)
    t0 = time.perf_counter()
    n_comm = _n(SEED["communities"], scale, 2)
    n_town = min(n_comm, _n(SEED["townships"], scale, 2))
    g1, g2, g3 = (max(n_comm, _n(SEED["grids"][0], scale)), *(
        max(n_comm, _n(g, scale)) for g in SEED["grids"][1:]))
    with transaction.atomic():
        county = Region.objects.create(name=name, kind=RegionKind.COUNTY)
        towns = [Region.objects.create(name=f"{name}乡镇{i + 1:02d}", kind=RegionKind.TOWNSHIP,
                                       parent=county) for i in range(n_town)]
        communities = Community.objects.bulk_create([
            Community(name=f"{name}社区{i + 1:03d}", township=towns[i % n_town])
            for i in range(n_comm)])
        tag = f"C{county.pk}"
        # Level 1: one per community, the rest to the first ones (the seed has 143 for 142).
        for i in range(g1):
            Grid.add_root(community=communities[i % n_comm], name=f"一级网格{i + 1}",
                          code=f"{tag}-{i + 1:04d}")
        # Sorted roots (``node_order_by``) may move while others are added: read them back.
        tops = list(Grid.objects.filter(code__startswith=f"{tag}-", depth=1).order_by("path"))
        mids = _children(tops, g2, tag, "二级网格")
        leaves = _children(mids, g3, tag, "三级网格")
        log(f"regions and grids: {time.perf_counter() - t0:.1f} s")
        workers = User.objects.bulk_create([User(username=f"{tag}-gw{i + 1}", password="!",
                                                 display_name=f"网格员{i + 1}")
                                            for i in range(_n(SEED["workers"], scale))])
        GridWorker.objects.bulk_create([
            GridWorker(user=u, grid=(leaves + mids)[i % (len(leaves) + len(mids))])
            for i, u in enumerate(workers)])
        households = _register(leaves, _n(SEED["households"], scale), rng)
        log(f"register ({len(households)} households): {time.perf_counter() - t0:.1f} s")
        n_cases = insert(Case, _cases(households, _n(SEED["cases"], scale), rng))
        log(f"cases ({n_cases}): {time.perf_counter() - t0:.1f} s")
        n_visits = insert(Visit, _visits(households, workers, leaves,
                                         _n(SEED["visits"], scale), rng))
        log(f"visits ({n_visits}): {time.perf_counter() - t0:.1f} s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return county


def _children(parents: list[Grid], count: int, tag: str, label: str) -> list[Grid]:
    """``count`` grids spread over ``parents``, with treebeard paths made by hand (bulk)."""
    kids: list[Grid] = []
    per: dict[int, int] = {}
    for i in range(count):
        parent = parents[i % len(parents)]
        per[parent.pk] = per.get(parent.pk, 0) + 1
        kids.append(Grid(community_id=parent.community_id, name=f"{label}{i + 1}",
                         code=f"{tag}-{parent.code.rsplit('-', 1)[-1]}-{label[:2]}{i + 1}",
                         depth=parent.depth + 1, numchild=0,
                         path=Grid._get_path(parent.path, parent.depth + 1, per[parent.pk])))
    Grid.objects.bulk_create(kids, batch_size=2000)
    for p in parents:
        p.numchild = per.get(p.pk, 0)
    Grid.objects.bulk_update(parents, ["numchild"], batch_size=2000)
    return list(Grid.objects.filter(code__in=[k.code for k in kids]).order_by("path"))


def _register(leaves: list[Grid], count: int, rng) -> list[tuple]:
    """Two buildings per smallest grid, two units each, the households spread evenly.

    Returns (household id, unit id, building id, grid id, community id) tuples.
    """
    numbers: dict[int, int] = {}
    buildings = []
    for g in leaves:
        for _ in range(2):
            numbers[g.community_id] = numbers.get(g.community_id, 0) + 1
            buildings.append(Building(community_id=g.community_id, grid=g,
                                      number=numbers[g.community_id]))
    Building.objects.bulk_create(buildings, batch_size=5000)
    units = Unit.objects.bulk_create([Unit(building=b, number=n) for b in buildings
                                      for n in (1, 2)], batch_size=5000)
    where = {}
    rows = []
    for i in range(count):
        unit = units[i % len(units)]
        k = i // len(units)
        rows.append(Household(unit=unit, floor=k // 4 + 1, number=f"{k // 4 + 1}{k % 4 + 1:02d}",
                              head_name=f"户主{i + 1}",
                              phone=f"13{rng.randrange(10**9):09d}", members=rng.randint(1, 6)))
    Household.objects.bulk_create(rows, batch_size=5000)
    for b in buildings:
        where[b.pk] = (b.grid_id, b.community_id)
    return [(h.pk, h.unit_id, h.unit.building_id, *where[h.unit.building_id]) for h in rows]


def _cases(households: list[tuple], count: int, rng):
    """The case rows, as a generator that touches no database while it runs: COPY holds
    the connection, so categories and deadlines are read before the first row."""
    categories = list(Category.objects.filter(active=True)) or [
        Category.objects.get_or_create(code="repair", defaults={
            "name": "维修", "icon": "repair", "days_normal": 5})[0]]
    states = [s for s, share in MIX for _ in range(share)]
    now = timezone.now()
    # Every (day, working days) deadline of the year, read now (the calendar is in the database).
    due_at = {}
    for back in range(367):
        day = now - timedelta(days=back)
        for days in {c.days_normal for c in categories}:
            due_at[(timezone.localtime(day).date(), days)] = workdays.deadline(day, days)

    def rows():
        for i in range(count):
            hid, uid, bid, gid, cid = households[rng.randrange(len(households))]
            category = categories[i % len(categories)]
            state = rng.choice(states)
            created = now - timedelta(minutes=rng.randint(0, 365 * 24 * 60))
            row = {"community_id": cid, "category_id": category.pk,
                   "priority": Priority.NORMAL, "description": "自动生成的诉求",
                   "status": state, "household_id": hid, "building_id": bid, "unit_id": uid,
                   "grid_id": gid, "channel": Channel.SELF, "created_at": created,
                   "updated_at": created,
                   "due_at": due_at[(timezone.localtime(created).date(), category.days_normal)]}
            if state in (Status.RESOLVED, Status.CLOSED):
                row["resolved_at"] = created + timedelta(hours=rng.randint(2, 24 * 9))
            if state == Status.CLOSED:
                row["closed_at"] = row["resolved_at"] + timedelta(hours=rng.randint(1, 72))
                if rng.random() < 0.8:
                    row["rating"], row["fixed"] = rng.choice([5, 5, 5, 4, 4, 3, 2]), True
                else:
                    row["no_rating"] = True
            if state not in (Status.SUBMITTED, Status.DECLINED) and rng.random() < 0.05:
                row["reopen_count"] = 1
            yield row

    return rows()


def _visits(households: list[tuple], workers: list, leaves: list[Grid], count: int, rng):
    """Visits over the last two months, by the grid's workers (any worker, for figures)."""
    now = timezone.now()
    for _ in range(count):
        hid, _uid, _bid, gid, _cid = households[rng.randrange(len(households))]
        yield {"household_id": hid, "grid_id": gid,
               "visitor_id": workers[rng.randrange(len(workers))].pk,
               "visited_at": now - timedelta(minutes=rng.randint(0, 60 * 24 * 60)),
               "met": Met.HEAD}
