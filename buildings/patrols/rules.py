"""Who sees care flags and visits households.

Care flags are for the grid workers of the household's grid and of the grids
above it, the admins of its community and the village guides assigned to it;
not for building heads, handlers, liaison staff or residents.
"""

from __future__ import annotations

import rules

from buildings.access import scope_of

from .models import Guide

_GUIDE_ATTR = "_jiayuan_guide_communities"


def guide_community_ids(user) -> frozenset[int]:
    """The communities this person is a village guide of (read once per request)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, _GUIDE_ATTR, None)
    if cached is None:
        cached = frozenset(Guide.objects.filter(user=user).values_list("community_id", flat=True))
        setattr(user, _GUIDE_ATTR, cached)
    return cached


def _household_place(household) -> tuple[int, int]:
    building = household.unit.building
    return building.grid_id, building.community_id


def cares_for_grid(user, grid_id: int, community_id: int) -> bool:
    scope = scope_of(user)
    return (scope.is_superuser or grid_id in scope.grid_ids
            or community_id in scope.admin_community_ids
            or community_id in guide_community_ids(user))


@rules.predicate
def cares_for_household(user, household) -> bool:
    if household is None:
        return False
    return cares_for_grid(user, *_household_place(household))


@rules.predicate
def walks_a_round(user) -> bool:
    return scope_of(user).is_grid_worker or bool(guide_community_ids(user))


@rules.predicate
def reads_coverage(user, grid=None) -> bool:
    scope = scope_of(user)
    if grid is None:
        return scope.is_grid_worker or scope.is_admin
    return (scope.is_superuser or grid.pk in scope.grid_ids
            or grid.community_id in scope.admin_community_ids)


@rules.predicate
def sees_visit(user, visit) -> bool:
    if visit is None:
        return False
    return visit.visitor_id == user.pk or cares_for_household(user, visit.household)


rules.add_perm("patrols.view_care_flags", cares_for_household)
rules.add_perm("patrols.visit_household", cares_for_household)
rules.add_perm("patrols.walk_round", walks_a_round)
rules.add_perm("patrols.view_coverage", reads_coverage)
rules.add_perm("patrols.view_visit", sees_visit)
