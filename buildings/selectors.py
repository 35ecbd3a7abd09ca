"""Reads of the register."""

from __future__ import annotations

from django.db.models import QuerySet

from .access import scope_of
from .choices import ResidencyState
from .models import Building, Household, Residency


def pending_claims_for(user) -> QuerySet[Residency]:
    """Claims waiting for this person: in buildings they head or grids they work."""
    scope = scope_of(user)
    qs = Residency.objects.filter(state=ResidencyState.PENDING).select_related(
        "user", "household__unit__building"
    )
    if scope.is_superuser:
        return qs.order_by("claimed_at")
    buildings = scope.headed_building_ids | scope.grid_building_ids | scope.admin_building_ids
    return qs.filter(household__unit__building_id__in=buildings).order_by("claimed_at")


def recent_decisions_for(user, *, limit: int = 20) -> QuerySet[Residency]:
    scope = scope_of(user)
    qs = Residency.objects.exclude(state=ResidencyState.PENDING).select_related(
        "user", "household__unit__building"
    )
    if not scope.is_superuser:
        buildings = scope.headed_building_ids | scope.grid_building_ids | scope.admin_building_ids
        qs = qs.filter(household__unit__building_id__in=buildings)
    return qs.order_by("-decided_at")[:limit]


def residencies_of(user) -> QuerySet[Residency]:
    """The person's homes on 我的, each with its address (building and unit), newest first."""
    return (
        Residency.objects.filter(user=user)
        .exclude(state=ResidencyState.MOVED_OUT)
        .select_related("household__unit__building")
        .order_by("-claimed_at")
    )


def find_household(*, building_number: int, unit_number: int, number: str) -> Household | None:
    return (
        Household.objects.select_related("unit__building")
        .filter(
            unit__building__number=building_number,
            unit__number=unit_number,
            number=number.strip(),
        )
        .first()
    )


def buildings_for_choice() -> QuerySet[Building]:
    return Building.objects.order_by("number").only("id", "number", "name")
