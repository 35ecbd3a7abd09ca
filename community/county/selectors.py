"""Reads for the county pages: a region's roll-up by level, and the lists behind it.

Figures come from the summary tables (``models``), so a page costs the same
few queries whatever the number of cases; the lists are read live from cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from django.db.models import F, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from buildings.models import Community, Region
from buildings.regions import RegionKind
from community.choices import WORKING_STATES, Status
from community.models import Case, Whistle

from .models import CaseDayFigures, PatrolFigures
from .rollups import report_ins

SUMS = ("cases", "closed", "on_time", "rated", "satisfied", "no_rating", "reopened")

# What each figure's link shows: the cases behind it (``community_cases``).
SHOWS = {
    "cases": Q(),
    "closed": Q(status=Status.CLOSED),
    "on_time": Q(status=Status.CLOSED) & (Q(due_at=None) | Q(closed_at__lte=F("due_at"))),
    "rated": Q(status=Status.CLOSED, rating__isnull=False),
    "satisfied": Q(status=Status.CLOSED, rating__gte=4),
    "reopened": Q(reopen_count__gt=0),
    # The report-in figure: the cases a whistle was blown on in the period (the
    # period is the whistle's, not the case's; see ``community_cases``).
    "whistled": Q(),
}


def show_labels() -> list[tuple[str, str]]:
    return [("cases", _("诉求")), ("closed", _("已办结")), ("on_time", _("按期办结")),
            ("rated", _("已评价")), ("satisfied", _("满意")), ("reopened", _("重新办理")),
            ("whistled", _("吹哨报到的诉求"))]


def communities_below(region: Region) -> frozenset[int]:
    return frozenset(Community.objects.filter(Q(township=region) | Q(township__parent=region))
                     .values_list("pk", flat=True))


def _pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


@dataclass
class Row:
    label: str
    url: str
    """Where a figure of this row leads: the region below, or the community's cases."""
    per_figure: bool = False
    """True when ``url`` is a case list that takes ``show=<figure>``."""
    coverage_url: str = ""
    """Where the patrol coverage figure leads: the grids of a community, or the region below."""
    cases: int = 0
    closed: int = 0
    on_time: int = 0
    rated: int = 0
    satisfied: int = 0
    no_rating: int = 0
    reopened: int = 0
    households: int = 0
    visited: int = 0
    report_ins: int | None = None
    report_minutes: float = 0.0

    def add(self, other: Row) -> None:
        for name in (*SUMS, "households", "visited", "report_minutes"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        if other.report_ins is not None:
            self.report_ins = (self.report_ins or 0) + other.report_ins

    @property
    def on_time_pct(self) -> float | None:
        return _pct(self.on_time, self.closed)

    @property
    def satisfaction_pct(self) -> float | None:
        return _pct(self.satisfied, self.rated)

    @property
    def coverage_pct(self) -> float | None:
        return _pct(self.visited, self.households)

    @property
    def report_in_avg(self) -> float | None:
        return round(self.report_minutes / self.report_ins, 1) if self.report_ins else None

    def link(self, show: str) -> str:
        return f"{self.url}&show={show}" if self.per_figure else self.url


@dataclass
class Rollup:
    region: Region
    start: date
    end: date
    rows: list[Row]
    total: Row
    has_whistle: bool
    month: date
    """The month whose patrol coverage the rows carry (its first day)."""


def _period_query(start: date, end: date, month: date | None = None) -> str:
    q = f"?start={start:%Y-%m-%d}&end={end:%Y-%m-%d}"
    return f"{q}&month={month:%Y-%m}" if month else q


def rollup(region: Region, *, start: date, end: date, month: date | None = None) -> Rollup:
    """The region's figures, one row per region or community one level below it; the
    patrol coverage is ``month``'s (this month's by default).

    Five queries however many cases: the communities, the summed case days,
    the patrol figures (and the whistle's, if installed).
    """
    month = (month or timezone.localdate()).replace(day=1)
    communities = list(Community.objects.filter(
        Q(township=region) | Q(township__parent=region)).select_related("township")
        .order_by("name"))
    ids = frozenset(c.pk for c in communities)
    sums = {r["community_id"]: r for r in CaseDayFigures.objects.filter(
        community_id__in=ids, day__range=(start, end)).order_by()
        .values("community_id").annotate(**{n: Sum(n) for n in SUMS})}
    patrols = {p.community_id: p for p in PatrolFigures.objects.filter(community_id__in=ids,
                                                                        month=month)}
    whistle = report_ins(ids, start, end)
    q = _period_query(start, end)
    down = _period_query(start, end, month)
    rows: dict[int, Row] = {}
    total = Row(label=region.name, url="")
    for c in communities:
        one = Row(label=c.name, url=reverse("county:community_cases", args=[c.pk]) + q,
                  per_figure=True,
                  coverage_url=reverse("county:community_coverage", args=[c.pk])
                  + f"?month={month:%Y-%m}")
        for name in SUMS:
            setattr(one, name, (sums.get(c.pk) or {}).get(name) or 0)
        if c.pk in patrols:
            one.households, one.visited = patrols[c.pk].households, patrols[c.pk].visited
        if whistle is not None:
            one.report_ins, one.report_minutes = whistle.get(c.pk, (0, 0.0))
        if region.kind == RegionKind.COUNTY and c.township_id != region.pk:
            row = rows.get(c.township_id)
            if row is None:
                below = reverse("county:region", args=[c.township_id]) + down
                row = rows[c.township_id] = Row(label=c.township.name, url=below,
                                                coverage_url=below)
            row.add(one)
        else:
            rows[c.pk] = one
        total.add(one)
    return Rollup(region=region, start=start, end=end, rows=list(rows.values()), total=total,
                  has_whistle=whistle is not None, month=month)


def _range(start: date, end: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    return (timezone.make_aware(datetime.combine(start, time.min), tz),
            timezone.make_aware(datetime.combine(end, time.max), tz))


def community_cases(community: Community, *, show: str, start: date, end: date,
                    offset: int = 0, limit: int = 50) -> list[Case]:
    """The cases behind one figure of one community, newest first (read live).

    ``whistled``: the cases a whistle was blown on from ``start`` to ``end``, the
    whistles the report-in figure counts; every other figure, the cases made then.
    """
    if show == "whistled":
        period = Q(pk__in=Whistle.objects.filter(blown_at__range=_range(start, end))
                   .values("case_id"))
    else:
        period = SHOWS[show] & Q(created_at__range=_range(start, end))
    return list(Case.objects.filter(period, community=community)
                .exclude(status=Status.MERGED).select_related("category")
                .order_by("-created_at", "-pk")[offset:offset + limit])


def supervision_list(community_ids: frozenset[int], *, offset: int = 0,
                     limit: int = 50) -> list[Case]:
    """Open cases past their deadline below a region, longest overdue first (read live)."""
    return list(Case.objects.filter(status__in=WORKING_STATES, due_at__lt=timezone.now(),
                                    community_id__in=community_ids)
                .select_related("category", "community").order_by("due_at", "pk")
                [offset:offset + limit])
