"""Voice notes that people record: checked and stored.

A voice note is recognised by its first bytes (not by the content type the
browser claims): WebM, Ogg (Opus/Vorbis), MP4/M4A (AAC), WAV or MP3, capped
in size and in duration, the duration read from the container.
"""

from __future__ import annotations

import struct
import uuid
from dataclasses import dataclass

from django import forms
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from .base import UploadRejected, _read_upload

MAX_VOICE_BYTES = 2 * 1024 * 1024
MAX_VOICE_SECONDS = 60


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
