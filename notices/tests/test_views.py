"""The reviewer sees the photo; the phone form shrinks photos like the case report, takes
an end time; the receipts page filters the households with nobody in the app."""

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from buildings.tests import factories as f
from notices.choices import Audience, Category
from notices.models import NoticePage

from .helpers import make_notice

pytestmark = pytest.mark.django_db


def _photo():
    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), "green").save(buffer, "JPEG")
    return SimpleUploadedFile("p.jpg", buffer.getvalue(), content_type="image/jpeg")


def _data(world, **extra):
    data = {"title": "明天停水", "category": Category.WATER, "text": "明天上午停水。",
            "buildings": [world.building_a.pk]}
    data.update(extra)
    return data


def test_the_reviewer_sees_the_photo(client, world):
    client.force_login(world.head_a)
    client.post(reverse("notices:post"), _data(world, photo=_photo()))
    client.force_login(world.worker_a)
    html = client.get(reverse("notices:review_list")).content.decode()
    assert "[图片]" not in html
    assert '<img' in html and 'alt="明天停水"' in html


def test_the_form_opts_in_to_phone_side_shrinking_and_answers_forms_js(client, world):
    client.force_login(world.head_a)
    html = client.get(reverse("notices:post")).content.decode()
    assert "data-jy-form" in html and 'data-jy-photos="1"' in html
    # forms.js posts with Accept: application/json and follows the url it is given.
    response = client.post(reverse("notices:post"), _data(world, photo=_photo()),
                           headers={"Accept": "application/json"})
    assert response.json() == {"ok": True, "url": reverse("notices:mine")}
    response = client.post(reverse("notices:post"), _data(world, title=""),
                           headers={"Accept": "application/json"})
    assert response.status_code == 400 and "title" in response.json()["errors"]


def test_end_time_from_the_phone_form_sends_the_notice_to_the_archive(client, world):
    client.force_login(world.head_a)
    ends = timezone.localtime() + timedelta(hours=5)
    response = client.post(reverse("notices:post"),
                           _data(world, ends_at=ends.strftime("%Y-%m-%dT%H:%M")))
    assert response.status_code == 302
    page = NoticePage.objects.get(title="明天停水")
    assert abs(page.get_latest_revision_as_object().ends_at - ends) < timedelta(minutes=1)
    past = timezone.localtime() - timedelta(hours=1)
    response = client.post(reverse("notices:post"), _data(
        world, title="过去", ends_at=past.strftime("%Y-%m-%dT%H:%M")))
    assert response.status_code == 400 and "结束时间已经过了" in response.content.decode()
    # Edited: the form shows the end time, and a new one is kept.
    html = client.get(reverse("notices:edit", args=[page.pk])).content.decode()
    assert ends.strftime("%Y-%m-%dT%H:%M") in html


def test_receipts_filter_households_without_the_app(client, world):
    no_app = f.HouseholdFactory(unit=world.household_a.unit, number="103", floor=1)
    page = make_notice(title="居民大会", audience=Audience.BUILDINGS,
                       buildings=[world.building_a], ack_wanted=True, author=world.admin)
    client.force_login(world.head_a)
    url = reverse("notices:receipts", args=[page.pk])
    html = client.get(url).content.decode()
    assert "没用手机的住户（1）" in html and world.household_a.address in html
    html = client.get(url + "?show=no_app").content.decode()
    assert no_app.address in html
    assert world.household_a.address not in html and world.household_a2.address not in html
