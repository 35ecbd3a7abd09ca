"""The statistics screen in the Wagtail admin, with CSV and xlsx export."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from buildings.access import scope_of
from portal.params import parse_date

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
        raise PermissionDenied(_("只有社区管理员可以查看统计。 Only community admins."))
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
            import openpyxl

            book = openpyxl.Workbook()
            for row in rows:
                book.active.append(row)
            buf = io.BytesIO()
            book.save(buf)
            response = HttpResponse(buf.getvalue(), content_type=(
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
        response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
        return response
    return render(request, "community/admin/statistics.html", {"f": f, "start": start,
                                                               "end": end})
