"""Voice notes in the chat: a real recording is stored once and played back only to those
who may read the conversation; a recording too long, or a file that is not one, is refused
with a message the resident can read and leaves nothing behind."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from community.liaison import selectors, services
from community.liaison.choices import MessageKind
from community.liaison.models import Message
from community.liaison.tests.helpers import picked
from portal.tests import upload_samples
from portal.uploads.base import UploadRejected
from portal.uploads.voice import clean_voice

# 2.5 s recorded by Chromium's MediaRecorder (Opus in WebM), as a phone sends it.
CHROME_VOICE = (Path(settings.BASE_DIR) / "portal" / "tests" / "samples" / "chrome-voice.webm")


def recording(name: str = "blob") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, CHROME_VOICE.read_bytes(), content_type="audio/webm;codecs=opus")


def voice_files() -> set[Path]:
    root = Path(settings.MEDIA_ROOT) / "liaison" / "voice"
    return set(root.rglob("*")) if root.exists() else set()


def test_message_post_stores_a_cleaned_voice_note(world):
    c = picked(world.resident_a, world.liaison)
    clean = clean_voice(recording())
    message, created = services.message_post(
        conversation=c, sender=world.resident_a, kind=MessageKind.VOICE, client_key="v-1",
        voice=clean, voice_seconds=round(clean.seconds))
    assert created and message.kind == MessageKind.VOICE
    assert message.voice.name.endswith(".webm") and message.voice_seconds == 3
    assert message.voice.read() == CHROME_VOICE.read_bytes()
    payload = selectors.message_payload(message)
    assert payload["voice"] == reverse("liaison:voice", args=[message.pk])
    assert payload["voice_seconds"] == 3
    # the same note again (a retry): stored once
    again, created_again = services.message_post(
        conversation=c, sender=world.resident_a, kind=MessageKind.VOICE, client_key="v-1",
        voice=clean_voice(recording()), voice_seconds=3)
    assert not created_again and again.pk == message.pk


def test_a_voice_note_is_uploaded_once_and_played_only_to_those_who_may_read(client, world):
    c = picked(world.resident_a, world.liaison)
    client.force_login(world.resident_a)
    url = reverse("liaison:upload", args=[c.pk])
    r = client.post(url, {"voice": recording(), "client_key": "v-1"})
    assert r.status_code == 200, r.content
    again = client.post(url, {"voice": recording(), "client_key": "v-1"})
    assert again.json()["seq"] == r.json()["seq"]
    message = Message.objects.get(conversation=c, client_key="v-1")
    assert message.kind == MessageKind.VOICE and message.voice_seconds == 3
    assert Message.objects.filter(conversation=c, kind=MessageKind.VOICE).count() == 1

    play = reverse("liaison:voice", args=[message.pk])
    for user in (world.resident_a, world.liaison):
        client.force_login(user)
        got = client.get(play)
        assert got.status_code == 200 and got["Content-Type"] == "audio/webm"
        assert b"".join(got.streaming_content) == CHROME_VOICE.read_bytes()
        assert "private" in got["Cache-Control"]
    for user in (world.resident_b, world.worker_a, world.head_a):
        client.force_login(user)
        assert client.get(play).status_code == 404, user


@pytest.mark.parametrize("upload, words", [
    (lambda: SimpleUploadedFile("v.wav", upload_samples.wav(75), content_type="audio/wav"),
     ("录音太长", "too long", "60")),
    (lambda: SimpleUploadedFile("voice.webm", b"<html>not a recording</html>" * 40,
                                content_type="audio/webm"),
     ("不是录音", "not a voice recording")),
    (lambda: SimpleUploadedFile("voice.webm", upload_samples.encode(
        upload_samples.two_tone((64, 64)), "JPEG"), content_type="audio/webm"),
     ("不是录音",)),
    (lambda: SimpleUploadedFile("voice.webm", b"", content_type="audio/webm"), ("空",)),
])
def test_a_bad_recording_is_refused_clearly_and_nothing_is_stored(client, world, upload, words):
    c = picked(world.resident_a, world.liaison)
    before_files = voice_files()
    before = c.messages.count()
    client.force_login(world.resident_a)
    r = client.post(reverse("liaison:upload", args=[c.pk]),
                    {"voice": upload(), "client_key": "bad-1"})
    assert r.status_code == 400
    data = r.json()
    assert data["ok"] is False
    for word in words:
        assert word in data["message"], data["message"]
    assert c.messages.count() == before
    assert not Message.objects.filter(client_key="bad-1").exists()
    assert voice_files() == before_files


def test_only_the_people_in_the_conversation_may_send_a_voice_note(client, world):
    c = picked(world.resident_a, world.liaison)
    client.force_login(world.resident_b)  # a forged id: looks like nothing
    r = client.post(reverse("liaison:upload", args=[c.pk]),
                    {"voice": recording(), "client_key": "x"})
    assert r.status_code == 404
    assert not Message.objects.filter(client_key="x").exists()


def test_clean_voice_refuses_before_the_service_is_called(world):
    with pytest.raises(UploadRejected) as exc:
        clean_voice(SimpleUploadedFile("v.wav", upload_samples.wav(61)))
    assert exc.value.code == "too_long"
