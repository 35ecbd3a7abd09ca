"""The community's figures: cases by category, grid, department and month; time to close;
closed on time; satisfaction (answers and no-answers apart); the overdue list."""

from __future__ import annotations

import statistics as pystats
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.db.models import Count, F, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from .choices import WORKING_STATES, Status
from .models import Case
from .whistle.selectors import figures_by_department


@dataclass
class Figures:
    start: date
    end: date
    total: int = 0
    by_category: list = field(default_factory=list)
    by_grid: list = field(default_factory=list)
    by_department: list = field(default_factory=list)
    by_month: list = field(default_factory=list)
    closed: int = 0
    median_days_to_close: float | None = None
    on_time: int = 0
    on_time_share: float | None = None
    rated: int = 0
    satisfied: int = 0
    satisfaction_rate: float | None = None
    no_rating: int = 0
    overdue: list = field(default_factory=list)
    whistles: list = field(default_factory=list)


def _bars(rows: list[tuple[str, int]]) -> list[dict]:
    top = max((n for _l, n in rows), default=0) or 1
    return [{"label": label or "—", "n": n, "width": round(300 * n / top)} for label, n in rows]


def figures(*, community_ids=None, start: date, end: date) -> Figures:
    """Figures for cases registered from ``start`` to ``end`` (inclusive), in these communities."""
    tz = timezone.get_current_timezone()
    lo = timezone.make_aware(datetime.combine(start, time.min), tz)
    hi = timezone.make_aware(datetime.combine(end, time.max), tz)
    qs = Case.objects.filter(created_at__range=(lo, hi)).exclude(status=Status.MERGED)
    if community_ids is not None:
        qs = qs.filter(community_id__in=community_ids)
    f = Figures(start=start, end=end, total=qs.count())

    def grouped(key):
        return [(label, n) for label, n in qs.values_list(key).annotate(n=Count("pk"))
                .order_by("-n")]

    f.by_category = _bars(grouped("category__name"))
    f.by_grid = _bars(grouped("grid__name"))
    f.by_department = _bars(grouped("department__name"))
    months = (qs.annotate(m=TruncMonth("created_at")).values_list("m")
              .annotate(n=Count("pk")).order_by("m"))
    f.by_month = _bars([(f"{m:%Y-%m}" if m else "", n) for m, n in months])
    closed = qs.filter(status=Status.CLOSED)
    durations = [(c - s).total_seconds() / 86400 for s, c in
                 closed.exclude(closed_at=None).values_list("created_at", "closed_at")]
    f.closed = len(durations)
    if durations:
        f.median_days_to_close = round(pystats.median(durations), 1)
    f.on_time = closed.filter(Q(due_at=None) | Q(closed_at__lte=F("due_at"))).count()
    f.on_time_share = round(100 * f.on_time / f.closed, 1) if f.closed else None
    f.rated = closed.filter(rating__isnull=False).count()
    f.satisfied = closed.filter(rating__gte=4).count()
    f.no_rating = closed.filter(no_rating=True).count()
    f.satisfaction_rate = round(100 * f.satisfied / f.rated, 1) if f.rated else None
    overdue = Case.objects.filter(status__in=WORKING_STATES, due_at__lt=timezone.now())
    if community_ids is not None:
        overdue = overdue.filter(community_id__in=community_ids)
    f.overdue = list(overdue.select_related("category", "grid", "department")
                     .order_by("due_at")[:100])
    f.whistles = figures_by_department(community_ids=community_ids, start=lo, end=hi)
    return f


def rows_for_export(f: Figures) -> list[list]:
    rows = [["指标 figure", "值 value"],
            ["统计期 period", f"{f.start} – {f.end}"], ["诉求总数 cases", f.total],
            ["已办结 closed", f.closed], ["办结用时中位数（天） median days to close",
                                          f.median_days_to_close or ""],
            ["按期办结 closed on time", f.on_time], ["按期办结率 % on time", f.on_time_share or ""],
            ["已评价 rated", f.rated], ["满意（4–5星） satisfied", f.satisfied],
            ["满意率 % satisfaction", f.satisfaction_rate or ""], ["未评价 no rating", f.no_rating],
            []]
    for title, bars in (("类别 category", f.by_category), ("网格 grid", f.by_grid),
                        ("部门 department", f.by_department), ("月份 month", f.by_month)):
        rows.append([title, "件数 cases"])
        rows += [[b["label"], b["n"]] for b in bars]
        rows.append([])
    rows.append(["吹哨报到 whistle", "被召集", "按时报到", "超时", "报到用时中位数（工作小时）"])
    rows += [[w["name"], w["received"], w["on_time"], w["late"], w["median_hours"] or ""]
             for w in f.whistles]
    rows.append([])
    rows.append(["超期诉求 overdue", "类别", "网格", "部门", "时限"])
    rows += [[c.number, c.category.name, c.grid.name, c.department.name if c.department else "",
              f"{timezone.localtime(c.due_at):%Y-%m-%d}"] for c in f.overdue]
    return rows

