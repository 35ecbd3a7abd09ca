"""Who may decide a residency claim: only those responsible for its building."""

import pytest

from buildings.access import may, scope_of
from buildings.choices import ResidencyState
from buildings.models import Residency
from buildings.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _claim(world, household):
    return Residency.objects.create(user=UserFactory(), household=household)


def test_scope_of_grid_worker_covers_grids_below(world):
    top = scope_of(world.worker_top)
    assert {world.grid_a.pk, world.grid_b.pk, world.grid_top.pk} <= top.grid_ids
    assert top.covers_building(world.building_a.pk) and top.covers_building(world.building_b.pk)
    a = scope_of(world.worker_a)
    assert a.covers_building(world.building_a.pk)
    assert not a.covers_building(world.building_b.pk)


@pytest.mark.parametrize(
    "who, allowed",
    [
        ("head_a", True), ("worker_a", True), ("worker_top", True), ("admin", True),
        ("head_b", False), ("worker_b", False), ("resident_a", False), ("resident_a2", False),
        ("handler", False), ("liaison", False), ("stranger", False),
    ],
)
def test_decide_residency_follows_the_building(world, who, allowed):
    claim = _claim(world, world.household_a)
    assert may(getattr(world, who), "buildings.decide_residency", claim) is allowed


def test_resident_sees_own_claim_not_anothers(world):
    own = Residency.objects.create(user=world.stranger, household=world.household_b,
                                   state=ResidencyState.PENDING)
    assert may(world.stranger, "buildings.view_residency", own)
    assert not may(world.resident_a, "buildings.view_residency", own)


def test_anonymous_may_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    claim = _claim(world, world.household_a)
    assert not may(AnonymousUser(), "buildings.decide_residency", claim)
