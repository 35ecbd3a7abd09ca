"""The statistics screen in the Wagtail admin, with CSV and xlsx export."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.admin.ui.components import Component

from buildings.access import scope_of
from portal.downloads import as_download
from portal.params import parse_date

from .calendar import ScheduleError, calendar_gaps, calendar_year_apply, parse_schedule
from .forms import CalendarYearForm
from .statistics import figures, rows_for_export


def _period(request: HttpRequest) -> tuple[date, date]:
    end = parse_date(request.GET.get("end"), name=_("结束日期"), default=None) \
        or timezone.localdate()
    start = parse_date(request.GET.get("start"), name=_("开始日期"), default=None) \
        or (end.replace(day=1) - timedelta(days=335)).replace(day=1)
    return (start, end) if start <= end else (end, start)


def case_statistics(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request.user)
    if not scope.is_admin:
        raise PermissionDenied(_("只有社区管理员可以查看统计。"))
    start, end = _period(request)
    f = figures(community_ids=None if scope.is_superuser else scope.admin_community_ids,
                start=start, end=end)
    fmt = request.GET.get("export")
    if fmt in ("csv", "xlsx"):
        rows = rows_for_export(f)
        name = f"jiayuan-cases-{start}-{end}"
        if fmt == "csv":
            out = io.StringIO()
            out.write("\ufeff")  # Excel opens UTF-8 Chinese correctly with a BOM
            csv.writer(out).writerows(rows)
            response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
        else:
            import openpyxl  # noqa: PLC0415 (lazy: heavy (~1 s), only for a spreadsheet)

            book = openpyxl.Workbook()
            for row in rows:
                book.active.append(row)
            buf = io.BytesIO()
            book.save(buf)
            response = HttpResponse(buf.getvalue(), content_type=(
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
        return as_download(response, f"{name}.{fmt}")
    return render(request, "community/admin/statistics.html", {"f": f, "start": start,
                                                               "end": end})


def calendar_year(request: HttpRequest) -> HttpResponse:
    """Enter a year's holidays and make-up days in one go: read, preview, apply."""

    scope = scope_of(request.user)
    if not scope.is_admin:
        raise PermissionDenied(_("只有社区管理员可以修改节假日。"))
    gaps = calendar_gaps()
    schedule = None
    form = CalendarYearForm(request.POST or None, request.FILES or None,
                            initial={"year": gaps[0] if gaps else timezone.localdate().year + 1})
    if request.method == "POST" and form.is_valid():
        try:
            schedule = parse_schedule(
                year=form.cleaned_data["year"], text=form.cleaned_data["text"],
                ics=form.cleaned_data["ics"].read() if form.cleaned_data["ics"] else None)
        except ScheduleError as exc:
            form.add_error(None, str(exc))
        else:
            if "apply" in request.POST:
                done = calendar_year_apply(actor=request.user, schedule=schedule)
                messages.success(request, _(
                    "已保存 %(year)d 年的 %(days)d 个节假日和调休日，重新计算了 %(cases)d 件诉求的办理时限。"
                ) % done)
                return redirect("community_calendar_year")
    return render(request, "community/admin/calendar_year.html",
                  {"form": form, "schedule": schedule, "gaps": gaps})


class CalendarWarningPanel(Component):
    """On the admin's dashboard: the holiday calendar runs out within 90 days."""

    name = "jiayuan_calendar_warning"
    order = 10

    def render_html(self, parent_context=None) -> str:
        gaps = calendar_gaps()
        if not gaps:
            return ""
        return render_to_string("community/admin/_calendar_warning.html", {"gaps": gaps})
