"""Fixtures shared by every app: a small world with two grids and everyone in it."""

from dataclasses import dataclass

import pytest

pytest_plugins = ["tests.fixtures"]


@dataclass
class World:
    community: object
    grid_top: object
    grid_a: object
    grid_b: object
    building_a: object
    building_b: object
    household_a: object
    household_a2: object
    household_b: object
    resident_a: object
    resident_a2: object
    resident_b: object
    head_a: object
    head_b: object
    worker_a: object
    worker_b: object
    worker_top: object
    department: object
    other_department: object
    handler: object
    other_handler: object
    liaison: object
    admin: object
    stranger: object


@pytest.fixture
def world(db) -> World:
    """Two grids (A, B) under one top grid; a building in each, with its people.

    ``resident_a`` and ``resident_a2`` live in different flats of building A;
    ``resident_b`` in building B. ``stranger`` has an account and nothing else.
    """
    from buildings.tests import factories as f

    community = f.CommunityFactory(name="测试社区")
    top = f.make_grid(code="W1", name="社区网格", community=community)
    grid_a = f.make_grid(code="W1-A", name="A网格", parent=top)
    grid_b = f.make_grid(code="W1-B", name="B网格", parent=top)
    building_a = f.BuildingFactory(community=community, grid=grid_a, number=1)
    building_b = f.BuildingFactory(community=community, grid=grid_b, number=2)
    unit_a = f.UnitFactory(building=building_a, number=1)
    unit_b = f.UnitFactory(building=building_b, number=1)
    household_a = f.HouseholdFactory(unit=unit_a, number="101", floor=1)
    household_a2 = f.HouseholdFactory(unit=unit_a, number="102", floor=1)
    household_b = f.HouseholdFactory(unit=unit_b, number="101", floor=1)
    department = f.DepartmentFactory(community=community, name="物业")
    other_department = f.DepartmentFactory(community=community, name="供水公司")
    return World(
        community=community,
        grid_top=top,
        grid_a=grid_a,
        grid_b=grid_b,
        building_a=building_a,
        building_b=building_b,
        household_a=household_a,
        household_a2=household_a2,
        household_b=household_b,
        resident_a=f.resident_of(household_a),
        resident_a2=f.resident_of(household_a2),
        resident_b=f.resident_of(household_b),
        head_a=f.building_head(building_a),
        head_b=f.building_head(building_b),
        worker_a=f.grid_worker(grid_a),
        worker_b=f.grid_worker(grid_b),
        worker_top=f.grid_worker(top),
        department=department,
        other_department=other_department,
        handler=f.handler(department),
        other_handler=f.handler(other_department),
        liaison=f.liaison(community),
        admin=f.community_admin(community),
        stranger=f.UserFactory(),
    )
