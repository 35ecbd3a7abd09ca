"""Claiming a flat and having it verified, through the pages people use."""

import pytest
from django.urls import reverse

from buildings.choices import ResidencyState
from buildings.models import Residency
from buildings.tests.factories import UserFactory
from portal.models import AuditEntry, Notification

pytestmark = pytest.mark.django_db


def _claim(client, user, building, unit, number, *, relation="family", name="罗小英"):
    client.force_login(user)
    return client.post(reverse("buildings:claim"),
                       {"building": building.pk, "unit": unit, "number": number,
                        "relation": relation, "name": name})


def test_claim_waits_for_the_responsible_people(client, world):
    newcomer = UserFactory()
    response = _claim(client, newcomer, world.building_a, 1, "101")
    assert response.status_code == 302
    claim = Residency.objects.get(user=newcomer)
    assert claim.state == ResidencyState.PENDING
    told = set(Notification.objects.filter(kind="residency").values_list("recipient", flat=True))
    # The head of building A and the grid workers of grid A and the grid above.
    assert told == {world.head_a.pk, world.worker_a.pk, world.worker_top.pk}
    assert AuditEntry.objects.filter(action="residency.claim", object_id=str(claim.pk)).exists()


def test_claim_for_a_flat_not_in_the_register(client, world):
    response = _claim(client, UserFactory(), world.building_a, 1, "999")
    assert response.status_code == 400
    assert "登记册里没有这一户" in response.content.decode()
    assert not Residency.objects.filter(household__number="999").exists()


def test_claim_twice_is_refused(client, world):
    user = UserFactory()
    _claim(client, user, world.building_a, 1, "101")
    response = _claim(client, user, world.building_a, 1, "101")
    assert response.status_code == 400
    assert Residency.objects.filter(user=user).count() == 1


def test_unverified_person_has_no_household_scope(world):
    from buildings.access import scope_of

    user = UserFactory()
    Residency.objects.create(user=user, household=world.household_a)
    assert not scope_of(user).is_verified_resident


def test_head_verifies_and_resident_sees_household(client, world):
    newcomer = UserFactory()
    _claim(client, newcomer, world.building_a, 1, "101")
    claim = Residency.objects.get(user=newcomer)
    client.force_login(world.head_a)
    page = client.get(reverse("buildings:verify_list"))
    assert claim.household.address in page.content.decode()
    response = client.post(reverse("buildings:verify", args=[claim.pk]))
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.state == ResidencyState.VERIFIED and claim.decided_by == world.head_a
    assert Notification.objects.filter(recipient=newcomer, title__contains="已通过").exists()
    client.force_login(newcomer)
    me = client.get(reverse("portal:me")).content.decode()
    assert claim.household.address in me and "已认证" in me


def test_reject_needs_a_reason(client, world):
    newcomer = UserFactory()
    _claim(client, newcomer, world.building_a, 1, "101")
    claim = Residency.objects.get(user=newcomer)
    client.force_login(world.worker_a)
    response = client.post(reverse("buildings:reject", args=[claim.pk]), {"reason": "  "})
    assert response.status_code == 400
    assert "请填写不通过的原因" in response.content.decode()
    claim.refresh_from_db()
    assert claim.state == ResidencyState.PENDING
    client.post(reverse("buildings:reject", args=[claim.pk]), {"reason": "不是本户人员"})
    claim.refresh_from_db()
    assert claim.state == ResidencyState.REJECTED and claim.reason == "不是本户人员"


@pytest.mark.parametrize("who", ["head_b", "worker_b", "resident_a", "resident_a2", "handler",
                                 "liaison", "stranger"])
def test_forged_claim_id_from_another_building_is_refused(client, world, who):
    newcomer = UserFactory()
    _claim(client, newcomer, world.building_a, 1, "101")
    claim = Residency.objects.get(user=newcomer)
    client.force_login(getattr(world, who))
    for name in ("buildings:verify", "buildings:reject"):
        response = client.post(reverse(name, args=[claim.pk]), {"reason": "x"})
        assert response.status_code == 404, (who, name)
    claim.refresh_from_db()
    assert claim.state == ResidencyState.PENDING


def test_verification_list_shows_only_own_buildings(client, world):
    a, b = UserFactory(), UserFactory()
    _claim(client, a, world.building_a, 1, "101", name="甲某某")
    _claim(client, b, world.building_b, 1, "101", name="乙某某")
    client.force_login(world.head_b)
    body = client.get(reverse("buildings:verify_list")).content.decode()
    assert "乙某某" in body and "甲某某" not in body


def test_residents_cannot_open_the_verification_list(client, world):
    client.force_login(world.resident_a)
    assert client.get(reverse("buildings:verify_list")).status_code == 403


def test_withdraw_only_own_claim(client, world):
    owner, other = UserFactory(), UserFactory()
    _claim(client, owner, world.building_a, 1, "101")
    claim = Residency.objects.get(user=owner)
    client.force_login(other)
    assert client.post(reverse("buildings:withdraw", args=[claim.pk])).status_code == 404
    client.force_login(owner)
    assert client.post(reverse("buildings:withdraw", args=[claim.pk])).status_code == 302
    assert not Residency.objects.filter(pk=claim.pk).exists()


def test_the_checker_sees_the_name_can_call_and_is_warned_of_a_name_unlike_the_register(
        client, world):
    """The card used to show the masked phone twice, no name, no way to call, and did not
    compare the claimant with the register's head of household."""
    world.household_a.head_name = "谢燕生"
    world.household_a.save(update_fields=["head_name"])
    honest, doubtful = UserFactory(phone="+8613911112222"), UserFactory(phone="+8613933334444")
    _claim(client, honest, world.building_a, 1, "101", relation="head", name="谢 燕生")
    _claim(client, doubtful, world.building_a, 1, "101", relation="head", name="黄大明")
    client.force_login(world.head_a)
    page = client.get(reverse("buildings:verify_list")).content.decode()
    assert "谢 燕生" in page and "黄大明" in page
    assert 'href="tel:+8613911112222"' in page and 'href="tel:+8613933334444"' in page
    assert page.count("姓名与登记的户主不同") == 1  # only for 黄大明
    assert page.count("139****2222") == 1


def test_a_claim_needs_the_claimants_name(client, world):
    user = UserFactory()
    response = _claim(client, user, world.building_a, 1, "101", name="  ")
    assert response.status_code == 400
    assert "请填写您的姓名" in response.content.decode()
    assert not Residency.objects.filter(user=user).exists()
