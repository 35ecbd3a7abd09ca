"""The administrative tree in the Wagtail admin (行政区域): superusers draw it and appoint
its admins, through the services (audit rows); community admins and everyone else are
refused; a bad tree is a Chinese message on the form, never a 500."""

import pytest
from django.test import Client
from django.urls import reverse

from buildings.models import Community, Region, RegionAdmin
from buildings.regions import RegionKind
from buildings.tests import factories as f
from portal.models import AuditEntry, Notification, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(client):
    user = User.objects.create_superuser(username="root", password="x")
    client.force_login(user)
    return client


@pytest.fixture
def county():
    return Region.objects.create(name="罗城县", kind=RegionKind.COUNTY)


def test_a_superuser_draws_the_tree_and_moves_communities(root, world, county):
    other = f.CommunityFactory(name="四把社区")
    response = root.post(reverse("register_region:add"), {
        "name": "东门镇", "kind": RegionKind.TOWNSHIP, "parent": county.pk,
        "communities": [world.community.pk, other.pk]})
    assert response.status_code == 302, response.content.decode()[:2000]
    east = Region.objects.get(name="东门镇")
    assert set(east.communities.values_list("pk", flat=True)) == {world.community.pk, other.pk}
    entry = AuditEntry.objects.get(action="region.create")
    assert entry.data["communities_added"] == sorted([world.community.pk, other.pk])
    # A second township takes one of them over: it leaves 东门镇.
    response = root.post(reverse("register_region:add"), {
        "name": "四把镇", "kind": RegionKind.TOWNSHIP, "parent": county.pk,
        "communities": [other.pk]})
    assert response.status_code == 302
    other.refresh_from_db()
    assert other.township.name == "四把镇"
    # Editing 东门镇 without the community lets it go (to no township).
    response = root.post(reverse("register_region:edit", args=[east.pk]), {
        "name": "东门镇", "kind": RegionKind.TOWNSHIP, "parent": county.pk, "communities": []})
    assert response.status_code == 302
    assert Community.objects.get(pk=world.community.pk).township_id is None
    edit = AuditEntry.objects.get(action="region.edit")
    assert edit.data["communities_removed"] == [world.community.pk]
    page = root.get(reverse("register_region:index")).content.decode()
    assert "东门镇" in page and "四把镇" in page and "罗城县" in page


@pytest.mark.parametrize(("data", "message"), [
    ({"name": "无县镇", "kind": RegionKind.TOWNSHIP}, "乡镇的上级必须是一个县。"),
    ({"name": "县下县", "kind": RegionKind.COUNTY, "parent": "@county"}, "县是最上一级"),
    ({"name": "另一县", "kind": RegionKind.COUNTY, "communities": "@mine"},
     "社区只能划入乡镇"),
])
def test_a_bad_tree_is_told_in_chinese(root, world, county, data, message):
    data = {k: county.pk if v == "@county" else [world.community.pk] if v == "@mine" else v
            for k, v in data.items()}
    response = root.post(reverse("register_region:add"), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Region.objects.exclude(pk=county.pk).exists()
    assert not AuditEntry.objects.filter(action__startswith="region").exists()


def test_a_region_with_communities_cannot_become_a_county(root, world, county):
    town = Region.objects.create(name="东门镇", kind=RegionKind.TOWNSHIP, parent=county)
    world.community.township = town
    world.community.save(update_fields=["township"])
    response = root.post(reverse("register_region:edit", args=[town.pk]), {
        "name": "东门镇", "kind": RegionKind.COUNTY})
    assert response.status_code == 200
    assert "这个区域下还有社区，不能改为县。" in response.content.decode()
    town.refresh_from_db()
    assert town.kind == RegionKind.TOWNSHIP and town.parent_id == county.pk


def test_appointing_a_township_admin_opens_the_county_pages_at_once(root, world, county):
    town = Region.objects.create(name="东门镇", kind=RegionKind.TOWNSHIP, parent=county)
    person = f.UserFactory(display_name="镇干部")
    own = Client()
    own.force_login(person)
    assert own.get(reverse("county:index")).status_code == 403
    unknown = root.post(reverse("register_regionadmin:add"),
                        {"who": "13900000000", "region": town.pk})
    assert unknown.status_code == 200
    assert "没有这个手机号或用户名的用户。" in unknown.content.decode()
    response = root.post(reverse("register_regionadmin:add"),
                         {"who": person.phone, "region": town.pk})
    assert response.status_code == 302
    assignment = RegionAdmin.objects.get(user=person, region=town)
    assert AuditEntry.objects.filter(action="region_admin.grant",
                                     object_id=str(assignment.pk)).exists()
    assert Notification.objects.filter(recipient=person, title__contains="县乡管理员").exists()
    assert own.get(reverse("county:region", args=[town.pk])).status_code == 200
    response = root.post(reverse("register_regionadmin:delete", args=[assignment.pk]))
    assert response.status_code == 302
    assert not RegionAdmin.objects.filter(pk=assignment.pk).exists()
    assert AuditEntry.objects.filter(action="region_admin.revoke").exists()
    assert own.get(reverse("county:region", args=[town.pk])).status_code == 403


@pytest.mark.parametrize("who", ["admin", "worker_a", "resident_a", "region_admin"])
def test_nobody_but_a_superuser_may_use_the_region_screens(client, world, county, who):
    if who == "region_admin":
        user = f.UserFactory()
        RegionAdmin.objects.create(user=user, region=county)
    else:
        user = getattr(world, who)
    client.force_login(user)
    for name in ("register_region:index", "register_region:add",
                 "register_regionadmin:index", "register_regionadmin:add"):
        response = client.get(reverse(name))
        assert response.status_code in (302, 403), name
        assert "罗城县" not in response.content.decode()
    response = client.post(reverse("register_region:edit", args=[county.pk]),
                           {"name": "改名县", "kind": RegionKind.COUNTY})
    assert response.status_code in (302, 403, 404)
    response = client.post(reverse("register_regionadmin:add"),
                           {"who": user.username, "region": county.pk})
    assert response.status_code in (302, 403)
    county.refresh_from_db()
    assert county.name == "罗城县"
    assert RegionAdmin.objects.filter(user=user).count() == (1 if who == "region_admin" else 0)
    assert not AuditEntry.objects.filter(action__startswith="region").exists()
