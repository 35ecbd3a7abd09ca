"""Uploads are served through one checked view (portal.media): the owner of a
file decides who may fetch it; anyone else gets a 404, guessed URL or not."""

from __future__ import annotations

import io

import pytest
from django.core.files.base import ContentFile
from django.test import override_settings
from PIL import Image

from community.choices import Status
from community.disputes.services import dispute_open
from community.liaison import services as chat
from community.models import Dispute
from community.services import case_dispatch, case_submit, case_triage
from community.tests.factories import category, jpeg
from portal import media
from portal.tests.upload_samples import wav
from portal.uploads.photos import clean_photo


def get(client, user, url, **extra):
    client.logout()
    if user is not None:
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client.get(url, **extra)


def body(response) -> bytes:
    if hasattr(response, "streaming_content"):
        return b"".join(response.streaming_content)
    return response.content


@pytest.fixture
def case_with_photo(world):
    case = case_submit(reporter=world.resident_a, category=category(),
                       household=world.household_a, description="楼道灯坏了",
                       photos=[jpeg()], voice=ContentFile(wav(2.0), name="v.wav"))
    return case, case.photos.get()


def test_the_reporter_sees_their_case_photo_in_every_size(client, case_with_photo, world):
    case, photo = case_with_photo
    for field in (photo.image, photo.medium, photo.thumb):
        assert field.url.startswith("/media/community/")
        response = get(client, world.resident_a, field.url)
        assert response.status_code == 200, field.url
        assert response["Content-Type"] == "image/jpeg"
        assert body(response) == field.storage.open(field.name).read()
        assert response["Cache-Control"].startswith("private")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Security-Policy"] == media.SANDBOX_CSP


def test_a_neighbour_or_anyone_else_with_the_url_gets_404(client, case_with_photo, world):
    case, photo = case_with_photo
    for user in (world.resident_a2, world.resident_b, world.stranger, world.worker_b,
                 world.head_b, world.other_handler, None):
        for field in (photo.image, photo.thumb, case.voice):
            assert get(client, user, field.url).status_code == 404, (user, field.name)


def test_the_grid_worker_and_the_handler_of_the_case_see_it(client, case_with_photo, world):
    case, photo = case_with_photo
    assert get(client, world.worker_a, photo.image.url).status_code == 200
    assert get(client, world.worker_top, photo.medium.url).status_code == 200
    assert get(client, world.handler, photo.image.url).status_code == 404  # not dispatched yet
    case_triage(actor=world.worker_a, case_id=case.pk)
    case_dispatch(actor=world.worker_a, case_id=case.pk, department=world.department)
    assert get(client, world.handler, photo.image.url).status_code == 200
    assert get(client, world.other_handler, photo.image.url).status_code == 404
    case.refresh_from_db()
    assert case.status == Status.DISPATCHED


def test_case_voice_note_has_an_audio_type_and_answers_ranges(client, case_with_photo, world):
    case, _photo = case_with_photo
    data = case.voice.storage.open(case.voice.name).read()
    response = get(client, world.resident_a, case.voice.url)
    assert response.status_code == 200
    assert response["Content-Type"] == "audio/webm"  # stored re-encoded, whatever was sent
    assert response["Accept-Ranges"] == "bytes"
    part = get(client, world.resident_a, case.voice.url, HTTP_RANGE="bytes=0-99")
    assert part.status_code == 206
    assert part.content == data[:100]
    assert part["Content-Range"] == f"bytes 0-99/{len(data)}"
    tail = get(client, world.resident_a, case.voice.url, HTTP_RANGE="bytes=-10")
    assert tail.content == data[-10:]
    assert get(client, world.resident_a, case.voice.url,
               HTTP_RANGE=f"bytes={len(data)}-").status_code == 416


@pytest.fixture
def chat_photo(world):
    chat.staff_set_duty(staff=world.liaison, on=True)
    conversation, _ = chat.conversation_open(resident=world.resident_a)
    message, _ = chat.message_post(conversation=conversation, sender=world.resident_a,
                                   kind="photo", photo=clean_photo(jpeg()), client_key="p1")
    voice, _ = chat.message_post(conversation=conversation, sender=world.resident_a,
                                 kind="voice", voice=ContentFile(wav(1.0), name="a.wav"),
                                 voice_seconds=1, client_key="v1")
    return conversation, message.photos.get(), voice


def test_chat_photo_and_voice_only_for_the_conversations_people(client, world, chat_photo):
    conversation, photo, voice = chat_photo
    urls = [photo.image.url, photo.medium.url, photo.thumb.url, voice.voice.url]
    for url in urls:
        assert get(client, world.resident_a, url).status_code == 200, url
        for other in (world.resident_a2, world.resident_b, world.worker_a, world.stranger, None):
            assert get(client, other, url).status_code == 404, (other, url)
    # Waiting: the liaison staff on duty may pick it up, so they see it; once
    # a colleague has it, not any more.
    assert get(client, world.liaison, photo.thumb.url).status_code == 200
    assert get(client, world.admin, photo.thumb.url).status_code == 200
    chat.conversation_pick_up(conversation=conversation, staff=world.liaison)
    assert get(client, world.liaison, voice.voice.url).status_code == 200
    assert get(client, world.liaison, voice.voice.url)["Content-Type"] == "audio/webm"


def test_dispute_agreement_only_for_its_parties_and_staff(client, world):
    dispute = dispute_open(actor=world.worker_a, title="噪音", summary="楼上装修",
                           building=world.building_a, party_users=[world.resident_a])
    dispute = Dispute.objects.get(pk=dispute.pk)
    dispute.agreement_file.save("agreement.pdf", ContentFile(b"%PDF-1.4 test"), save=True)
    url = dispute.agreement_file.url
    response = get(client, world.resident_a, url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert get(client, world.worker_a, url).status_code == 200
    for other in (world.resident_a2, world.resident_b, world.worker_b, world.handler, None):
        assert get(client, other, url).status_code == 404


def test_an_uploaded_html_file_is_never_rendered(client, world):
    dispute = dispute_open(actor=world.worker_a, title="噪音", summary="楼上装修",
                           building=world.building_a, party_users=[world.resident_a])
    dispute.agreement_file.save("x.html", ContentFile(b"<script>alert(1)</script>"), save=True)
    response = get(client, world.resident_a, dispute.agreement_file.url)
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")


def test_unknown_traversing_and_unregistered_paths_are_404(client, world, settings, tmp_path):
    (tmp_path / "documents").mkdir()
    (tmp_path / "documents" / "secret.pdf").write_bytes(b"%PDF")
    (tmp_path / "community" / "photos").mkdir(parents=True)
    (tmp_path / "community" / "photos" / "orphan.jpg").write_bytes(b"x")
    settings.MEDIA_ROOT = str(tmp_path)
    for path in ("/media/documents/secret.pdf", "/media/community/photos/orphan.jpg",
                 "/media/community/photos/../../documents/secret.pdf",
                 "/media/images/../documents/secret.pdf", "/media/%2e%2e/etc/passwd",
                 "/media/images/nothing.jpg"):
        assert get(client, world.admin, path).status_code == 404, path
    assert media.clean_name("a/../b") is None
    assert media.clean_name("a//b") is None
    assert media.clean_name("a/b.jpg") == "a/b.jpg"


def test_wagtail_images_stay_public(client, db):
    from wagtail.images.models import Image as WagtailImage

    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 30)).save(out, "PNG")
    image = WagtailImage.objects.create(title="公告图", file=ContentFile(out.getvalue(),
                                                                          name="n.png"))
    response = client.get(image.file.url)
    assert response.status_code == 200
    assert body(response) == out.getvalue()
    assert response["Cache-Control"].startswith("public")
    rendition = image.get_rendition("width-20")
    assert client.get(rendition.url).status_code == 200


@override_settings(MEDIA_ACCEL_REDIRECT="/protected-media/")
def test_behind_nginx_the_file_is_handed_to_an_internal_location(client, case_with_photo, world):
    case, photo = case_with_photo
    response = get(client, world.resident_a, photo.image.url)
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == "/protected-media/" + photo.image.name
    assert response.content == b""
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"].startswith("private")
    refused = get(client, world.resident_b, photo.image.url)
    assert refused.status_code == 404 and "X-Accel-Redirect" not in refused


def test_with_object_storage_the_link_is_checked_then_signed_for_minutes(
        client, case_with_photo, world):
    case, photo = case_with_photo
    s3 = {"BACKEND": "portal.s3.MediaS3Storage", "OPTIONS": {
        "bucket_name": "jiayuan", "endpoint_url": "http://127.0.0.1:9",
        "access_key": "test", "secret_key": "test", "region_name": "cn-south-1",
        "querystring_auth": True, "querystring_expire": 300}}
    with override_settings(STORAGES={"default": s3, "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}):
        photo.refresh_from_db()
        url = photo.image.url
        assert url == "/media/" + photo.image.name  # pages link through the check
        assert get(client, world.resident_b, url).status_code == 404
        response = get(client, world.resident_a, url)
        assert response.status_code == 302
        target = response["Location"]
        assert target.startswith("http://127.0.0.1:9/jiayuan/" + photo.image.name)
        assert "X-Amz-Expires=300" in target and "X-Amz-Signature=" in target
        assert "no-store" in response["Cache-Control"]


def test_one_lookup_per_file(client, case_with_photo, world, django_assert_max_num_queries):
    case, photo = case_with_photo
    client.force_login(world.resident_a, backend="django.contrib.auth.backends.ModelBackend")
    client.get(photo.thumb.url)  # sessions and the scope, cached after this
    with django_assert_max_num_queries(5):
        assert client.get(photo.thumb.url).status_code == 200


@override_settings(MEDIA_ACCEL_REDIRECT="/protected-media/")
def test_a_view_that_checked_itself_can_hand_the_file_over(rf, case_with_photo):
    case, photo = case_with_photo
    response = media.send_field(rf.get("/x"), case.voice)
    assert response["X-Accel-Redirect"] == "/protected-media/" + case.voice.name
    assert response["Content-Type"] == "audio/webm"
    assert response["Cache-Control"].startswith("private")


def test_a_photo_on_a_staff_only_step_is_for_staff_only(client, case_with_photo, world):
    from community.models import CaseEvent, CasePhoto

    case, photo = case_with_photo
    event = CaseEvent.objects.create(case=case, kind="supervise", actor=world.admin,
                                     note="督办", internal=True)
    staff_photo = CasePhoto(case=case, event=event, kind="comment")
    staff_photo.set_clean(clean_photo(jpeg()))
    staff_photo.save()
    assert get(client, world.resident_a, staff_photo.thumb.url).status_code == 404
    assert get(client, world.worker_a, staff_photo.thumb.url).status_code == 200
    assert get(client, world.resident_a, photo.thumb.url).status_code == 200
