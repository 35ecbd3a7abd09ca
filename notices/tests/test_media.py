"""A notice's attachments and images reach only the notice's audience (item 9):
/documents/<id>/<name>, and the files under /media/, for anyone else are a 404."""

from __future__ import annotations

import io

import pytest
from django.core.files.base import ContentFile
from PIL import Image
from wagtail.documents import get_document_model
from wagtail.images import get_image_model

from notices.choices import Audience
from notices.models import NoticeAttachment

from .helpers import make_notice

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def get(client, user, url):
    client.logout()
    if user is not None:
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client.get(url)


def document(name="停水安排.pdf"):
    return get_document_model().objects.create(title="安排", file=ContentFile(PDF, name=name))


def attach(notice, doc):
    NoticeAttachment.objects.create(notice=notice, document=doc)


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 30)).save(out, "PNG")
    return out.getvalue()


def test_a_building_notices_document_only_reaches_that_building(client, world):
    notice = make_notice(audience=Audience.BUILDINGS, buildings=[world.building_a])
    doc = document()
    attach(notice, doc)
    for user in (world.resident_a, world.head_a, world.worker_a, world.admin):
        response = get(client, user, doc.url)
        assert response.status_code == 200, user
    assert "Cookie" in response["Vary"]
    for user in (None, world.resident_b, world.head_b, world.worker_b, world.stranger):
        assert get(client, user, doc.url).status_code == 404, user
    # The stored name under /media/ asks the same question.
    assert get(client, None, doc.file.url).status_code == 404
    assert get(client, world.resident_b, doc.file.url).status_code == 404
    assert get(client, world.resident_a, doc.file.url).status_code == 200


def test_a_document_on_several_notices_goes_to_readers_of_any(client, world):
    doc = document()
    attach(make_notice(audience=Audience.BUILDINGS, buildings=[world.building_a]), doc)
    attach(make_notice(audience=Audience.BUILDINGS, buildings=[world.building_b]), doc)
    assert get(client, world.resident_b, doc.url).status_code == 200
    assert get(client, world.resident_a, doc.url).status_code == 200
    assert get(client, None, doc.url).status_code == 404


def test_a_public_notices_document_goes_to_visitors(client, world):
    doc = document()
    attach(make_notice(audience=Audience.COMMUNITY, public=True), doc)
    assert get(client, None, doc.url).status_code == 200


def test_an_unpublished_notices_document_is_not_out_yet(client, world):
    doc = document()
    attach(make_notice(audience=Audience.COMMUNITY, public=True, publish=False), doc)
    assert get(client, None, doc.url).status_code == 404
    assert get(client, world.resident_a, doc.url).status_code == 404


def test_a_document_on_no_notice_is_for_staff_only(client, world):
    doc = document()
    for user in (None, world.resident_a, world.head_a, world.stranger):
        assert get(client, user, doc.url).status_code == 404, user
    assert get(client, world.admin, doc.url).status_code == 200


def test_notice_images_follow_the_notice(client, world):
    image = get_image_model().objects.create(title="图", file=ContentFile(png(), name="n.png"))
    notice = make_notice(audience=Audience.BUILDINGS, buildings=[world.building_a])
    notice.body = [("image", image)]
    notice.save_revision().publish()
    rendition = image.get_rendition("width-20")
    for url in (image.file.url, rendition.url):
        assert get(client, world.resident_a, url).status_code == 200, url
        for user in (None, world.resident_b, world.stranger):
            assert get(client, user, url).status_code == 404, (user, url)


def test_images_outside_notices_stay_public(client, world):
    image = get_image_model().objects.create(title="图", file=ContentFile(png(), name="p.png"))
    response = get(client, None, image.file.url)
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("public")
    assert get(client, None, image.get_rendition("width-20").url).status_code == 200


def test_a_photo_in_a_notice_under_review_reaches_its_author_and_reviewer_only(client, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from notices.services import notice_post

    page, state = notice_post(
        author=world.head_a, title="楼道清理", category="other", text="周六清理楼道",
        building_ids=[world.building_a.pk],
        photo=SimpleUploadedFile("p.png", png(), content_type="image/png"))
    assert state == "submitted"
    image = next(b.value for b in page.get_latest_revision_as_object().body
                 if b.block_type == "image")
    for user in (world.head_a, world.worker_a, world.admin):
        assert get(client, user, image.file.url).status_code == 200, user
    for user in (None, world.resident_a, world.resident_b, world.worker_b):
        assert get(client, user, image.file.url).status_code == 404, user
