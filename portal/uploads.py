"""Photos and voice notes that people upload: checked, cleaned, stored.

Shared by the cases (community/) and the live chat (community.liaison). The
phone shrinks photos before sending (``static/portal/forms.js``), but the
server trusts nothing that arrives:

* a photo must really be an image that Pillow can open, verify and decode
  (JPEG, PNG, WebP or HEIC), of at most ``MAX_PIXELS`` pixels, so a
  decompression bomb or a 100-megapixel picture is refused before it is
  decoded; the EXIF orientation is applied and then **all** EXIF (GPS
  included) and XMP are dropped; what is stored are three JPEG renditions,
  longest side 1600 / 800 / 240 px. JPEGs are decoded with ``Image.draft()``,
  at 1/2, 1/4 or 1/8 of their size straight out of the decoder, which is
  about twice as fast and uses a fraction of the memory (tests/perf/bench_photos.py);
* a voice note is recognised by its first bytes (not by the content type the
  browser claims): WebM, Ogg (Opus/Vorbis), MP4/M4A (AAC), WAV or MP3, capped
  in size and in duration, the duration read from the container.

Anything refused raises ``UploadRejected``; ``str(exc)`` is a plain message
for the person, Chinese first, then English.

The contract with the browser (forms.js)
-----------------------------------------
A form marked ``<form data-jy-form>`` is sent by forms.js with ``fetch``, as
``multipart/form-data`` with the header ``Accept: application/json`` and
``X-CSRFToken``; photos come as ``photos`` (several files, already shrunk),
a recording as ``voice``, and a hidden ``client_key`` (a UUID made once per
filled-in form on the phone) so a double tap, a retry or a submission queued
offline and sent later carries the same key. The view answers, through
``portal.forms_json.json_or_redirect``:

* success: ``200 {"ok": true, "url": "/where/to/go/"}`` (the no-JS path gets
  a 303 redirect to the same url);
* refused: ``400 {"ok": false, "errors": {"field": ["message", ...]},
  "message": "..."}`` (the no-JS path gets the form page again, status 400).

Storing a submission once per ``client_key`` is the job of the app's service
(a unique constraint on (author, client_key) and returning the existing row
on a repeat), not of this module. Without JavaScript the same form posts
normally, with the phone's original photos, and the server shrinks them.

Typical use in a view, validating everything before writing anything::

    photos = [clean_photo(f) for f in request.FILES.getlist("photos")[:MAX_PHOTOS]]
    ...                                    # UploadRejected -> form error, 400
    with transaction.atomic():
        case = case_submit(...)
        for clean in photos:
            p = CasePhoto(case=case); p.set_clean(clean); p.save()

or with the form fields ``PhotosField`` / ``VoiceField`` below, whose
``clean()`` returns the cleaned results.
"""

from __future__ import annotations

import io
import re
import struct
import uuid
import warnings
from dataclasses import dataclass

from django import forms
from django.core.files.base import ContentFile
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image, ImageOps, TiffImagePlugin, UnidentifiedImageError

# Pillow imports its TIFF plugin the first time it reads EXIF; importing it with
# this module makes that a cost of starting the server, not of the first photo.
assert TiffImagePlugin

try:  # HEIC from iPhones; pillow-heif comes with Wagtail's Willow.
    import pillow_heif

    pillow_heif.register_heif_opener()
except ImportError:  # pragma: no cover - the lock file installs it
    pillow_heif = None

MAX_PHOTOS = 6
MAX_PHOTO_BYTES = 25 * 1024 * 1024
"""Phones that send without JavaScript send the original; 25 MB covers a 48-MP JPEG."""
MAX_PIXELS = 50_000_000
"""The same limit the Wagtail image library uses (WAGTAILIMAGES_MAX_IMAGE_PIXELS)."""
LARGE, MEDIUM, THUMB = 1600, 800, 240
JPEG_QUALITY = 82
PHOTO_FORMATS = {"JPEG", "MPO", "PNG", "WEBP", "HEIF"}

MAX_VOICE_BYTES = 2 * 1024 * 1024
MAX_VOICE_SECONDS = 60


class UploadRejected(Exception):
    """A file we will not keep; ``str(exc)`` is the message to show the person."""

    def __init__(self, message: str, *, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.code = code


# --- Photos ------------------------------------------------------------------


@dataclass
class CleanPhoto:
    """Three JPEG renditions without any metadata, ready to be saved."""

    image: ContentFile
    medium: ContentFile
    thumb: ContentFile
    width: int
    height: int


def _not_an_image() -> UploadRejected:
    return UploadRejected(
        _("这个文件不是照片，请选择手机相册里的照片。 / This file is not a photo; please choose a photo."),
        code="not_image",
    )


def _too_big_pixels() -> UploadRejected:
    return UploadRejected(
        _(
            "照片太大（超过5000万像素），请换一张或用手机截图后再发。"
            " / The photo is too large (over 50 megapixels); please choose a smaller one."
        ),
        code="too_many_pixels",
    )


def _too_large(limit: int) -> UploadRejected:
    return UploadRejected(
        _("文件太大（不能超过 %(mb)d MB）。 / The file is too large (at most %(mb)d MB).")
        % {"mb": limit // (1024 * 1024)},
        code="too_large",
    )


def _read_upload(uploaded_file, limit: int) -> bytes:
    size = getattr(uploaded_file, "size", None)
    if size is not None and size > limit:
        raise _too_large(limit)
    if hasattr(uploaded_file, "seek"):
        uploaded_file.seek(0)
    data = uploaded_file.read(limit + 1)
    if len(data) > limit:
        raise _too_large(limit)
    if not data:
        raise UploadRejected(_("文件是空的。 / The file is empty."), code="empty")
    return data


def _seekable_upload(uploaded_file, limit: int):
    """The upload as a seekable binary file, size-checked, without copying it.

    Django keeps small uploads in memory (a BytesIO) and big ones in a
    temporary file; Pillow reads either directly, so the photo's bytes are not
    held twice.
    """
    f = getattr(uploaded_file, "file", uploaded_file)
    try:
        f.seek(0, io.SEEK_END)
        size = f.tell()
        f.seek(0)
    except (AttributeError, OSError, ValueError):
        return io.BytesIO(_read_upload(uploaded_file, limit))
    if size > limit:
        raise _too_large(limit)
    if size == 0:
        raise UploadRejected(_("文件是空的。 / The file is empty."), code="empty")
    return f


def _open(fp) -> Image.Image:
    """Open without decoding pixels; bombs and non-images raise UploadRejected."""
    fp.seek(0)
    with warnings.catch_warnings():
        # Pillow only warns between its limit and twice it; make that an error too.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            im = Image.open(fp)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_big_pixels() from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, struct.error):
            raise _not_an_image() from None
    if im.format not in PHOTO_FORMATS:
        raise _not_an_image()
    w, h = im.size
    if w < 1 or h < 1:
        raise _not_an_image()
    if w * h > MAX_PIXELS:
        raise _too_big_pixels()
    return im


def _to_rgb(im: Image.Image) -> Image.Image:
    if im.mode == "RGB":
        return im
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        white = Image.new("RGB", rgba.size, (255, 255, 255))
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    if im.mode.startswith("I;16") or im.mode in ("I", "F"):
        # 16-bit greyscale PNGs: scale down to 8 bits before RGB.
        im = im.point(lambda v: v / 256).convert("L")
    return im.convert("RGB")


def _jpeg(im: Image.Image, icc: bytes | None) -> ContentFile:
    out = io.BytesIO()
    # No exif= and no xmp=: Pillow writes none, so GPS and every other tag are gone.
    # The colour profile is kept (it is not EXIF and carries no personal data).
    # Baseline, not progressive: progressive encoding costs 5× the time for a few percent.
    params = {"quality": JPEG_QUALITY}
    if icc:
        params["icc_profile"] = icc
    im.save(out, "JPEG", **params)
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.jpg")


_BAND_ROWS = 64


def _fit(im: Image.Image, longest: int) -> Image.Image:
    """``im`` scaled so its longest side is at most ``longest`` (never enlarged).

    Big images are resized in bands of output rows: Pillow's resize of a whole
    image keeps a full-width intermediate of every source row (9.6 MB for
    2000×1500 → 1600×1200), a band needs a fiftieth of that. ``box`` makes the
    filter read past the band's edges, so the bands join without a seam.
    """
    w, h = im.size
    if max(w, h) <= longest:
        return im
    if max(w, h) == 2 * longest and w % 2 == 0 and h % 2 == 0:
        return im.reduce(2)  # exactly half (1600 → 800): a box average is as good and 10× faster
    scale = longest / max(w, h)
    ow, oh = max(1, round(w * scale)), max(1, round(h * scale))
    if ow * oh < 1_000_000:
        return im.resize((ow, oh), Image.Resampling.LANCZOS, reducing_gap=3.0)
    out = Image.new(im.mode, (ow, oh))
    sy = h / oh
    for y0 in range(0, oh, _BAND_ROWS):
        y1 = min(oh, y0 + _BAND_ROWS)
        band = im.resize((ow, y1 - y0), Image.Resampling.LANCZOS, box=(0, y0 * sy, w, y1 * sy))
        out.paste(band, (0, y0))
    return out


def clean_photo(uploaded_file) -> CleanPhoto:
    """Check that ``uploaded_file`` is a real photo and make the stored renditions.

    Raises ``UploadRejected`` for anything that is not a JPEG/PNG/WebP/HEIC
    image Pillow can fully decode, or that has more than ``MAX_PIXELS`` pixels.
    The result has no EXIF (GPS included), is the right way up, and is JPEG.
    """
    fp = _seekable_upload(uploaded_file, MAX_PHOTO_BYTES)
    # 1. Is it an image at all? verify() checks the structure without decoding.
    im = _open(fp)
    try:
        im.verify()
    except Exception:  # Pillow raises many types for broken files
        raise _not_an_image() from None
    # 2. verify() leaves the object unusable: reopen and decode for real.
    im = _open(fp)
    icc = im.info.get("icc_profile")
    try:
        if im.format in ("JPEG", "MPO"):
            # Let the decoder scale by 1/2, 1/4 or 1/8 while it decodes, never
            # below the size we keep.
            w, h = im.size
            scale = LARGE / max(w, h)
            if scale < 1:
                im.draft("RGB", (max(1, int(w * scale)), max(1, int(h * scale))))
        im.load()
        exif = im.info.get("exif")
        # Shrink first, then turn: turning 1600 px costs less than turning 2000,
        # and the decoded original is freed before the turned copy is made.
        large = _fit(_to_rgb(im), LARGE)
        if large is im:
            large = im.copy()
        del im
        large.info = {"exif": exif} if exif else {}
        large = ImageOps.exif_transpose(large)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_big_pixels() from None
    except Exception:  # truncated or corrupt pixel data
        raise _not_an_image() from None
    large.info = {}  # nothing from the original travels on
    medium = _fit(large, MEDIUM)
    thumb = _fit(medium, THUMB)
    return CleanPhoto(
        image=_jpeg(large, icc),
        medium=_jpeg(medium, icc),
        thumb=_jpeg(thumb, icc),
        width=large.width,
        height=large.height,
    )


def _photo_path(instance, folder: str) -> str:
    return f"{instance._meta.app_label}/photos/{folder}{uuid.uuid4().hex}.jpg"


def photo_upload_to(instance, filename: str) -> str:
    """``<app>/photos/<random>.jpg``: nothing of the person's file name is kept."""
    return _photo_path(instance, "")


def medium_upload_to(instance, filename: str) -> str:
    return _photo_path(instance, "m/")


def thumb_upload_to(instance, filename: str) -> str:
    return _photo_path(instance, "t/")


class BasePhoto(models.Model):
    """A cleaned photo in three sizes. Apps subclass it with their foreign key::

        class CasePhoto(BasePhoto):
            case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="photos")
    """

    # Indexed: every /media/ request finds its owner by file name (portal.media).
    image = models.ImageField(gettext_lazy("照片"), upload_to=photo_upload_to,
                              max_length=200, db_index=True)
    medium = models.ImageField(gettext_lazy("中图"), upload_to=medium_upload_to,
                               max_length=200, db_index=True)
    thumb = models.ImageField(gettext_lazy("缩略图"), upload_to=thumb_upload_to,
                              max_length=200, db_index=True)
    width = models.PositiveIntegerField(gettext_lazy("宽"), default=0)
    height = models.PositiveIntegerField(gettext_lazy("高"), default=0)
    created_at = models.DateTimeField(gettext_lazy("上传时间"), auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["pk"]

    def set_image(self, uploaded_file) -> None:
        """Check and process ``uploaded_file``; fill the three images. Raises UploadRejected.

        Writes the files to storage (not the row: call ``save()`` after).
        """
        self.set_clean(clean_photo(uploaded_file))

    def set_clean(self, clean: CleanPhoto) -> None:
        """Store an already cleaned photo (see ``clean_photo``)."""
        self.image.save(clean.image.name, clean.image, save=False)
        self.medium.save(clean.medium.name, clean.medium, save=False)
        self.thumb.save(clean.thumb.name, clean.thumb, save=False)
        self.width, self.height = clean.width, clean.height

    def delete_files(self) -> None:
        for f in (self.image, self.medium, self.thumb):
            if f:
                f.delete(save=False)


# --- Voice notes -------------------------------------------------------------


@dataclass
class VoiceInfo:
    kind: str  # webm, ogg, mp4, wav, mp3
    content_type: str
    seconds: float | None


VOICE_TYPES = {
    "webm": ("audio/webm", "webm"),
    "ogg": ("audio/ogg", "ogg"),
    "mp4": ("audio/mp4", "m4a"),
    "wav": ("audio/wav", "wav"),
    "mp3": ("audio/mpeg", "mp3"),
}

# When a container does not say how long it is, bound the length by its size:
# a file this many bytes per second or fewer would be longer than allowed at
# the lowest bitrate recorders use for speech (Opus ~ 24 kbit/s).
_MIN_SPEECH_BYTES_PER_SECOND = 3_000


def sniff_voice(data: bytes) -> str | None:
    """The container, from the first bytes; None if it is not one we accept."""
    if data[:4] == b"\x1a\x45\xdf\xa3":
        return "webm"
    if data[:4] == b"OggS":
        return "ogg"
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "wav"
    if data[4:8] == b"ftyp":
        return "mp4"
    if data[:3] == b"ID3":
        return "mp3"
    if len(data) > 1 and data[0] == 0xFF and (data[1] & 0xE0) == 0xE0 and (data[1] & 0x06):
        return "mp3"  # MPEG audio frame sync, layer I-III
    return None


def _wav_seconds(data: bytes) -> float | None:
    pos, byte_rate, data_size = 12, None, None
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack_from("<I", data, pos + 4)[0]
        if cid == b"fmt " and size >= 16:
            byte_rate = struct.unpack_from("<I", data, pos + 16)[0]
        elif cid == b"data":
            data_size = min(size, len(data) - pos - 8)
            break
        pos += 8 + size + (size & 1)
    if not byte_rate or data_size is None:
        return None
    return data_size / byte_rate


def _ogg_seconds(data: bytes) -> float | None:
    """Last page's granule position over the sample rate (Opus: always 48 kHz)."""
    if len(data) < 28:
        return None
    rate, pre_skip = None, 0
    head = data[:4096]
    i = head.find(b"OpusHead")
    if i >= 0 and i + 12 <= len(head):
        rate = 48000
        pre_skip = struct.unpack_from("<H", head, i + 10)[0]
    else:
        j = head.find(b"\x01vorbis")
        if j >= 0 and j + 16 <= len(head):
            rate = struct.unpack_from("<I", head, j + 12)[0]
    if not rate:
        return None
    last = data.rfind(b"OggS")
    while last >= 0:
        if last + 14 <= len(data):
            granule = struct.unpack_from("<q", data, last + 6)[0]
            if granule >= 0:
                return max(0.0, (granule - pre_skip) / rate)
        last = data.rfind(b"OggS", 0, last)
    return None


def _ebml_vint(data: bytes, pos: int, *, keep_marker: bool) -> tuple[int, int]:
    first = data[pos]
    length = 1
    mask = 0x80
    while length <= 8 and not first & mask:
        mask >>= 1
        length += 1
    if length > 8 or pos + length > len(data):
        raise ValueError("bad vint")
    value = first if keep_marker else first & (mask - 1)
    for b in data[pos + 1:pos + length]:
        value = (value << 8) | b
    return value, length


# Master elements we step into rather than skip: Segment, Info, Cluster, BlockGroup.
_EBML_MASTERS = {0x18538067, 0x1549A966, 0x1F43B675, 0xA0}


def _webm_seconds(data: bytes) -> float | None:
    """The Duration in Info, or else the last block's timestamp.

    Chrome's MediaRecorder writes WebM as a live stream, without a Duration and
    with clusters of unknown size, so the file is scanned flat: masters are
    entered, everything else is skipped by its size.
    """
    pos, scale, duration, cluster_tc, last_tc = 0, 1_000_000, None, 0, None
    n = len(data)
    try:
        while pos < n:
            eid, idlen = _ebml_vint(data, pos, keep_marker=True)
            size, szlen = _ebml_vint(data, pos + idlen, keep_marker=False)
            body = pos + idlen + szlen
            if eid in _EBML_MASTERS:
                pos = body
                continue
            if size == (1 << (7 * szlen)) - 1:
                # "Unknown size" is all ones *for that length*: 127 in two bytes is just 127.
                break
            payload = data[body:body + size]
            if eid == 0x2AD7B1:  # TimecodeScale (ns)
                scale = int.from_bytes(payload, "big") or scale
            elif eid == 0x4489:  # Duration (float, in TimecodeScale units)
                if size == 4:
                    duration = struct.unpack(">f", payload)[0]
                elif size == 8:
                    duration = struct.unpack(">d", payload)[0]
            elif eid == 0xE7:  # Cluster Timecode
                cluster_tc = int.from_bytes(payload, "big")
            elif eid in (0xA3, 0xA1) and size >= 4:  # SimpleBlock / Block
                _track, tlen = _ebml_vint(payload, 0, keep_marker=False)
                rel = struct.unpack_from(">h", payload, tlen)[0]
                tc = cluster_tc + rel
                last_tc = tc if last_tc is None else max(last_tc, tc)
            pos = body + size
    except (ValueError, IndexError, struct.error):
        pass  # a truncated tail: use what was read
    if duration:
        return duration * scale / 1e9
    if last_tc is not None:
        return last_tc * scale / 1e9
    return None


def _mp4_boxes(data: bytes, start: int, end: int):
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1 and pos + 16 <= end:
            size = struct.unpack_from(">Q", data, pos + 8)[0]
            header = 16
        elif size == 0:
            size = end - pos
        if size < header:
            return
        yield kind, pos + header, min(pos + size, end)
        pos += size


def _mp4_seconds(data: bytes) -> float | None:
    """mvhd's duration; for fragmented files (Safari's recorder), the sum of the fragments."""
    n = len(data)
    timescale = None
    frag_total = 0
    mdhd_scale = None
    for kind, b, e in _mp4_boxes(data, 0, n):
        if kind == b"moov":
            for k2, b2, e2 in _mp4_boxes(data, b, e):
                if k2 == b"mvhd":
                    version = data[b2]
                    if version == 1:
                        timescale, dur = struct.unpack_from(">IQ", data, b2 + 20)
                    else:
                        timescale, dur = struct.unpack_from(">II", data, b2 + 12)
                    if timescale and dur and dur not in (0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF):
                        return dur / timescale
                elif k2 == b"mvex":
                    for k3, b3, _e3 in _mp4_boxes(data, b2, e2):
                        if k3 == b"mehd" and timescale:
                            version = data[b3]
                            dur = (struct.unpack_from(">Q", data, b3 + 4)[0] if version == 1
                                   else struct.unpack_from(">I", data, b3 + 4)[0])
                            if dur:
                                return dur / timescale
                elif k2 == b"trak" and mdhd_scale is None:
                    for k3, b3, e3 in _mp4_boxes(data, b2, e2):
                        if k3 == b"mdia":
                            for k4, b4, _e4 in _mp4_boxes(data, b3, e3):
                                if k4 == b"mdhd":
                                    off = 20 if data[b4] == 1 else 12
                                    mdhd_scale = struct.unpack_from(">I", data, b4 + off)[0]
        elif kind == b"moof":
            frag_total += _moof_duration(data, b, e)
    if frag_total and mdhd_scale:
        return frag_total / mdhd_scale
    return None


def _moof_duration(data: bytes, start: int, end: int) -> int:
    total = 0
    for kind, b, e in _mp4_boxes(data, start, end):
        if kind != b"traf":
            continue
        default_dur = 0
        for k2, b2, _e2 in _mp4_boxes(data, b, e):
            if k2 == b"tfhd":
                flags = int.from_bytes(data[b2 + 1:b2 + 4], "big")
                off = b2 + 8  # version/flags, track_ID
                if flags & 0x01:
                    off += 8
                if flags & 0x02:
                    off += 4
                if flags & 0x08:
                    default_dur = struct.unpack_from(">I", data, off)[0]
            elif k2 == b"trun":
                flags = int.from_bytes(data[b2 + 1:b2 + 4], "big")
                count = struct.unpack_from(">I", data, b2 + 4)[0]
                off = b2 + 8
                if flags & 0x01:
                    off += 4
                if flags & 0x04:
                    off += 4
                per = 4 * sum(bool(flags & f) for f in (0x100, 0x200, 0x400, 0x800))
                if flags & 0x100:
                    for i in range(count):
                        total += struct.unpack_from(">I", data, off + i * per)[0]
                else:
                    total += default_dur * count
    return total


_MP3_BITRATES = {  # MPEG-1 layer III, MPEG-2/2.5 layer III (kbit/s)
    3: [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 0],
    2: [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, 0],
}
_MP3_RATES = {3: [44100, 48000, 32000], 2: [22050, 24000, 16000], 0: [11025, 12000, 8000]}


def _mp3_seconds(data: bytes) -> float | None:
    """Xing/Info frame count when present (VBR), else size over the first frame's bitrate."""
    pos = 0
    if data[:3] == b"ID3" and len(data) >= 10:
        pos = 10 + (((data[6] & 0x7F) << 21) | ((data[7] & 0x7F) << 14)
                    | ((data[8] & 0x7F) << 7) | (data[9] & 0x7F))
    limit = min(len(data) - 4, pos + 64 * 1024)
    while pos < limit and not (data[pos] == 0xFF and (data[pos + 1] & 0xE0) == 0xE0):
        pos += 1
    if pos >= limit:
        return None
    h = struct.unpack_from(">I", data, pos)[0]
    version = (h >> 19) & 3  # 3 = MPEG-1, 2 = MPEG-2, 0 = MPEG-2.5
    layer = (h >> 17) & 3
    br_idx, sr_idx = (h >> 12) & 0xF, (h >> 10) & 3
    if version == 1 or layer != 1 or sr_idx == 3:
        return None  # only layer III is worth supporting for recordings
    rate = _MP3_RATES[version][sr_idx]
    kbps = _MP3_BITRATES[3 if version == 3 else 2][br_idx]
    samples = 1152 if version == 3 else 576
    frame = data[pos:pos + 200]
    for tag in (b"Xing", b"Info"):
        i = frame.find(tag)
        if i >= 0 and struct.unpack_from(">I", frame, i + 4)[0] & 1:
            frames = struct.unpack_from(">I", frame, i + 8)[0]
            return frames * samples / rate
    if not kbps:
        return None
    return (len(data) - pos) * 8 / (kbps * 1000)


_DURATION = {"wav": _wav_seconds, "ogg": _ogg_seconds, "webm": _webm_seconds,
             "mp4": _mp4_seconds, "mp3": _mp3_seconds}


def voice_info(data: bytes) -> VoiceInfo:
    """What the recording is and how long it lasts (None if the container does not say)."""
    kind = sniff_voice(data)
    if kind is None:
        raise UploadRejected(
            _("这不是录音文件，请重新录一段。 / This is not a voice recording; please record again."),
            code="not_audio",
        )
    try:
        seconds = _DURATION[kind](data)
    except (ValueError, IndexError, struct.error):
        seconds = None
    return VoiceInfo(kind=kind, content_type=VOICE_TYPES[kind][0], seconds=seconds)


def clean_voice(uploaded_file, *, max_seconds: int = MAX_VOICE_SECONDS) -> ContentFile:
    """Check a voice note; return it as a ContentFile named ``<random>.<ext>``.

    The file's first bytes decide what it is, not the browser's content type.
    The length is read from the container (WAV header, Ogg granule position,
    WebM Duration or last block timestamp, MP4 mvhd or fragment durations,
    MP3 Xing frame count or bitrate). Where a container does not say, the
    length is bounded by the size: a file larger than ``max_seconds`` at 24
    kbit/s is refused. Raises ``UploadRejected``.
    """
    data = _read_upload(uploaded_file, MAX_VOICE_BYTES)
    info = voice_info(data)
    too_long = UploadRejected(
        _("录音太长了，最长 %(s)d 秒，请说短一点再录。"
          " / The recording is too long (at most %(s)d seconds); please record a shorter one.")
        % {"s": max_seconds},
        code="too_long",
    )
    if info.seconds is not None:
        if info.seconds > max_seconds + 0.5:
            raise too_long
    elif len(data) > max_seconds * _MIN_SPEECH_BYTES_PER_SECOND:
        raise too_long
    out = ContentFile(data, name=f"{uuid.uuid4().hex}.{VOICE_TYPES[info.kind][1]}")
    out.content_type = info.content_type
    out.seconds = info.seconds
    return out


# --- Documents: a PDF or a photo ----------------------------------------------

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024

_PDF_HEADER = re.compile(rb"%PDF-[12]\.\d")
_PDF_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*$")
_PDF_XREF_AT = re.compile(rb"\s*(?:xref\b|\d+\s+\d+\s+obj\b)")
# A signed agreement needs none of these; a file with them is not one we keep.
_PDF_ACTIVE = re.compile(rb"/(?:JavaScript|JS|Launch|EmbeddedFiles?|RichMedia|XFA)\b")


def _not_a_document() -> UploadRejected:
    return UploadRejected(_("只能上传PDF文件或照片（JPG、PNG等）。"), code="not_document")


def _pdf_is_plain(data: bytes) -> bool:
    """A minimal parse: the header, at least one object, the last ``startxref``
    pointing at a cross-reference table or stream, ``%%EOF`` at the end, and no
    scripts, launch actions or embedded files."""
    if not _PDF_HEADER.match(data) or b"endobj" not in data:
        return False
    match = _PDF_STARTXREF.search(data[-2048:])
    if match is None:
        return False
    offset = int(match.group(1))
    if not 0 < offset < len(data) or not _PDF_XREF_AT.match(data, offset):
        return False
    return _PDF_ACTIVE.search(data) is None


def clean_document(uploaded_file) -> ContentFile:
    """A PDF or a photo, checked by its content (never by its name or claimed type).

    A PDF is kept as it is once ``_pdf_is_plain``; anything else must be a photo,
    which goes through ``clean_photo`` (re-encoded, no EXIF) and is kept as its
    large JPEG. Returns a ContentFile with a random name; raises ``UploadRejected``
    for everything else, before anything is stored.
    """
    data = _read_upload(uploaded_file, MAX_DOCUMENT_BYTES)
    if data.startswith(b"%PDF-"):
        if not _pdf_is_plain(data):
            raise _not_a_document()
        out = ContentFile(data, name=f"{uuid.uuid4().hex}.pdf")
        out.content_type = "application/pdf"
        return out
    try:
        photo = clean_photo(ContentFile(data, name="upload"))
    except UploadRejected as exc:
        if exc.code == "not_image":
            raise _not_a_document() from None
        raise
    out = photo.image
    out.name = f"{uuid.uuid4().hex}.jpg"
    out.content_type = "image/jpeg"
    return out


# --- Form fields -------------------------------------------------------------


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Up to ``MAX_PHOTOS`` photos in one ``<input type=file multiple>``; cleans to [CleanPhoto]."""

    widget = MultipleFileInput

    def __init__(self, *args, max_photos: int = MAX_PHOTOS, **kwargs):
        kwargs.setdefault("required", False)
        self.max_photos = max_photos
        super().__init__(*args, **kwargs)
        self.widget.attrs.update({"accept": "image/*", "data-jy-photos": str(max_photos)})

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, (list, tuple)) else [data]) if f]
        if not files:
            if self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return []
        if len(files) > self.max_photos:
            raise forms.ValidationError(
                _("最多 %(n)d 张照片。 / At most %(n)d photos.") % {"n": self.max_photos},
                code="too_many",
            )
        out = []
        for f in files:
            try:
                out.append(clean_photo(f))
            except UploadRejected as exc:
                raise forms.ValidationError(str(exc), code=exc.code) from None
        return out


class VoiceField(forms.FileField):
    """A recorded voice note; cleans to a ContentFile (or None)."""

    def __init__(self, *args, max_seconds: int = MAX_VOICE_SECONDS, **kwargs):
        kwargs.setdefault("required", False)
        self.max_seconds = max_seconds
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if not data:
            if self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return None
        try:
            return clean_voice(data, max_seconds=self.max_seconds)
        except UploadRejected as exc:
            raise forms.ValidationError(str(exc), code=exc.code) from None
