"""Photos and voice notes: what is accepted, what is refused, and what is stored."""

import io
import json
from pathlib import Path

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.test import RequestFactory
from django.utils import translation
from PIL import Image

from portal.forms_json import client_key_from, errors_of, json_or_redirect
from portal.uploads import photos as uploads_photos
from portal.uploads import voice as uploads_voice
from portal.uploads.base import UploadRejected
from portal.uploads.photos import MAX_PHOTOS, BasePhoto, PhotosField, clean_photo
from portal.uploads.voice import VoiceField, clean_voice

from . import upload_samples as s


def upload(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def opened(content_file) -> Image.Image:
    content_file.seek(0)
    im = Image.open(io.BytesIO(content_file.read()))
    im.load()
    return im


def assert_no_metadata(im: Image.Image) -> None:
    assert im.format == "JPEG"
    assert "exif" not in im.info
    assert len(im.getexif()) == 0
    assert not im.getexif().get_ifd(0x8825)  # no GPS
    assert "xmp" not in im.info and "XML:com.adobe.xmp" not in im.info


@pytest.fixture(scope="module")
def phone_photo() -> bytes:
    return s.phone_jpeg()


# --- Photos that are accepted -------------------------------------------------


def test_phone_jpeg_is_turned_upright_shrunk_and_stripped(phone_photo):
    original = Image.open(io.BytesIO(phone_photo))
    assert original.getexif().get_ifd(0x8825)[1] == "N"  # the sample really carries GPS

    clean = clean_photo(upload(phone_photo))

    # 4000×3000 pixels with "turn 90° clockwise": stored upright, 1200×1600.
    assert (clean.width, clean.height) == (1200, 1600)
    large, medium, thumb = opened(clean.image), opened(clean.medium), opened(clean.thumb)
    assert large.size == (1200, 1600)
    assert max(medium.size) == 800 and medium.size == (600, 800)
    assert max(thumb.size) == 240
    for im in (large, medium, thumb):
        assert_no_metadata(im)
    # The left half of the sensor (red) is now at the top.
    top, bottom = large.getpixel((600, 100)), large.getpixel((600, 1500))
    assert top[0] > 150 > top[2] and bottom[2] > 150 > bottom[0]
    for raw in (clean.image, clean.medium, clean.thumb):
        raw.seek(0)
        data = raw.read()
        assert b"Exif" not in data and b"GPS" not in data and b"TestPhone" not in data


def test_stored_names_are_random_and_end_in_jpg(phone_photo):
    a = clean_photo(upload(phone_photo, name="张三家 GPS.jpg"))
    b = clean_photo(upload(phone_photo, name="张三家 GPS.jpg"))
    assert a.image.name.endswith(".jpg") and "张三" not in a.image.name
    assert len({a.image.name, a.medium.name, b.image.name}) == 3


@pytest.mark.parametrize("orientation, expected", [(1, (1600, 1200)), (3, (1600, 1200)),
                                                   (8, (1200, 1600))])
def test_every_orientation_is_applied(orientation, expected):
    data = s.phone_jpeg((2000, 1500), orientation=orientation, noise=False)
    clean = clean_photo(upload(data))
    assert (clean.width, clean.height) == expected
    assert opened(clean.image).size == expected


def test_small_photo_is_not_enlarged():
    data = s.encode(s.two_tone((640, 480)), "JPEG", exif=s.exif_bytes(orientation=1))
    clean = clean_photo(upload(data))
    assert (clean.width, clean.height) == (640, 480)
    assert opened(clean.thumb).size == (240, 180)
    assert_no_metadata(opened(clean.image))


def test_png_with_transparency_becomes_jpeg_on_white():
    im = Image.new("RGBA", (900, 600), (0, 0, 0, 0))
    im.paste((10, 200, 10, 255), (0, 0, 450, 600))
    clean = clean_photo(upload(s.encode(im, "PNG"), "shot.png", "image/png"))
    large = opened(clean.image)
    assert large.format == "JPEG" and large.mode == "RGB" and large.size == (900, 600)
    assert large.getpixel((800, 300)) >= (245, 245, 245)  # transparent → white
    assert large.getpixel((100, 300))[1] > 150


def test_webp_is_accepted():
    data = s.encode(s.two_tone((2400, 1800)), "WEBP", quality=80,
                    exif=s.exif_bytes(orientation=1))
    clean = clean_photo(upload(data, "a.webp", "image/webp"))
    assert (clean.width, clean.height) == (1600, 1200)
    assert_no_metadata(opened(clean.image))


def test_heic_from_an_iphone_is_accepted():
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    data = s.encode(s.two_tone((1800, 1200)), "HEIF", quality=60,
                    exif=s.exif_bytes(orientation=6))
    assert Image.open(io.BytesIO(data)).format == "HEIF"
    clean = clean_photo(upload(data, "IMG_0001.HEIC", "image/heic"))
    large = opened(clean.image)
    assert large.format == "JPEG"
    assert large.size == (1067, 1600)  # turned upright (pillow-heif applies the orientation)
    top, bottom = large.getpixel((530, 100)), large.getpixel((530, 1500))
    assert top[0] > 150 > top[2] and bottom[2] > 150 > bottom[0]
    assert_no_metadata(large)


def test_content_type_from_the_browser_is_not_trusted():
    data = s.encode(s.two_tone((300, 200)), "PNG")
    clean = clean_photo(upload(data, "x.txt", "text/plain"))
    assert clean.width == 300


# --- Files that are refused ------------------------------------------------


def assert_refused(data: bytes, code: str, name: str = "photo.jpg"):
    with pytest.raises(UploadRejected) as exc:
        clean_photo(upload(data, name))
    msg = str(exc.value)
    assert exc.value.code == code
    # One language at a time: the reader's (Chinese here), never both in one string.
    assert any("\u4e00" <= ch <= "\u9fff" for ch in msg) and " / " not in msg
    return msg


def test_text_file_named_jpg_is_refused():
    msg = assert_refused("这不是照片 not a photo\n".encode() * 50, "not_image", "photo.jpg")
    assert "不是照片" in msg
    with translation.override("en"):
        with pytest.raises(UploadRejected) as exc:
            clean_photo(upload("这不是照片\n".encode() * 50, "photo.jpg"))
        assert "not a photo" in str(exc.value)


def test_truncated_jpeg_is_refused(phone_photo):
    assert_refused(phone_photo[: len(phone_photo) // 2], "not_image")


def test_jpeg_header_only_is_refused(phone_photo):
    assert_refused(phone_photo[:600], "not_image")


def test_decompression_bomb_is_refused_before_decoding():
    msg = assert_refused(s.png_declaring(20_000, 20_000), "too_many_pixels", "bomb.png")
    assert "5000万像素" in msg


def test_png_just_over_fifty_megapixels_is_refused():
    assert_refused(s.png_declaring(8000, 6400), "too_many_pixels", "big.png")


def test_hundred_megapixel_photo_is_refused():
    assert_refused(s.big_jpeg(10_000, 10_000), "too_many_pixels")


def test_gif_and_other_formats_are_refused():
    assert_refused(s.encode(Image.new("P", (50, 50)), "GIF"), "not_image", "a.gif")
    assert_refused(s.encode(Image.new("RGB", (50, 50)), "BMP"), "not_image", "a.bmp")


def test_empty_and_oversized_files_are_refused(monkeypatch):
    assert_refused(b"", "empty")
    monkeypatch.setattr(uploads_photos, "MAX_PHOTO_BYTES", 1000)
    assert_refused(s.encode(s.two_tone((400, 300), noise=True), "PNG"), "too_large")


# --- The model and the form fields -------------------------------------------


class UploadTestPhoto(BasePhoto):
    class Meta:
        app_label = "portal"
        managed = False


def test_base_photo_stores_three_files_in_the_app_folder(phone_photo, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    photo = UploadTestPhoto()
    photo.set_image(upload(phone_photo, "IMG_1234.jpg"))
    assert (photo.width, photo.height) == (1200, 1600)
    names = [photo.image.name, photo.medium.name, photo.thumb.name]
    assert names[0].startswith("portal/photos/") and names[1].startswith("portal/photos/m/")
    assert names[2].startswith("portal/photos/t/")
    assert all("IMG_1234" not in n for n in names)
    for f in (photo.image, photo.medium, photo.thumb):
        assert (tmp_path / f.name).exists()
        assert_no_metadata(Image.open(tmp_path / f.name))
    photo.delete_files()
    assert not (tmp_path / names[0]).exists()


def test_base_photo_refusal_writes_nothing(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    photo = UploadTestPhoto()
    with pytest.raises(UploadRejected):
        photo.set_image(upload(b"GIF89a nonsense"))
    assert not photo.image and list(tmp_path.iterdir()) == []


def test_base_photo_is_abstract():
    assert BasePhoto._meta.abstract
    assert {f.name for f in UploadTestPhoto._meta.fields} >= {
        "image", "medium", "thumb", "width", "height", "created_at"}
    assert isinstance(UploadTestPhoto._meta.get_field("image"), models.ImageField)


class ReportForm(forms.Form):
    text = forms.CharField(required=False)
    photos = PhotosField()
    voice = VoiceField()


def test_photos_field_cleans_each_photo_and_caps_the_count():
    from django.utils.datastructures import MultiValueDict

    good = s.encode(s.two_tone((300, 200)), "JPEG")
    form = ReportForm({"text": "x"}, MultiValueDict({"photos": [upload(good), upload(good)]}))
    assert form.is_valid(), form.errors
    assert len(form.cleaned_data["photos"]) == 2
    assert form.cleaned_data["voice"] is None

    too_many = MultiValueDict({"photos": [upload(good) for _ in range(MAX_PHOTOS + 1)]})
    form = ReportForm({}, too_many)
    assert not form.is_valid() and "最多 6 张" in form.errors["photos"][0]

    form = ReportForm({}, MultiValueDict({"photos": [upload(good), upload(b"not an image")]}))
    assert not form.is_valid() and "不是照片" in form.errors["photos"][0]
    assert 'data-jy-photos="6"' in str(form["photos"]) and "multiple" in str(form["photos"])


def test_voice_field_refuses_a_long_recording():
    from django.utils.datastructures import MultiValueDict

    form = ReportForm({}, MultiValueDict({"voice": [upload(s.wav(75), "v.wav", "audio/wav")]}))
    assert not form.is_valid() and "录音太长" in form.errors["voice"][0]


# --- Voice notes -----------------------------------------------------------------

TAGS = {"title": "SECRET-TITLE 家里地址", "comment": "SECRET-COMMENT GPS 24.77N 108.90E",
        "artist": "SECRET-ARTIST"}
"""Tags a recording may carry; none of them may reach what is stored."""


def assert_stored_as_clean_opus(stored, upload_bytes: bytes, seconds: float) -> None:
    """What ``clean_voice`` returns is Opus in WebM made from the sound, nothing else."""
    import av

    stored.seek(0)
    data = stored.read()
    assert data != upload_bytes
    assert stored.name.endswith(".webm") and stored.content_type == "audio/webm"
    assert b"SECRET" not in data and "家里地址".encode() not in data
    with av.open(io.BytesIO(data)) as container:
        assert container.format.name == "matroska,webm"
        assert [st.type for st in container.streams] == ["audio"]
        audio = container.streams.audio[0]
        assert audio.codec_context.name == "opus"
        assert audio.codec_context.layout.name == "mono" and audio.sample_rate == 48000
        tags = dict(container.metadata) | dict(audio.metadata)
        assert not set(tags) & {"title", "comment", "artist", "TITLE", "COMMENT", "ARTIST"}
        assert set(tags) <= {"encoder", "ENCODER", "DURATION"}, tags
        assert all("Lavf" == v or k == "DURATION" for k, v in tags.items()), tags
    assert s.decoded_seconds(data) == pytest.approx(seconds, abs=0.2)
    assert stored.seconds == pytest.approx(seconds, abs=0.2)


@pytest.mark.parametrize("kind, params", [
    ("webm", {"fmt": "webm"}),
    ("ogg", {"fmt": "ogg"}),
    ("m4a", {"fmt": "ipod", "codec": "aac", "rate": 44100, "layout": "stereo"}),
    ("mp3", {"fmt": "mp3", "codec": "libmp3lame", "rate": 44100}),
    ("wav", {"fmt": "wav", "codec": "pcm_s16le", "rate": 16000}),
    ("3gp", {"fmt": "3gp", "codec": "libopencore_amrnb", "rate": 8000}),
    ("amr", {"fmt": "amr", "codec": "libopencore_amrnb", "rate": 8000}),
])
def test_a_real_recording_is_stored_re_encoded_without_its_tags(kind, params):
    data = s.recording(4, tags=TAGS, **params)
    if kind in ("webm", "m4a", "mp3", "wav"):
        assert b"SECRET-TITLE" in data  # the upload really carries them
    clean = clean_voice(upload(data, "voice.bin", "application/octet-stream"))
    assert_stored_as_clean_opus(clean, data, 4)


def test_a_real_chrome_recording_is_timed_and_re_encoded():
    """2.5 s recorded by Chromium's MediaRecorder (Opus in live WebM: no Duration,
    unknown sizes, a Chrome ``encoder`` tag)."""
    data = (Path(__file__).parent / "samples" / "chrome-voice.webm").read_bytes()
    voice = clean_voice(upload(data, "blob", "audio/webm;codecs=opus"))
    assert voice.seconds == pytest.approx(2.58, abs=0.05)
    assert_stored_as_clean_opus(voice, data, 2.58)
    assert b"Chrome" not in voice.read()
    with pytest.raises(UploadRejected) as exc:
        clean_voice(upload(data), max_seconds=2)
    assert exc.value.code == "too_long"


@pytest.mark.parametrize("params", [
    {"fmt": "webm"},
    {"fmt": "ipod", "codec": "aac", "rate": 44100},
    {"fmt": "wav", "codec": "pcm_s16le", "rate": 8000},
])
def test_length_is_counted_in_decoded_sound(params):
    with pytest.raises(UploadRejected) as exc:
        clean_voice(upload(s.recording(12, **params)), max_seconds=10)
    assert exc.value.code == "too_long" and "录音太长" in str(exc.value) and "10" in str(exc.value)
    with pytest.raises(UploadRejected) as exc:
        clean_voice(upload(s.recording(0.3, **params)))
    assert exc.value.code == "too_short" and "录音太短" in str(exc.value)


def test_the_sixty_second_limit_holds():
    assert clean_voice(upload(s.wav(59))).seconds == pytest.approx(59, abs=0.05)
    with pytest.raises(UploadRejected) as exc:
        clean_voice(upload(s.wav(61)))
    assert exc.value.code == "too_long" and "60" in str(exc.value)


def test_voice_content_type_claimed_by_the_browser_is_ignored():
    with pytest.raises(UploadRejected) as exc:
        clean_voice(upload(b"<html>not audio</html>" * 10, "v.webm", "audio/webm"))
    assert exc.value.code == "not_audio"
    # and a real recording sent as text/plain is fine
    assert clean_voice(upload(s.recording(2, fmt="ogg"), "v.txt", "text/plain")).name.endswith(
        ".webm")


HOSTILE = {
    "heic photo with GPS": s.heic_with_gps,
    "ID3 header then a JPEG with GPS": lambda: s.id3_then(s.phone_jpeg((320, 240))),
    "ID3 header then HTML": lambda: s.id3_then(
        b"<html><body><script>alert(document.cookie)</script></body></html>" * 30),
    "MP3 whose tag carries a photo with GPS": s.mp3_with_cover,
    "WAV with byte rate 0 around a photo": s.wav_with_byte_rate_zero,
    "WAV with byte rate 0 around sound": lambda: s.wav_with_byte_rate_zero(b"\x80" * 24_000),
    "1.9 MB of random bytes": lambda: s.random_bytes(1_900_000),
    "Ogg header claiming 10 s, then random bytes": s.ogg_claiming,
    "WebM Opus of random packets claiming 10 s": s.opus_of_random_packets,
    "Ogg Opus of random packets claiming 10 s": lambda: s.opus_of_random_packets(fmt="ogg"),
    "a real recording followed by 1 MB of random bytes":
        lambda: s.recording(3) + s.random_bytes(1_000_000),
    "a JPEG": lambda: s.phone_jpeg((320, 240)),
    "WebM of a codec nobody knows": lambda: (
        Path(__file__).parent / "samples" / "chrome-voice.webm").read_bytes().replace(
        b"A_OPUS", b"A_QQQQ"),
    "an HLS playlist pointing at a local file":
        lambda: b"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nfile:///etc/passwd\n"
                b"#EXT-X-ENDLIST\n",
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_what_only_looks_like_a_recording_is_refused(name):
    data = HOSTILE[name]()
    assert len(data) <= uploads_voice.MAX_VOICE_BYTES
    with pytest.raises(UploadRejected) as exc:
        clean_voice(upload(data, "voice.m4a", "audio/mp4"))
    assert exc.value.code == "not_audio"
    assert str(exc.value) == "这不是录音文件，请重新录一段。"


@pytest.mark.parametrize("params", [
    {"fmt": "webm"}, {"fmt": "ogg"}, {"fmt": "ipod", "codec": "aac", "rate": 44100},
    {"fmt": "mp3", "codec": "libmp3lame", "rate": 44100}, {"fmt": "wav", "codec": "pcm_s16le"},
])
def test_cut_or_damaged_recordings_are_refused_or_cleaned_never_an_error(params):
    import random

    data = s.recording(2, **params)
    rng = random.Random(3)
    damaged = [data[:n] for n in (4, 40, 400, len(data) // 2, len(data) - 10)]
    for _ in range(8):
        flipped = bytearray(data)
        for i in rng.sample(range(len(data)), 20):
            flipped[i] ^= 0xFF
        damaged.append(bytes(flipped))
    for sample in damaged:
        try:
            clean = clean_voice(upload(sample))
        except UploadRejected as exc:
            assert "录音" in str(exc)
        else:
            assert clean.read()[:4] == b"\x1a\x45\xdf\xa3" and clean.seconds <= 2.5


def test_decoding_has_a_cpu_budget(monkeypatch):
    monkeypatch.setattr(uploads_voice, "MAX_DECODE_CPU_SECONDS", 0.0)
    with pytest.raises(UploadRejected) as exc:
        clean_voice(upload(s.recording(3)))
    assert exc.value.code == "too_costly" and "不是录音" in str(exc.value)


def test_voice_size_cap():
    with pytest.raises(UploadRejected) as exc:
        clean_voice(upload(s.wav(50, rate=44100)))  # 44 kB a second: 2.2 MB
    assert exc.value.code == "too_large" and "2 MB" in str(exc.value)
    with pytest.raises(UploadRejected) as exc:
        clean_voice(upload(b""))
    assert exc.value.code == "empty"


# --- json_or_redirect ------------------------------------------------------------


def test_json_or_redirect_answers_fetch_and_plain_posts_alike(rf: RequestFactory):
    js = rf.post("/x/", HTTP_ACCEPT="application/json")
    plain = rf.post("/x/")

    ok = json_or_redirect(js, None, "/cases/1/")
    assert ok.status_code == 200 and json.loads(ok.content) == {"ok": True, "url": "/cases/1/"}
    ok = json_or_redirect(plain, None, "/cases/1/")
    assert ok.status_code == 303 and ok["Location"] == "/cases/1/"

    form = ReportForm({}, {"photos": upload(b"nope")})
    assert not form.is_valid()
    bad = json_or_redirect(js, form, None)
    body = json.loads(bad.content)
    assert bad.status_code == 400 and body["ok"] is False
    assert "不是照片" in body["errors"]["photos"][0] and body["message"]

    bad = json_or_redirect(js, UploadRejected("太大 / too big"), None)
    assert json.loads(bad.content)["message"] == "太大 / too big"


def test_json_or_redirect_without_js_and_template_goes_back(rf: RequestFactory):
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.backends.signed_cookies import SessionStore

    request = rf.post("/x/", HTTP_REFERER="http://evil.example/")
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    response = json_or_redirect(request, {"photos": ["坏了 / broken"]}, None)
    assert response.status_code == 303 and response["Location"] == "/x/"


def test_errors_of_and_client_key(rf: RequestFactory):
    assert errors_of({"a": "x", "b": []}) == {"a": ["x"]}
    assert errors_of(forms.ValidationError("m")) == {"__all__": ["m"]}
    key = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
    assert str(client_key_from(rf.post("/", {"client_key": key}))) == key
    assert client_key_from(rf.post("/", {"client_key": "'; drop table"})) is None
    assert client_key_from(rf.post("/")) is None
