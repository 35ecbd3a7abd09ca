"""The county pages on a phone: a region's figures by level, each figure a link down
(county → township → community → the cases behind it → the case page), the
supervision list, and CSV/xlsx exports.

A region or community outside the person's oversight is a 404, so a forged id
learns nothing; a person who oversees nothing gets a 403.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from buildings.access import may, scope_of
from buildings.models import Community, Grid, Region
from buildings.patrols import selectors as patrol_selectors
from portal.downloads import as_download
from portal.params import BadParameter, parse_date, parse_int, parse_month

from . import selectors

PAGE = 50


def _overseer(request: HttpRequest) -> None:
    if not scope_of(request.user).is_region_admin:
        raise PermissionDenied(_("只有县、乡镇管理员可以查看。"))


def _period(request: HttpRequest) -> tuple[date, date]:
    end = parse_date(request.GET.get("end"), name=_("结束日期"), default=None) \
        or timezone.localdate()
    start = parse_date(request.GET.get("start"), name=_("开始日期"), default=None) \
        or end - timedelta(days=364)
    return (start, end) if start <= end else (end, start)


def _region(request: HttpRequest, pk: int) -> Region:
    region = Region.objects.filter(pk=pk).first()
    if region is None or not may(request.user, "county.view_region", region):
        raise Http404
    return region


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """The highest region the person oversees."""
    _overseer(request)
    scope = scope_of(request.user)
    region = (Region.objects.filter(pk__in=scope.oversee_region_ids)
              .order_by("kind", "name").first())  # "county" sorts before "township"
    return redirect("county:region", pk=region.pk)


@login_required
def region(request: HttpRequest, pk: int) -> HttpResponse:
    _overseer(request)
    r = _region(request, pk)
    start, end = _period(request)
    month = parse_month(request.GET.get("month"), name=_("走访月份"), default=None)
    data = selectors.rollup(r, start=start, end=end, month=month)
    fmt = request.GET.get("export")
    if fmt in ("csv", "xlsx"):
        return _export(data, fmt)
    if fmt:
        raise BadParameter(_("导出格式只能是 csv 或 xlsx。"), name="export")
    return render(request, "county/region.html", {
        "r": data, "start": start, "end": end, "month": data.month,
        "this_month": timezone.localdate().replace(day=1)})


def _export(data: selectors.Rollup, fmt: str) -> HttpResponse:
    head = [_("名称"), _("诉求总数"), _("已办结"), _("按期办结率（%）"), _("满意率（%）"),
            _("重新办理"), _("平均报到用时（分钟）"),
            _("%(month)s 走访覆盖率（%%）") % {"month": f"{data.month:%Y-%m}"}]

    def line(row: selectors.Row) -> list:
        return [row.label, row.cases, row.closed, row.on_time_pct, row.satisfaction_pct,
                row.reopened, row.report_in_avg, row.coverage_pct]

    rows = [head] + [line(x) for x in data.rows] + [line(data.total)]
    rows = [["" if v is None else v for v in row] for row in rows]
    name = f"jiayuan-county-{data.region.pk}-{data.start}-{data.end}-{data.month:%Y-%m}.{fmt}"
    if fmt == "csv":
        out = io.StringIO()
        out.write("\ufeff")  # Excel opens UTF-8 Chinese correctly with a BOM
        csv.writer(out).writerows(rows)
        return as_download(HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8"),
                           name)
    import openpyxl  # noqa: PLC0415 (lazy: heavy (~1 s), only for a spreadsheet)

    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return as_download(HttpResponse(buf.getvalue(), content_type=(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")), name)


@login_required
def community_cases(request: HttpRequest, pk: int) -> HttpResponse:
    """The cases behind one figure of one community (residents' data never shown here)."""
    _overseer(request)
    community = Community.objects.select_related("township").filter(pk=pk).first()
    if community is None or not may(request.user, "county.view_community_cases", community):
        raise Http404
    show = request.GET.get("show") or "cases"
    if show not in selectors.SHOWS:
        raise BadParameter(_("没有这一项统计。"), name="show")
    start, end = _period(request)
    offset = parse_int(request.GET.get("from"), name=_("起始位置"), max=1_000_000, default=0)
    cases = selectors.community_cases(community, show=show, start=start, end=end,
                                      offset=offset, limit=PAGE + 1)
    return render(request, "county/cases.html", {
        "community": community, "cases": cases[:PAGE], "show": show, "start": start,
        "end": end, "more": offset + PAGE if len(cases) > PAGE else None,
        "title": dict(selectors.show_labels())[show]})


@login_required
def community_coverage(request: HttpRequest, pk: int) -> HttpResponse:
    """What the coverage figure of one community counts, grid by grid: households
    visited, flagged ones overdue, findings. Figures only, never a household."""
    _overseer(request)
    community = Community.objects.select_related("township").filter(pk=pk).first()
    if community is None or not may(request.user, "county.view_community_cases", community):
        raise Http404
    month = parse_month(request.GET.get("month"), name=_("走访月份"), default=None)
    day = patrol_selectors.month_day(month)
    grids = list(Grid.objects.filter(community=community).order_by("path"))
    return render(request, "county/coverage.html", {
        "community": community, "rows": patrol_selectors.coverage(grids, today=day),
        "month": day, "this_month": timezone.localdate().replace(day=1),
        "past": day != timezone.localdate()})


@login_required
def supervision(request: HttpRequest, pk: int) -> HttpResponse:
    """督办: the open cases past their deadline below a region, longest overdue first."""
    _overseer(request)
    r = _region(request, pk)
    ids = selectors.communities_below(r)
    offset = parse_int(request.GET.get("from"), name=_("起始位置"), max=1_000_000, default=0)
    cases = selectors.supervision_list(ids, offset=offset, limit=PAGE + 1)
    return render(request, "county/supervision.html", {
        "region": r, "cases": cases[:PAGE], "more": offset + PAGE if len(cases) > PAGE else None})
