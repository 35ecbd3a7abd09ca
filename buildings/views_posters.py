"""QR posters for stairwells (issue 3, part 7): scan, and the report form knows the place.

Each building and each unit gets a printable A4 page with a QR code that
opens the report form (``/cases/new/``) with ``?building=<id>`` and, for a
unit, ``&unit=<id>``; the report form reads those parameters. Posters are
printed by the people responsible for the building: its building heads, the
grid workers covering it, and admins (``buildings.act_for_building``). A
forged id for a building someone is not responsible for answers 404.

The QR code is an SVG made by segno and put in the page as a ``data:`` image
(the CSP allows ``img-src data:``), so the page prints sharp at any size and
needs no extra request.
"""

from __future__ import annotations

from urllib.parse import urlencode

import segno
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from .access import may, scope_of
from .models import Building, Unit

REPORT_FORM_FALLBACK = "/cases/new/"


def report_path(building: Building, unit: Unit | None = None) -> str:
    """The report form's path with the place filled in."""
    try:
        base = reverse("community:new")
    except NoReverseMatch:  # the cases app not installed (e.g. a trimmed test setup)
        base = REPORT_FORM_FALLBACK
    params = {"building": building.pk}
    if unit is not None:
        params["unit"] = unit.pk
    return f"{base}?{urlencode(params)}"


def report_url(request: HttpRequest, building: Building, unit: Unit | None = None) -> str:
    """The absolute address the QR code holds (the site the poster was printed from)."""
    return request.build_absolute_uri(report_path(building, unit))


def qr_data_uri(text: str) -> str:
    """An SVG QR code for ``text`` as a data: URI, error correction M (survives a scuffed poster)."""
    qr = segno.make(text, error="m", micro=False)
    return qr.svg_data_uri(scale=10, border=2, dark="#000", light="#fff")


def buildings_for_posters(user) -> QuerySet[Building]:
    """The buildings ``user`` may print posters for, with their units."""
    scope = scope_of(user)
    qs = Building.objects.select_related("community", "grid").prefetch_related("units")
    if scope.is_superuser:
        return qs
    if scope.is_admin:
        return qs.filter(community_id__in=scope.admin_community_ids)
    ids = scope.headed_building_ids | scope.grid_building_ids
    return qs.filter(pk__in=ids)


def _poster(request: HttpRequest, building: Building, unit: Unit | None = None) -> dict:
    url = report_url(request, building, unit)
    return {
        "building": building,
        "unit": unit,
        "place": str(unit) if unit is not None else building.label,
        "url": url,
        "qr": qr_data_uri(url),
    }


def _require_poster_maker(user) -> None:
    scope = scope_of(user)
    if not (scope.is_building_head or scope.is_grid_worker or scope.is_admin):
        raise PermissionDenied(
            _("只有楼栋长、网格员和管理员可以打印报事二维码。")
        )


@login_required
def poster_index(request: HttpRequest) -> HttpResponse:
    _require_poster_maker(request.user)
    buildings = list(buildings_for_posters(request.user))
    return render(request, "buildings/poster_index.html", {"buildings": buildings})


def _building_for(request: HttpRequest, pk: int) -> Building:
    building = get_object_or_404(Building.objects.select_related("community"), pk=pk)
    if not may(request.user, "buildings.act_for_building", building):
        raise Http404
    return building


@login_required
def poster_building(request: HttpRequest, pk: int) -> HttpResponse:
    """The building's poster; with ``?units=1`` also one page per unit, to print all at once."""
    building = _building_for(request, pk)
    posters = [_poster(request, building)]
    with_units = request.GET.get("units") == "1"
    if with_units:
        posters += [_poster(request, building, unit) for unit in building.units.all()]
    return render(request, "buildings/poster.html", {
        "posters": posters, "building": building, "with_units": with_units,
    })


@login_required
def poster_unit(request: HttpRequest, pk: int) -> HttpResponse:
    unit = get_object_or_404(Unit.objects.select_related("building__community"), pk=pk)
    if not may(request.user, "buildings.act_for_building", unit.building):
        raise Http404
    return render(request, "buildings/poster.html", {
        "posters": [_poster(request, unit.building, unit)], "building": unit.building,
        "with_units": False,
    })
