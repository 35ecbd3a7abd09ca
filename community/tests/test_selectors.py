"""The loop's reads (``community.selectors``): a resident's list, a worker's queue, "me too"
suggestions and merge candidates hold the cases of that person's own place and grid only."""

import pytest

from community.choices import Status
from community.selectors import (
    cases_for_workbench,
    cases_of_resident,
    merge_candidates,
    similar_open_cases,
    workbench_counts,
)
from community.services import case_metoo

from .factories import case_in, category

pytestmark = pytest.mark.django_db


def in_b(world, state=Status.SUBMITTED):
    return case_in(world, state, reporter=world.resident_b, household=world.household_b)


def test_a_residents_list_is_what_she_reported_or_follows(world):
    mine = case_in(world, Status.SUBMITTED)
    neighbours = case_in(world, Status.SUBMITTED, reporter=world.resident_a2,
                         building=world.building_a)  # the stairs they share
    in_b(world)
    assert list(cases_of_resident(world.resident_a)) == [mine]
    assert list(cases_of_resident(world.resident_a2)) == [neighbours]
    case_metoo(actor=world.resident_a, case_id=neighbours.pk)
    world.resident_a.__dict__.pop("_jy_followed", None)
    assert list(cases_of_resident(world.resident_a)) == [neighbours, mine]
    assert list(cases_of_resident(world.stranger)) == []


def test_a_grid_workers_queue_holds_their_grids_cases_only(world):
    in_a = case_in(world, Status.SUBMITTED)
    b = in_b(world)
    assert cases_for_workbench(world.worker_a, tab="new") == [in_a]
    assert cases_for_workbench(world.worker_b, tab="new") == [b]
    assert set(cases_for_workbench(world.worker_top, tab="new")) == {in_a, b}
    assert set(cases_for_workbench(world.admin, tab="new")) == {in_a, b}
    assert cases_for_workbench(world.resident_a, tab="new") == []
    assert workbench_counts(world.worker_a)["new"] == 1
    assert workbench_counts(world.stranger)["new"] == 0


def test_a_handler_sees_the_cases_given_to_their_department_only(world):
    ours = case_in(world, Status.DISPATCHED)
    case_in(world, Status.TRIAGED)  # not dispatched yet: not theirs
    assert cases_for_workbench(world.handler, tab="doing") == [ours]
    assert cases_for_workbench(world.other_handler, tab="doing") == []


def test_me_too_suggestions_never_show_another_households_flat(world):
    flat = case_in(world, Status.SUBMITTED)  # resident_a's own flat, building A
    stairs = case_in(world, Status.SUBMITTED, building=world.building_a)  # a public part
    repair = category()
    # Her neighbour in the same stairwell is shown the stairs, never her flat.
    assert similar_open_cases(user=world.resident_a2, category=repair,
                              household=world.household_a2) == []
    assert similar_open_cases(user=world.resident_a2, category=repair,
                              building=world.building_a) == [stairs]
    assert similar_open_cases(user=world.resident_a, category=repair,
                              household=world.household_a) == [flat]
    # Building B's resident, asking about building A with a forged id, gets nothing.
    assert similar_open_cases(user=world.resident_b, category=repair,
                              building=world.building_a) == []
    assert similar_open_cases(user=world.stranger, category=repair,
                              building=world.building_a) == []


def test_merge_candidates_are_open_cases_of_the_same_grid(world):
    case = case_in(world, Status.SUBMITTED)
    same_grid = case_in(world, Status.SUBMITTED, reporter=world.resident_a2,
                        household=world.household_a2)
    in_b(world)
    case_in(world, Status.CLOSED)
    assert merge_candidates(case) == [same_grid]
