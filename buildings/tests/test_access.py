"""Who may decide a residency claim: only those responsible for its building."""

import pytest
from django.core.cache import cache

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


def _fresh(user):
    """The person as a new request loads them: no scope kept on the object."""
    return type(user).objects.get(pk=user.pk)


def test_a_scope_is_retired_for_its_person_only(world, django_assert_num_queries):
    from buildings.access import forget_scope

    cache.clear()
    scope_of(_fresh(world.resident_a))  # kept in the cache
    # Another person's socket connects, and another person's residency changes:
    forget_scope(_fresh(world.resident_a2))
    _claim(world, world.household_b)
    with django_assert_num_queries(0):
        assert scope_of(_fresh_without_queries(world.resident_a)).is_verified_resident
    # This person's own residency changes: their scope is read again, and right.
    Residency.objects.create(user=world.resident_a, household=world.household_b,
                             state=ResidencyState.VERIFIED)
    assert world.household_b.pk in scope_of(_fresh(world.resident_a)).household_ids


def test_a_building_retires_every_scope(world, django_assert_max_num_queries):
    cache.clear()
    scope_of(_fresh(world.resident_a))
    world.building_b.save()
    user = _fresh(world.resident_a)
    with django_assert_max_num_queries(5) as captured:
        scope_of(user)
    assert len(captured) >= 1


def test_a_failing_cache_costs_a_query_not_an_error(world, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379")

    for name in ("get", "get_many", "set", "add", "incr"):
        monkeypatch.setattr(cache, name, down)
    assert scope_of(_fresh(world.head_a)).covers_building(world.building_a.pk)
    Residency.objects.create(user=world.resident_a2, household=world.household_b)  # signals too
    from buildings.access import forget_scope

    forget_scope(world.resident_a2)


def _fresh_without_queries(user):
    """A user object such as the session middleware gives, made without a query here."""
    clone = type(user)(pk=user.pk, username=user.username, is_superuser=user.is_superuser)
    return clone
