"""Reads of the whistle: the case page's panel, and the figures per department."""

from __future__ import annotations

import statistics as pystats
from datetime import date, datetime, time, timedelta

from django.db.models import Prefetch
from django.utils import timezone

from buildings.models import Department

from .. import workdays
from ..models import Case, Whistle, WhistleSummons


def panel(case: Case, *, staff: bool) -> dict | None:
    """The 吹哨报到 panel of a case page, or ``None`` if no whistle was blown on it.

    Staff see every department's report-in time and note, late ones marked;
    residents see only the names of the departments involved.
    """
    whistles = list(Whistle.objects.filter(case=case).select_related("lead").prefetch_related(
        Prefetch("summonses", queryset=WhistleSummons.objects.select_related(
            "department", "reported_by").order_by("pk"))).order_by("-blown_at", "-pk")[:3])
    if not whistles:
        return None
    current = whistles[0]
    rows = list(current.summonses.all())
    if not staff:
        return {"names": [s.department.name for s in rows], "lead": current.lead.name}
    return {"whistle": current, "rows": rows, "departments": rows,
            "lead": current.lead.name, "open": current.result_at is None}


def whistle_choices(case: Case) -> list[Department]:
    """The departments that may be summoned: those of the case's community."""
    return list(Department.objects.filter(community_id=case.community_id).order_by("name"))


def figures_by_department(*, community_ids=None, start: datetime, end: datetime) -> list[dict]:
    """Per department, for whistles blown from ``start`` to ``end``: summoned, reported in on
    time, and the median working hours to report in."""
    qs = WhistleSummons.objects.filter(whistle__blown_at__range=(start, end)).select_related(
        "department", "whistle")
    if community_ids is not None:
        qs = qs.filter(whistle__case__community_id__in=community_ids)
    per: dict[int, dict] = {}
    for s in qs.order_by("department__name", "pk"):
        row = per.setdefault(s.department_id, {"name": s.department.name, "received": 0,
                                               "on_time": 0, "late": 0, "hours": []})
        row["received"] += 1
        if s.reported_at is not None and s.reported_at <= s.due_at:
            row["on_time"] += 1
        elif s.late:
            row["late"] += 1
        if s.reported_at is not None:
            row["hours"].append(workdays.workhours_between(s.whistle.blown_at, s.reported_at))
    out = []
    for row in per.values():
        hours = row.pop("hours")
        row["median_hours"] = round(pystats.median(hours), 1) if hours else None
        out.append(row)
    return out


def report_ins_by_community(community_ids: frozenset[int], start: date, end: date
                            ) -> dict[int, tuple[int, float]]:
    """Per community: how many summoned departments reported in, for whistles blown from
    ``start`` to ``end`` (days, inclusive), and their working minutes to report in, summed.
    The county's roll-ups read it (``community.county.rollups.REPORT_IN_SOURCES``)."""
    tz = timezone.get_current_timezone()
    qs = (WhistleSummons.objects
          .filter(whistle__case__community_id__in=community_ids, reported_at__isnull=False,
                  whistle__blown_at__gte=datetime.combine(start, time.min, tzinfo=tz),
                  whistle__blown_at__lt=datetime.combine(end + timedelta(days=1), time.min,
                                                         tzinfo=tz))
          .values_list("whistle__case__community_id", "whistle__blown_at", "reported_at"))
    out: dict[int, tuple[int, float]] = {}
    for community_id, blown_at, reported_at in qs.iterator():
        n, minutes = out.get(community_id, (0, 0.0))
        out[community_id] = (n + 1, minutes + workdays.workhours_between(blown_at, reported_at) * 60)
    return out
