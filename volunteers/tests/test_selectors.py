"""Volunteering's reads (``volunteers.selectors``): organisers, building heads and approvers
get the tasks and volunteers of their own grids, buildings and community, nobody else's."""

import pytest

from buildings.tests import factories as f
from volunteers.selectors import (
    tasks_headed_by,
    tasks_organised_by,
    volunteers_approved_for,
    volunteers_pending_for,
)

from . import factories as vf

pytestmark = pytest.mark.django_db


def test_a_grid_worker_organises_the_tasks_of_their_grid(world):
    in_a = vf.task(building=world.building_a, created_by=world.admin, title="A栋")
    in_b = vf.task(building=world.building_b, created_by=world.admin, title="B栋")
    assert tasks_organised_by(world.worker_a) == [in_a]
    assert tasks_organised_by(world.worker_b) == [in_b]
    assert set(tasks_organised_by(world.admin)) == {in_a, in_b}
    assert tasks_organised_by(world.resident_a) == []


def test_the_one_who_posted_a_task_organises_it_wherever_it_is(world):
    posted = vf.task(building=world.building_b, created_by=world.worker_a)
    assert tasks_organised_by(world.worker_a) == [posted]


def test_a_building_head_sees_the_tasks_of_the_buildings_they_head(world):
    in_a = vf.task(building=world.building_a, created_by=world.worker_a)
    vf.task(building=world.building_b, created_by=world.worker_b)
    assert tasks_headed_by(world.head_a) == [in_a]
    assert tasks_headed_by(world.worker_a) == []


def test_applications_wait_for_the_grids_worker_and_the_communitys_admin(world):
    in_a = vf.volunteer(community=world.community, grid=world.grid_a, approved=False)
    in_b = vf.volunteer(community=world.community, grid=world.grid_b, approved=False)
    vf.volunteer(community=world.community, grid=world.grid_a)  # approved already
    other = f.CommunityFactory(name="别的社区")
    elsewhere = vf.volunteer(community=other, approved=False)
    assert volunteers_pending_for(world.worker_a) == [in_a]
    assert volunteers_pending_for(world.worker_b) == [in_b]
    assert set(volunteers_pending_for(world.admin)) == {in_a, in_b}
    assert volunteers_pending_for(f.community_admin(other)) == [elsewhere]
    assert volunteers_pending_for(world.resident_a) == []


def test_approved_volunteers_are_listed_to_their_own_communitys_admin(world):
    ours = vf.volunteer(community=world.community, grid=world.grid_a)
    theirs = vf.volunteer(community=f.CommunityFactory(name="别的社区"))
    assert volunteers_approved_for(world.admin) == [ours]
    assert theirs not in volunteers_approved_for(world.admin)
    assert volunteers_approved_for(world.worker_a) == []
