"""The register's reads (``buildings.selectors``): each person gets the claims and decisions of
the buildings they answer for, and their own residencies, never another building's."""

import pytest
from django.utils import timezone

from buildings.choices import ResidencyState
from buildings.models import Residency
from buildings.selectors import (
    find_household,
    pending_claims_for,
    recent_decisions_for,
    residencies_of,
)
from buildings.tests import factories as f

pytestmark = pytest.mark.django_db


def claim(household, state=ResidencyState.PENDING, **kw) -> Residency:
    return Residency.objects.create(user=f.UserFactory(), household=household, state=state, **kw)


def test_pending_claims_are_those_of_the_buildings_a_person_answers_for(world):
    in_a = claim(world.household_a)
    in_b = claim(world.household_b)
    claim(world.household_a2, state=ResidencyState.REJECTED)  # decided: not waiting
    assert list(pending_claims_for(world.head_a)) == [in_a]
    assert list(pending_claims_for(world.worker_b)) == [in_b]
    assert set(pending_claims_for(world.worker_top)) == {in_a, in_b}  # the grids below
    assert set(pending_claims_for(world.admin)) == {in_a, in_b}
    assert list(pending_claims_for(world.resident_a)) == []
    assert list(pending_claims_for(world.stranger)) == []


def test_pending_claims_of_another_community_stay_out(world):
    other = f.HouseholdFactory(unit=f.UnitFactory(
        building=f.BuildingFactory(community=f.CommunityFactory(name="别的社区"))))
    claim(other)
    assert list(pending_claims_for(world.admin)) == []
    assert list(pending_claims_for(world.worker_top)) == []


def test_recent_decisions_are_those_of_the_own_buildings_newest_first(world):
    now = timezone.now()
    old_a = claim(world.household_a, state=ResidencyState.REJECTED,
                  decided_at=now - timezone.timedelta(days=2))
    new_a = claim(world.household_a2, state=ResidencyState.VERIFIED, decided_at=now)
    in_b = claim(world.household_b, state=ResidencyState.REJECTED, decided_at=now)
    claim(world.household_a)  # still pending: not a decision
    head_a = [r for r in recent_decisions_for(world.head_a) if r.decided_at]
    assert head_a == [new_a, old_a]
    assert in_b not in recent_decisions_for(world.head_a)
    assert in_b in recent_decisions_for(world.head_b)
    assert list(recent_decisions_for(world.stranger)) == []


def test_residencies_of_a_person_are_their_own_and_not_moved_out(world):
    moved = claim(world.household_b, state=ResidencyState.MOVED_OUT)
    assert [r.household for r in residencies_of(world.resident_a)] == [world.household_a]
    assert list(residencies_of(moved.user)) == []
    assert list(residencies_of(world.stranger)) == []


def test_find_household_needs_the_building_the_unit_and_the_flat(world):
    assert find_household(building_number=1, unit_number=1, number="101") == world.household_a
    assert find_household(building_number=2, unit_number=1, number=" 101 ") == world.household_b
    assert find_household(building_number=1, unit_number=2, number="101") is None
    assert find_household(building_number=3, unit_number=1, number="101") is None
