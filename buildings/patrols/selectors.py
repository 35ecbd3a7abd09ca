"""Reads for the round: who is due a visit, and coverage up the grid tree.

A flagged household is due ``visit_days`` (the shortest of its flags) after
its last visit, or from the day it was flagged if nobody has been yet; every
other household once a calendar month. Overdue means due before today.
"""

from __future__ import annotations

import calendar
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from buildings.access import scope_of
from buildings.models import Grid, Household

from .choices import Finding
from .models import CareFlag, Visit
from .rules import guide_community_ids


def month_bounds(today: date) -> tuple[datetime, datetime]:
    """The first moment of ``today``'s month and of the next, in local time."""
    first = today.replace(day=1)
    nxt = (first + timedelta(days=32)).replace(day=1)
    tz = timezone.get_current_timezone()
    return (datetime.combine(first, datetime.min.time(), tz),
            datetime.combine(nxt, datetime.min.time(), tz))


@dataclass
class Due:
    household: Household
    flagged: bool
    due_on: date
    last_visit: datetime | None
    visited_this_month: bool
    escalate_days: int = 0
    today: date = field(default_factory=timezone.localdate)

    @property
    def overdue(self) -> bool:
        return self.due_on < self.today

    @property
    def days_overdue(self) -> int:
        return max(0, (self.today - self.due_on).days)

    @property
    def done(self) -> bool:
        """Nothing to do this month: visited, and (if flagged) not yet due again."""
        return self.visited_this_month and not (self.flagged and self.due_on <= self.today)


def schedule(households: QuerySet[Household], *, today: date | None = None) -> list[Due]:
    """When each household is due, in three queries whatever their number.

    ``today`` may be a day in the past (the last day of a past month, for its
    coverage): then only the visits made by the end of that month and the flags
    set by that day count, so the answer is what it was that day.
    """
    today = today or timezone.localdate()
    start, end = month_bounds(today)
    households = list(households.select_related("unit__building"))
    ids = [h.pk for h in households]
    flags: dict[int, list[CareFlag]] = defaultdict(list)
    for flag in CareFlag.objects.filter(household_id__in=ids, kind__active=True,
                                        since__lte=today).select_related("kind"):
        flags[flag.household_id].append(flag)
    last = dict(Visit.objects.filter(household_id__in=ids, visited_at__lt=end)
                .values("household_id")
                .annotate(last=Max("visited_at")).values_list("household_id", "last"))
    month_end = date(today.year, today.month, calendar.monthrange(today.year, today.month)[1])
    out = []
    for h in households:
        seen = last.get(h.pk)
        this_month = seen is not None and seen >= start
        mine = flags.get(h.pk, [])
        if mine:
            days = min(f.kind.visit_days for f in mine)
            if seen is not None:
                due_on = timezone.localtime(seen).date() + timedelta(days=days)
            else:
                due_on = min(f.since for f in mine)
            escalate = min(f.kind.escalate_days for f in mine)
        else:
            due_on = (month_end + timedelta(days=1)) if this_month else month_end
            escalate = 0
        out.append(Due(household=h, flagged=bool(mine), due_on=due_on, last_visit=seen,
                       visited_this_month=this_month, escalate_days=escalate, today=today))
    return out


def households_for(user) -> QuerySet[Household]:
    """The households a grid worker (their grids and below) or a guide (their communities) visits."""
    scope = scope_of(user)
    lookup = Q(unit__building__grid_id__in=scope.grid_ids)
    guided = guide_community_ids(user)
    if guided:
        lookup |= Q(unit__building__community_id__in=guided)
    if not scope.grid_ids and not guided:
        return Household.objects.none()
    return Household.objects.filter(lookup)


def round_for(user, *, today: date | None = None) -> list[Due]:
    """This month's round: overdue and due flagged households first, then the rest
    not yet visited this month, then those done."""
    items = schedule(households_for(user), today=today)

    def order(d: Due):
        if d.done:
            group = 2
        elif d.flagged:
            group = 0
        else:
            group = 1
        return (group, d.due_on, d.household.unit.building.number, d.household.unit.number,
                d.household.floor, d.household.number)

    return sorted(items, key=order)


def visits_of(household: Household, *, limit: int = 10) -> list[Visit]:
    return list(household.visits.select_related("visitor", "case", "dispute")
                .prefetch_related("photos")[:limit])


@dataclass
class GridCoverage:
    grid: Grid
    households: int = 0
    visited: int = 0
    flagged: int = 0
    overdue: int = 0
    findings: Counter = field(default_factory=Counter)

    @property
    def percent(self) -> int:
        return round(100 * self.visited / self.households) if self.households else 0

    @property
    def findings_shown(self) -> list[tuple[str, int]]:
        return [(label, self.findings.get(value, 0)) for value, label in Finding.choices
                if value != Finding.NONE]


def coverage_grids(user) -> list[Grid]:
    """The grids whose coverage this person reads: their own and below; an admin's whole community."""
    scope = scope_of(user)
    qs = Grid.objects.all()
    if not scope.is_superuser:
        qs = qs.filter(Q(pk__in=scope.grid_ids) | Q(community_id__in=scope.admin_community_ids))
    return list(qs.order_by("path"))


def month_day(month: date | None, *, today: date | None = None) -> date:
    """The day a month's coverage is read on: today for this month, else its last day."""
    today = today or timezone.localdate()
    if month is None or (month.year, month.month) == (today.year, today.month):
        return today
    return date(month.year, month.month, calendar.monthrange(month.year, month.month)[1])


def coverage(grids: list[Grid], *, today: date | None = None) -> list[GridCoverage]:
    """Per grid, counting every household below it: visited in ``today``'s month,
    flagged households overdue on ``today``, findings by kind in that month.
    For a past month pass its last day (``month_day``)."""
    today = today or timezone.localdate()
    if not grids:
        return []
    start, end = month_bounds(today)
    under, visits_under = Q(), Q()
    for g in grids:
        under |= Q(unit__building__grid__path__startswith=g.path)
        visits_under |= Q(grid__path__startswith=g.path)
    leaf: dict[str, GridCoverage] = defaultdict(lambda: GridCoverage(grid=None))
    due = schedule(Household.objects.filter(under).select_related("unit__building__grid"),
                   today=today)
    for d in due:
        row = leaf[d.household.unit.building.grid.path]
        row.households += 1
        row.visited += d.visited_this_month
        row.flagged += d.flagged
        row.overdue += d.flagged and d.overdue
    for path, finding in (Visit.objects.filter(visited_at__gte=start, visited_at__lt=end)
                          .filter(visits_under)
                          .exclude(finding=Finding.NONE)
                          .values_list("grid__path", "finding")):
        leaf[path].findings[finding] += 1
    out = []
    for g in grids:
        row = GridCoverage(grid=g)
        for path, part in leaf.items():
            if path.startswith(g.path):
                row.households += part.households
                row.visited += part.visited
                row.flagged += part.flagged
                row.overdue += part.overdue
                row.findings.update(part.findings)
        out.append(row)
    return out
