"""Scope of the patrol selectors: the round a person walks, the coverage of the grids they see."""

from datetime import timedelta

import pytest
from django.utils import timezone

from buildings.patrols.models import Visit
from buildings.patrols.selectors import coverage, coverage_grids, households_for, round_for
from buildings.patrols.services import visit_record
from buildings.tests import factories as f

from .helpers import _last_month_day, flag, guide

pytestmark = pytest.mark.django_db


def test_the_round_puts_flagged_households_first_and_overdue_on_top(world):
    today = timezone.localdate()
    flag(world.household_a2, "独居老人", since=today - timedelta(days=20))
    items = round_for(world.worker_a, today=today)
    assert [d.household for d in items] == [world.household_a2, world.household_a]
    assert items[0].flagged and items[0].overdue and items[0].days_overdue == 20
    visit_record(actor=world.worker_a, household=world.household_a, met="head")
    items = round_for(world.worker_a, today=today)
    assert items[-1].household == world.household_a and items[-1].done


def test_coverage_per_grid_and_up_the_tree(world):
    today = timezone.localdate()
    flag(world.household_b, "独居老人", since=today - timedelta(days=5))
    visit_record(actor=world.worker_a, household=world.household_a, met="head",
                 finding="safety", note="电线老化")
    visit_record(actor=world.worker_a, household=world.household_a2, met="family")
    rows = {r.grid.code: r for r in coverage([world.grid_top, world.grid_a, world.grid_b],
                                             today=today)}
    a, b, top = rows["W1-A"], rows["W1-B"], rows["W1"]
    assert (a.households, a.visited, a.flagged, a.overdue) == (2, 2, 0, 0)
    assert (b.households, b.visited, b.flagged, b.overdue) == (1, 0, 1, 1)
    assert (top.households, top.visited, top.flagged, top.overdue) == (3, 2, 1, 1)
    assert a.findings["safety"] == 1 and top.findings["safety"] == 1 and b.findings["safety"] == 0
    assert top.percent == 67


def test_coverage_of_a_past_month_counts_that_months_visits_and_flags_only(world):
    from buildings.patrols.selectors import month_day

    now_visit = visit_record(actor=world.worker_a, household=world.household_a, met="head")
    old = visit_record(actor=world.worker_a, household=world.household_a2, met="family",
                       finding="safety", note="电线老化")
    Visit.objects.filter(pk=old.pk).update(visited_at=_last_month_day(15))
    month_end = timezone.localdate().replace(day=1) - timedelta(days=1)
    flag(world.household_b, "独居老人", since=month_end - timedelta(days=40))
    flag(world.household_a, "低保", since=month_end + timedelta(days=1))  # set this month
    past = {r.grid.code: r for r in coverage([world.grid_a, world.grid_b],
                                             today=month_day(month_end.replace(day=1)))}
    assert month_day(month_end.replace(day=1)) == month_end
    a, b = past["W1-A"], past["W1-B"]
    # Last month: flat a2 was visited (not a, whose visit is this month); nobody was
    # flagged in grid A yet; b's flag was overdue by the month's end.
    assert (a.households, a.visited, a.flagged, a.overdue) == (2, 1, 0, 0)
    assert a.findings["safety"] == 1
    assert (b.flagged, b.overdue) == (1, 1)
    now = {r.grid.code: r for r in coverage([world.grid_a], today=timezone.localdate())}
    assert (now["W1-A"].visited, now["W1-A"].flagged) == (1, 1)
    assert now["W1-A"].findings["safety"] == 0
    assert now_visit.household_id == world.household_a.pk


def test_the_households_on_a_round_are_those_of_the_persons_grids_or_guided_community(world):
    assert set(households_for(world.worker_a)) == {world.household_a, world.household_a2}
    assert set(households_for(world.worker_b)) == {world.household_b}
    assert set(households_for(world.worker_top)) == {
        world.household_a, world.household_a2, world.household_b}
    judge = guide(world.community, f.UserFactory())
    assert set(households_for(judge)) == {
        world.household_a, world.household_a2, world.household_b}
    other_judge = guide(f.CommunityFactory(name="别的社区"), f.UserFactory())
    assert list(households_for(other_judge)) == []
    assert list(households_for(world.resident_a)) == []
    assert list(households_for(world.head_a)) == []


def test_coverage_is_read_for_the_persons_own_grids_or_the_admins_community(world):
    assert coverage_grids(world.worker_a) == [world.grid_a]
    assert coverage_grids(world.worker_top) == [world.grid_top, world.grid_a, world.grid_b]
    assert coverage_grids(world.admin) == [world.grid_top, world.grid_a, world.grid_b]
    f.make_grid(code="X1", community=f.CommunityFactory(name="别的社区"))
    assert coverage_grids(world.admin) == [world.grid_top, world.grid_a, world.grid_b]
    assert coverage_grids(world.resident_a) == []
