"""Open311 locations the way platforms give them: a point, an address, an id; what
matches nothing is registered 待定位 on the community's top grid, and placed by staff."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from buildings.models import PublicPlace
from buildings.tests import factories as f
from community.models import Case
from community.open311.models import RequestToken
from community.open311.selectors import haversine_m
from community.open311.services import api_key_issue
from community.tests.factories import category
from portal.models import AuditEntry

BASE = "/open311/v2"
# Building A at a point in 罗城; B about 110 m east of it; the square 300 m north.
A_LAT, A_LON = Decimal("24.779000"), Decimal("108.902000")


@pytest.fixture
def setup(world):
    category("repair", name="维修")
    _key, raw = api_key_issue(actor=world.admin, platform="罗城12345")
    world.building_a.latitude, world.building_a.longitude = A_LAT, A_LON
    world.building_a.save()
    world.building_b.latitude, world.building_b.longitude = A_LAT, A_LON + Decimal("0.0011")
    world.building_b.save()
    f.UnitFactory(building=world.building_b, number=2)
    square = PublicPlace.objects.create(
        community=world.community, grid=world.grid_b, kind="square", name="文化广场",
        latitude=A_LAT + Decimal("0.0027"), longitude=A_LON)
    return world, raw, square


def submit(client, raw, **location):
    return client.post(f"{BASE}/requests.json", {"api_key": raw, "service_code": "repair",
                                                 "description": "路灯不亮", **location})


def created(response) -> Case:
    assert response.status_code == 201, response.content
    return Case.objects.get(pk=int(json.loads(response.content)[0]["service_request_id"]))


def test_haversine_is_in_metres():
    # One thousandth of a degree of latitude is about 111 m anywhere.
    assert 110 < haversine_m(24.779, 108.902, 24.780, 108.902) < 112


def test_a_point_near_a_building_is_that_building(client, setup):
    world, raw, square = setup
    case = created(submit(client, raw, lat="24.779300", long="108.901900"))  # ~35 m from A
    assert case.building == world.building_a and case.grid == world.grid_a
    assert case.latitude == Decimal("24.779300")
    # Nearer B than A: B, and its grid.
    case = created(submit(client, raw, lat="24.779000", long="108.903000"))
    assert case.building == world.building_b and case.grid == world.grid_b
    # Near the square: the place.
    case = created(submit(client, raw, lat="24.781650", long="108.902000"))
    assert case.place == square and case.grid == world.grid_b


def test_a_point_too_far_is_unplaced_on_the_top_grid(client, setup, settings):
    world, raw, _square = setup
    settings.OPEN311_MATCH_METRES = 150
    case = created(submit(client, raw, lat="24.790000", long="108.902000"))  # ~1.2 km
    assert case.is_unplaced and case.where == "待定位"
    assert case.grid == world.grid_top and case.community == world.community
    assert case.latitude == Decimal("24.790000")  # the point is kept for the worker
    # A wider setting reaches the square (about 1 km away).
    settings.OPEN311_MATCH_METRES = 1200
    case = created(submit(client, raw, lat="24.790000", long="108.902000"))
    assert case.place is not None and case.place.name == "文化广场"


@pytest.mark.parametrize("address, building, unit", [
    ("2栋1单元", "b", 1),
    ("2栋2单元", "b", 2),
    ("测试社区 2 栋", "b", None),
    ("2号楼", "b", None),
    ("２栋１单元", "b", 1),  # full-width digits
    ("1栋", "a", None),
    ("2-2-501", "b", 2),
])
def test_an_address_string_is_matched_through_the_register(client, setup, address, building,
                                                           unit):
    world, raw, _square = setup
    case = created(submit(client, raw, address_string=address))
    expected = world.building_a if building == "a" else world.building_b
    assert case.building == expected, address
    assert case.grid == expected.grid
    assert (case.unit.number if case.unit else None) == unit


def test_an_address_of_a_public_place_or_nowhere(client, setup):
    world, raw, square = setup
    assert created(submit(client, raw, address_string="文化广场东侧")).place == square
    for nowhere in ("9栋", "3楼楼道", "不知道"):
        case = created(submit(client, raw, address_string=nowhere))
        assert case.is_unplaced and case.grid == world.grid_top, nowhere
        # What the caller said is kept, on the platform's request record.
        assert RequestToken.objects.get(case=case).address_string == nowhere


def test_address_id_is_a_building_or_place_id(client, setup):
    world, raw, square = setup
    assert created(submit(client, raw, address_id=str(world.building_b.pk))).building \
        == world.building_b
    assert created(submit(client, raw, address_id=f"p{square.pk}")).place == square
    case = created(submit(client, raw, address_id="999999"))
    assert case.is_unplaced and case.grid == world.grid_top


def test_attribute_building_still_works_and_wins(client, setup):
    world, raw, _square = setup
    case = created(submit(client, raw, **{"attribute[building]": str(world.building_a.pk),
                                          "address_string": "2栋"}))
    assert case.building == world.building_a


def test_no_location_at_all_is_a_georeport_400(client, setup):
    _world, raw, _square = setup
    before = Case.objects.count()
    for fmt in ("json", "xml"):
        response = client.post(f"{BASE}/requests.{fmt}", {
            "api_key": raw, "service_code": "repair", "description": "路灯不亮"})
        assert response.status_code == 400
        assert "缺少位置" in response.content.decode()
    assert Case.objects.count() == before


def test_the_top_grid_worker_is_told_and_places_the_case(client, setup):
    world, raw, square = setup
    case = created(submit(client, raw, address_string="不知道在哪"))
    assert world.worker_top.notifications.filter(title__contains="新诉求").exists()
    client.force_login(world.worker_top)
    page = client.get(f"/cases/{case.pk}/")
    assert "待定位" in page.content.decode() and "确定地点" in page.content.decode()
    response = client.post(f"/cases/{case.pk}/place/", {"to": f"b{world.building_b.pk}"})
    assert response.status_code == 303
    case.refresh_from_db()
    assert case.building == world.building_b and case.grid == world.grid_b
    assert AuditEntry.objects.filter(action="case.place", object_id=str(case.pk)).exists()
    assert world.worker_b.notifications.filter(title__contains="新诉求").exists()
    # Placed once: the form is gone and placing again is refused.
    assert "确定地点" not in client.get(f"/cases/{case.pk}/").content.decode()
    again = client.post(f"/cases/{case.pk}/place/", {"to": f"p{square.pk}"})
    assert again.status_code == 400 and "已经有地点" in again.content.decode()


def test_placing_is_for_staff_of_that_community(client, setup):
    world, raw, _square = setup
    case = created(submit(client, raw, address_string="不知道在哪"))
    other = f.CommunityFactory(name="别的社区")
    other_top = f.make_grid(code="X1", name="别的网格", community=other)
    other_building = f.BuildingFactory(community=other, grid=other_top, number=7)
    outsider = f.community_admin(other)
    client.force_login(outsider)
    refused = client.post(f"/cases/{case.pk}/place/", {"to": f"b{world.building_a.pk}"})
    assert refused.status_code in (403, 404)
    # Our own admin cannot place it in another community's building either.
    client.force_login(world.admin)
    wrong = client.post(f"/cases/{case.pk}/place/", {"to": f"b{other_building.pk}"})
    assert wrong.status_code == 400
    case.refresh_from_db()
    assert case.is_unplaced and case.grid == world.grid_top
    assert not AuditEntry.objects.filter(action="case.place").exists()


def test_coordinates_are_edited_in_the_wagtail_admin(client, world):
    from django.urls import reverse

    client.force_login(world.admin)
    b = world.building_a
    url = reverse("register_building:edit", args=[b.pk])
    form = {"community": b.community_id, "grid": b.grid_id, "number": b.number,
            "name": b.name, "floors": b.floors, "latitude": "24.779100",
            "longitude": "108.902200"}
    assert client.post(url, form).status_code == 302
    b.refresh_from_db()
    assert (str(b.latitude), str(b.longitude)) == ("24.779100", "108.902200")
    refused = client.post(url, {**form, "latitude": "95"})
    assert refused.status_code == 200
    b.refresh_from_db()
    assert str(b.latitude) == "24.779100"


def test_an_unmatched_point_goes_to_the_community_it_lies_in(client, setup):
    world, raw, _square = setup
    other = f.CommunityFactory(name="四把社区")
    other_top = f.make_grid(code="S1", name="四把网格", community=other)
    other_grid = f.make_grid(code="S1-1", name="四把一格", parent=other_top)
    f.BuildingFactory(community=other, grid=other_grid, number=1,
                      latitude=Decimal("24.850000"), longitude=Decimal("108.950000"))
    case = created(submit(client, raw, lat="24.855000", long="108.950000"))  # ~550 m off
    assert case.is_unplaced
    assert case.community == other and case.grid == other_top
    # Far from every building (tens of kilometres): this site's own or the first community.
    case = created(submit(client, raw, lat="30.000000", long="100.000000"))
    assert case.is_unplaced and case.grid == world.grid_top
