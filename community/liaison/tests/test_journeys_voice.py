"""Voice notes in the chat: a real recording is stored once, re-encoded from its sound, and
played back only to those who may read the conversation; a recording too long, or a file
that only looks like one, is refused with a message the resident can read and leaves
nothing behind."""

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
    stored = message.voice.read()
    assert stored != CHROME_VOICE.read_bytes() and b"Chrome" not in stored
    assert upload_samples.decoded_seconds(stored) == pytest.approx(2.58, abs=0.2)
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
    stored = message.voice.read()
    assert Message.objects.filter(conversation=c, kind=MessageKind.VOICE).count() == 1

    play = reverse("liaison:voice", args=[message.pk])
    for user in (world.resident_a, world.liaison):
        client.force_login(user)
        got = client.get(play)
        assert got.status_code == 200 and got["Content-Type"] == "audio/webm"
        served = b"".join(got.streaming_content)
        assert served == stored and served != CHROME_VOICE.read_bytes()
        assert "private" in got["Cache-Control"]
    for user in (world.resident_b, world.worker_a, world.head_a):
        client.force_login(user)
        assert client.get(play).status_code == 404, user


def _file(name: str, make, content_type: str = "audio/webm"):
    return lambda: SimpleUploadedFile(name, make(), content_type=content_type)


NOT_A_RECORDING = ("不是录音",)


@pytest.mark.parametrize("upload, words", [
    (_file("v.wav", lambda: upload_samples.wav(75), "audio/wav"), ("录音太长", "60")),
    (_file("voice.webm", lambda: b"<html>not a recording</html>" * 40), NOT_A_RECORDING),
    (_file("voice.webm", lambda: upload_samples.encode(upload_samples.two_tone((64, 64)), "JPEG")),
     NOT_A_RECORDING),
    (_file("voice.webm", lambda: b""), ("空",)),
    # Security issue 7: each of these was stored as sent.
    (_file("voice.m4a", upload_samples.heic_with_gps, "audio/mp4"), NOT_A_RECORDING),
    (_file("voice.mp3", lambda: upload_samples.id3_then(upload_samples.phone_jpeg((320, 240))),
           "audio/mpeg"), NOT_A_RECORDING),
    (_file("voice.mp3", lambda: upload_samples.id3_then(b"<html><script>x()</script></html>" * 40),
           "audio/mpeg"), NOT_A_RECORDING),
    (_file("voice.wav", upload_samples.wav_with_byte_rate_zero, "audio/wav"), NOT_A_RECORDING),
    (_file("voice.webm", lambda: upload_samples.random_bytes(1_900_000)), NOT_A_RECORDING),
    (_file("voice.webm", upload_samples.opus_of_random_packets), NOT_A_RECORDING),
    (_file("voice.ogg", upload_samples.ogg_claiming, "audio/ogg"), NOT_A_RECORDING),
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


def test_message_post_cleans_a_voice_note_that_was_not_cleaned(world):
    c = picked(world.resident_a, world.liaison)
    data = upload_samples.recording(2, fmt="mp3", codec="libmp3lame", rate=44100,
                                    tags={"title": "SECRET"})
    message, created = services.message_post(
        conversation=c, sender=world.resident_a, kind=MessageKind.VOICE, client_key="raw",
        voice=SimpleUploadedFile("v.mp3", data, content_type="audio/mpeg"))
    assert created and message.voice.name.endswith(".webm") and message.voice_seconds == 2
    assert b"SECRET" not in message.voice.read()
    before = voice_files()
    with pytest.raises(UploadRejected):
        services.message_post(
            conversation=c, sender=world.resident_a, kind=MessageKind.VOICE, client_key="raw2",
            voice=SimpleUploadedFile("v.m4a", upload_samples.heic_with_gps()))
    assert not Message.objects.filter(client_key="raw2").exists() and voice_files() == before


def test_clean_voice_refuses_before_the_service_is_called(world):
    with pytest.raises(UploadRejected) as exc:
        clean_voice(SimpleUploadedFile("v.wav", upload_samples.wav(61)))
    assert exc.value.code == "too_long"
