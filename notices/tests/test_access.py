"""A building head cannot post to, edit or see the receipts of buildings they do not head,
even with forged ids; nobody opens a notice not meant for them."""

import pytest
from django.urls import reverse

from notices.choices import Audience, Category
from notices.models import NoticeAck, NoticePage
from notices.services import NoticeError, notice_post, notice_record_told

from .helpers import make_notice

pytestmark = pytest.mark.django_db


def test_form_refuses_a_building_the_head_does_not_head(client, world):
    client.force_login(world.head_a)
    response = client.post(reverse("notices:post"), {
        "title": "伪造", "category": Category.OTHER, "text": "x",
        "buildings": [world.building_a.pk, world.building_b.pk]})
    assert response.status_code == 400
    assert "只能选择您负责的楼栋" in response.content.decode()
    assert not NoticePage.objects.filter(title="伪造").exists()


def test_service_refuses_too(world):
    with pytest.raises(NoticeError):
        notice_post(author=world.head_a, title="伪造", category=Category.OTHER, text="x",
                    building_ids=[world.building_b.pk])
    with pytest.raises(NoticeError):
        notice_post(author=world.resident_a, title="伪造", category=Category.OTHER, text="x",
                    building_ids=[world.building_a.pk])
    assert not NoticePage.objects.filter(title="伪造").exists()


def test_residents_cannot_open_the_post_form(client, world):
    client.force_login(world.resident_a)
    assert client.get(reverse("notices:post")).status_code == 403


def test_head_cannot_edit_another_heads_notice(client, world):
    page, _ = notice_post(author=world.head_b, title="B楼通知", category=Category.OTHER,
                          text="x", building_ids=[world.building_b.pk])
    client.force_login(world.head_a)
    assert client.get(reverse("notices:edit", args=[page.pk])).status_code == 404
    response = client.post(reverse("notices:edit", args=[page.pk]), {
        "title": "改了", "category": Category.OTHER, "text": "y",
        "buildings": [world.building_a.pk]})
    assert response.status_code == 404
    # The author may edit, but not move it to a building they do not head.
    client.force_login(world.head_b)
    response = client.post(reverse("notices:edit", args=[page.pk]), {
        "title": "改了", "category": Category.OTHER, "text": "y",
        "buildings": [world.building_a.pk]})
    assert response.status_code == 400
    response = client.post(reverse("notices:edit", args=[page.pk]), {
        "title": "改了", "category": Category.OTHER, "text": "y",
        "buildings": [world.building_b.pk]})
    assert response.status_code == 302
    assert NoticePage.objects.get(pk=page.pk).get_latest_revision_as_object().title == "改了"


def test_receipts_of_other_buildings_are_not_found(client, world):
    b_notice = make_notice(title="B楼", audience=Audience.BUILDINGS,
                           buildings=[world.building_b], ack_wanted=True)
    client.force_login(world.head_a)
    assert client.get(reverse("notices:receipts", args=[b_notice.pk])).status_code == 404
    assert client.post(reverse("notices:told", args=[b_notice.pk]),
                       {"household": world.household_b.pk, "method": "phone"}).status_code == 404
    assert client.post(reverse("notices:remind", args=[b_notice.pk])).status_code == 404
    # Residents and strangers neither.
    for user in (world.resident_b, world.stranger):
        client.force_login(user)
        assert client.get(reverse("notices:receipts", args=[b_notice.pk])).status_code == 404
    assert not NoticeAck.objects.exists()


def test_community_notice_receipts_show_only_own_buildings(client, world):
    page = make_notice(title="全社区", ack_wanted=True)
    client.force_login(world.head_a)
    html = client.get(reverse("notices:receipts", args=[page.pk])).content.decode()
    assert world.household_a.phone in html and world.household_b.phone not in html
    # A forged household of building B is refused.
    assert client.post(reverse("notices:told", args=[page.pk]),
                       {"household": world.household_b.pk, "method": "phone"}).status_code == 404
    with pytest.raises(NoticeError):
        notice_record_told(actor=world.head_a, notice=page, household=world.household_b,
                           method="phone")
    assert not NoticeAck.objects.filter(household=world.household_b).exists()
    # The grid worker of B sees B's households, the admin sees all.
    client.force_login(world.worker_b)
    html = client.get(reverse("notices:receipts", args=[page.pk])).content.decode()
    assert world.household_b.phone in html and world.household_a.phone not in html
    client.force_login(world.admin)
    html = client.get(reverse("notices:receipts", args=[page.pk])).content.decode()
    assert world.household_a.phone in html and world.household_b.phone in html


def test_forged_ids_for_reading_and_acknowledging(client, world):
    page = make_notice(title="A楼", audience=Audience.BUILDINGS, buildings=[world.building_a],
                       ack_wanted=True)
    client.force_login(world.resident_b)
    for name in ("notices:detail", "notices:poster"):
        assert client.get(reverse(name, args=[page.pk])).status_code == 404
    assert client.post(reverse("notices:ack", args=[page.pk])).status_code == 404
    assert not NoticeAck.objects.exists()
    # An unverified account cannot acknowledge a public notice that asks for it.
    public = make_notice(title="公开", ack_wanted=True)
    client.force_login(world.stranger)
    assert client.post(reverse("notices:ack", args=[public.pk])).status_code == 400


def test_grid_worker_of_another_grid_cannot_review(client, world):
    page, outcome = notice_post(author=world.head_a, title="A楼", category=Category.OTHER,
                                text="x", building_ids=[world.building_a.pk])
    assert outcome == "submitted"
    client.force_login(world.worker_b)
    assert "A楼" not in client.get(reverse("notices:review_list")).content.decode()
    client.force_login(world.head_a)
    assert client.get(reverse("notices:review_list")).status_code == 403
    client.force_login(world.worker_top)  # covers both grids below
    assert "A楼" in client.get(reverse("notices:review_list")).content.decode()
