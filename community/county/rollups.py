"""Rebuild the county's summary tables (see ``models``), and the whistle's hook.

``refresh`` runs every ten minutes (``tasks``) and after the generator. It
rebuilds both tables in one transaction from grouped queries, so a reader sees
either the old figures or the new ones, never half.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import Count, F, Q
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone

from buildings.models import Household
from buildings.patrols.models import Visit
from community.choices import Status
from community.models import Case

from .models import CaseDayFigures, PatrolFigures

# 吹哨报到 report-in times. The whistle (community/whistle*) registers one function
# here from its AppConfig.ready(): ``fn(community_ids, start, end)`` returning
# ``{community_id: (report_ins, total_minutes)}``. Until it does, the column
# shows "—" and the exports leave it empty.
ReportIns = Callable[[frozenset[int], date, date], dict[int, tuple[int, float]]]
REPORT_IN_SOURCES: list[ReportIns] = []


def register_report_ins(fn: ReportIns) -> ReportIns:
    REPORT_IN_SOURCES.append(fn)
    return fn


def report_ins(community_ids: frozenset[int], start: date, end: date
               ) -> dict[int, tuple[int, float]] | None:
    """Report-ins and their minutes per community, or None if no whistle is installed."""
    if not REPORT_IN_SOURCES:
        return None
    out: dict[int, tuple[int, float]] = {}
    for fn in REPORT_IN_SOURCES:
        for cid, (n, minutes) in fn(community_ids, start, end).items():
            had = out.get(cid, (0, 0.0))
            out[cid] = (had[0] + n, had[1] + minutes)
    return out


def _case_rows() -> list[CaseDayFigures]:
    closed = Q(status=Status.CLOSED)
    grouped = (Case.objects.exclude(status=Status.MERGED).order_by()
               .annotate(day=TruncDate("created_at"))
               .values("community_id", "day")
               .annotate(cases=Count("pk"),
                         closed=Count("pk", filter=closed),
                         on_time=Count("pk", filter=closed & (
                             Q(due_at=None) | Q(closed_at__lte=F("due_at")))),
                         rated=Count("pk", filter=closed & Q(rating__isnull=False)),
                         satisfied=Count("pk", filter=closed & Q(rating__gte=4)),
                         no_rating=Count("pk", filter=closed & Q(no_rating=True)),
                         reopened=Count("pk", filter=Q(reopen_count__gt=0))))
    return [CaseDayFigures(**row) for row in grouped.iterator(chunk_size=5000)]


def _patrol_rows(today: date) -> list[PatrolFigures]:
    """One row per community and month: this month for every community, and every
    earlier month that had visits.

    The register keeps no history of households, so each month is measured against
    the households registered today (a flat moved into last week counts in every month).
    """
    current = today.replace(day=1)
    households = dict(Household.objects.order_by().values("unit__building__community_id")
                      .annotate(n=Count("pk")).values_list("unit__building__community_id", "n"))
    end = timezone.make_aware(datetime.combine(
        (current + timedelta(days=32)).replace(day=1), time.min))
    visited: dict[tuple[int, date], int] = {}
    for cid, month, n in (Visit.objects.filter(visited_at__lt=end).order_by()
                          .annotate(month=TruncMonth("visited_at"))
                          .values("household__unit__building__community_id", "month")
                          .annotate(n=Count("household_id", distinct=True))
                          .values_list("household__unit__building__community_id", "month", "n")
                          .iterator()):
        visited[(cid, timezone.localtime(month).date() if isinstance(month, datetime)
                 else month)] = n
    keys = set(visited) | {(cid, current) for cid in households}
    return [PatrolFigures(community_id=cid, month=month, households=households.get(cid, 0),
                          visited=visited.get((cid, month), 0))
            for cid, month in sorted(keys)]


def refresh(*, today: date | None = None) -> dict:
    """Rebuild both summary tables in one transaction. Returns how many rows each got."""
    today = today or timezone.localdate()
    cases, patrols = _case_rows(), _patrol_rows(today)
    with transaction.atomic():
        CaseDayFigures.objects.all().delete()
        CaseDayFigures.objects.bulk_create(cases, batch_size=5000)
        PatrolFigures.objects.all().delete()
        PatrolFigures.objects.bulk_create(patrols, batch_size=5000)
    return {"case_days": len(cases), "patrol_months": len(patrols)}
