"""Which buildings a notice reaches. Plain queries on the register; imported by models,
rules, selectors and services alike, so it imports none of them."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from buildings.models import Building, Grid

from .choices import Audience


def audience_buildings(notice) -> QuerySet[Building]:
    """The buildings a notice reaches (one query when evaluated)."""
    if notice.audience == Audience.BUILDINGS:
        return Building.objects.filter(pk__in=notice.audience_buildings.through.objects.filter(
            noticepage_id=notice.pk).values("building_id"))
    if notice.audience == Audience.GRIDS:
        paths = list(Grid.objects.filter(pk__in=notice.audience_grids.through.objects.filter(
            noticepage_id=notice.pk).values("grid_id")).values_list("path", flat=True))
        if not paths:
            return Building.objects.none()
        under = Q()
        for p in paths:
            under |= Q(grid__path__startswith=p)
        return Building.objects.filter(under)
    return Building.objects.all()


def draft_building_ids(page) -> set[int]:
    """Audience buildings of an unsaved or draft page object (from its in-memory relations)."""
    if page.audience == Audience.BUILDINGS:
        return {b.pk for b in page.audience_buildings.all()}
    if page.audience == Audience.GRIDS:
        paths = [g.path for g in page.audience_grids.all()]
        if not paths:
            return set()
        under = Q()
        for p in paths:
            under |= Q(grid__path__startswith=p)
        return set(Building.objects.filter(under).values_list("pk", flat=True))
    return set(Building.objects.values_list("pk", flat=True))
