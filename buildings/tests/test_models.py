"""The grid-ancestor path, in one place: a grid and every grid above it, the grid itself
included; the grids strictly above are that list without its last."""

import pytest

from buildings.models import grid_paths_up
from buildings.services import _responsible_people
from community.services import _grid_workers
from community.tests.factories import case_in

pytestmark = pytest.mark.django_db


def test_a_grid_and_every_grid_above_it_top_first(world):
    top, grid_a = world.grid_top, world.grid_a
    assert grid_paths_up(grid_a.path) == [top.path, grid_a.path]
    assert grid_paths_up(top.path) == [top.path]  # the boundary: a level-1 grid is its own


def test_the_grid_itself_counts_for_who_looks_after_a_household(world):
    people = {u.pk for u in _responsible_people(world.household_a)}
    assert world.worker_a.pk in people  # the building's own grid
    assert world.worker_top.pk in people  # and the grid above it


def test_escalating_past_the_grid_leaves_its_own_workers_out(world):
    case = case_in(world, "submitted", household=world.household_a)
    assert [u.pk for u in _grid_workers(case)] == [world.worker_a.pk]
    assert [u.pk for u in _grid_workers(case, above=True)] == [world.worker_top.pk]
