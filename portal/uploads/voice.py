"""Voice notes that people record: decoded, measured, and stored re-encoded.

A voice note is what FFmpeg (through PyAV) decodes as sound, not what its
first bytes or the browser's content type claim; and what is stored is made
from the decoded sound, never the uploaded bytes, so nothing rides along
(a photo with its GPS position behind an ID3 tag, a web page, tags such as
a title or a comment). ``clean_voice`` takes an upload through these steps:

1. at most ``MAX_VOICE_BYTES``, read into memory;
2. opened only by the demuxers phones record into (WebM/Matroska, Ogg,
   MP4/M4A/3GP, WAV, MP3, AMR, ADTS AAC): FFmpeg knows hundreds of formats,
   among them images and playlists that open other files, and refuses the
   rest after probing; only the audio decoders in ``DECODERS`` may run;
3. exactly one audio stream and no video or picture stream (a HEIC photo is
   an MP4 with an image stream, an MP3 may carry a cover picture);
4. decoded packet by packet: the count of decoded samples is the duration,
   whatever the container says. Empty, shorter than ``MIN_VOICE_SECONDS`` or
   longer than the limit is refused; decoding stops as soon as the limit is
   passed, or after ``MAX_DECODE_CPU_SECONDS`` of CPU;
5. plausible: a few packets at most that the decoder rejects, a compressed
   stream of at most ``MAX_COMPRESSED_BYTES_PER_SECOND``, no more than
   ``MAX_OVERHEAD_BYTES`` of the file outside the sound, and a WAV header whose
   byte rate agrees with its sample rate;
6. re-encoded while it is decoded: Opus, mono, 48 kHz, about 32 kbit/s, in WebM
   (what Chromium records, with a Duration so players can seek), with no tag
   from the upload and no version strings (``bitexact``).

A 60-second note takes 0.4–0.8 s of one core and at most 2 MB more memory
(tests/perf/bench_voice.py); the CPU budget is six times that.
"""

from __future__ import annotations

import io
import struct
import time
import uuid
from fractions import Fraction

import av
from django import forms
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from .base import UploadRejected, _read_upload

MAX_VOICE_BYTES = 2 * 1024 * 1024
MAX_VOICE_SECONDS = 60
MIN_VOICE_SECONDS = 0.5
"""voice.js throws away anything under 0.8 s; the server allows for the recorder's timing."""

STORED_CONTENT_TYPE = "audio/webm"
STORED_EXTENSION = "webm"
STORED_RATE = 48_000
STORED_BIT_RATE = 32_000

MAX_DECODE_CPU_SECONDS = 5.0
"""CPU time of this thread for one note; a real 60-second note needs 0.4–0.8 s."""
MAX_BAD_PACKETS = 2
"""A phone that stops recording abruptly may leave a broken last packet; noise does not decode."""
MAX_COMPRESSED_BYTES_PER_SECOND = 64_000
"""512 kbit/s: above any codec's speech or music setting (Opus stops at 510 kbit/s)."""
MAX_OVERHEAD_BYTES = 64 * 1024
"""Container headers, indexes and tags around the sound: a few kB in a real recording."""

DEMUXERS = "matroska,webm,ogg,mov,mp4,m4a,3gp,wav,mp3,amr,aac"
DECODERS = frozenset({
    "opus", "libopus", "vorbis", "libvorbis", "aac", "aac_fixed", "mp3float", "mp3",
    "amrnb", "amrwb", "libopencore_amrnb", "libopencore_amrwb", "alac", "flac",
    "pcm_s16le", "pcm_s16be", "pcm_s24le", "pcm_s32le", "pcm_f32le", "pcm_u8",
    "pcm_alaw", "pcm_mulaw",
})
_OPEN_OPTIONS = {
    "format_whitelist": DEMUXERS,
    "codec_whitelist": ",".join(sorted(DECODERS)),  # for the decoders probing opens
    "protocol_whitelist": "none",  # a demuxer may not open other files or URLs
    "max_streams": "8",
}
_MAX_CHANNELS = 8
_RATES = range(8_000, 96_001)


class CleanVoice(ContentFile):
    """A voice note re-encoded from its decoded sound, ready to be saved.

    ``seconds`` is measured from the decoded samples; ``content_type`` is what
    the stored bytes are (and what ``portal.media`` serves for ``.webm``).
    """

    content_type = STORED_CONTENT_TYPE

    def __init__(self, content: bytes, *, seconds: float):
        super().__init__(content, name=f"{uuid.uuid4().hex}.{STORED_EXTENSION}")
        self.seconds = seconds


def _not_audio(code: str = "not_audio") -> UploadRejected:
    return UploadRejected(_("这不是录音文件，请重新录一段。"), code=code)


def _too_long(max_seconds: int) -> UploadRejected:
    return UploadRejected(
        _("录音太长了，最长 %(s)d 秒，请说短一点再录。") % {"s": max_seconds}, code="too_long")


def _too_short() -> UploadRejected:
    return UploadRejected(_("录音太短了，请按住按钮多说几句。"), code="too_short")


def _wav_byte_rate_agrees(head: bytes) -> bool:
    """The ``fmt `` chunk's byte rate is sample rate × block size, as every PCM WAV says.

    FFmpeg recomputes the rate from the other fields and never looks at this
    one, so a header that contradicts itself would pass it.
    """
    pos = 12
    while pos + 8 <= len(head):
        cid, size = head[pos:pos + 4], struct.unpack_from("<I", head, pos + 4)[0]
        if cid == b"fmt ":
            if size < 16 or pos + 24 > len(head):
                return False
            rate, byte_rate, block_align = struct.unpack_from("<IIH", head, pos + 12)
            return byte_rate > 0 and byte_rate == rate * block_align
        pos += 8 + size + (size & 1)
    return False


class _Encoder:
    """Opus in WebM, into memory, from frames of any format, rate and layout."""

    def __init__(self):
        self.buffer = io.BytesIO()
        # bitexact: no library version strings; no metadata is ever set on it.
        self.container = av.open(self.buffer, "w", format="webm",
                                 options={"fflags": "+bitexact"})
        self.stream = self.container.add_stream(
            "libopus", rate=STORED_RATE, layout="mono",
            # Constrained VBR: about 32 kbit/s whatever the sound (unconstrained
            # Opus spends up to twice that on a steady tone).
            options={"application": "voip", "vbr": "constrained", "flags": "+bitexact"})
        self.stream.bit_rate = STORED_BIT_RATE
        self.resampler = None
        self.source = None
        self.samples = 0

    def _encode(self, frames) -> None:
        for frame in frames:
            frame.pts, frame.time_base = self.samples, Fraction(1, STORED_RATE)
            self.samples += frame.samples
            for packet in self.stream.encode(frame):
                self.container.mux(packet)

    def add(self, frame) -> None:
        source = (frame.format.name, frame.layout.name, frame.sample_rate)
        if source != self.source:  # a resampler serves one input format: flush, start anew
            if self.resampler is not None:
                self._encode(self.resampler.resample(None))
            self.resampler = av.AudioResampler(format="flt", layout="mono", rate=STORED_RATE)
            self.source = source
        frame.pts = None  # the resampler counts its own time
        self._encode(self.resampler.resample(frame))

    def finish(self) -> bytes:
        if self.resampler is not None:
            self._encode(self.resampler.resample(None))
        for packet in self.stream.encode(None):
            self.container.mux(packet)
        self.container.close()
        return self.buffer.getvalue()

    def close(self) -> None:
        try:
            self.container.close()
        except av.FFmpegError:
            pass


def _audio_stream(container):
    audio = [s for s in container.streams if s.type == "audio"]
    # A picture (a HEIC photo, an MP3's cover) is a video stream; a Matroska
    # attachment is a file. Data and subtitle streams are left unread.
    if len(audio) != 1 or any(s.type in ("video", "attachment") for s in container.streams):
        raise _not_audio()
    stream = audio[0]
    ctx = stream.codec_context  # None when FFmpeg has no decoder for it at all
    if ctx is None or ctx.name not in DECODERS or ctx.sample_rate not in _RATES:
        raise _not_audio()
    if not 1 <= ctx.channels <= _MAX_CHANNELS:
        raise _not_audio()
    ctx.options = {"codec_whitelist": _OPEN_OPTIONS["codec_whitelist"]}
    ctx.thread_count = 1
    return stream


def _decode_and_encode(data: bytes, max_seconds: int) -> tuple[bytes, float]:
    started = time.thread_time()
    try:
        container = av.open(io.BytesIO(data), options=_OPEN_OPTIONS)
    except (av.FFmpegError, ValueError):
        raise _not_audio() from None
    encoder = None
    try:
        stream = _audio_stream(container)
        if container.format.name == "wav" and stream.codec_context.name.startswith("pcm_"):
            if not _wav_byte_rate_agrees(data[:4096]):
                raise _not_audio()
        encoder = _Encoder()
        seconds, payload, bad = 0.0, 0, 0
        for packet in container.demux(stream):
            if time.thread_time() - started > MAX_DECODE_CPU_SECONDS:
                raise _not_audio("too_costly")
            payload += packet.size
            try:
                frames = packet.decode()
            except (av.FFmpegError, ValueError):
                bad += 1
                if bad > MAX_BAD_PACKETS:
                    raise _not_audio() from None
                continue
            for frame in frames:
                # The decoder may change its mind mid-stream; each frame is checked.
                if (frame.sample_rate not in _RATES
                        or not 1 <= frame.layout.nb_channels <= _MAX_CHANNELS):
                    raise _not_audio()
                seconds += frame.samples / frame.sample_rate
                encoder.add(frame)
            if seconds > max_seconds + 0.5:
                raise _too_long(max_seconds)
        if seconds <= 0:
            raise _not_audio()
        if seconds < MIN_VOICE_SECONDS:
            raise _too_short()
        # The sound must be what the file is made of: not a few decodable packets
        # inside a large file, nor a "stream" far denser than any recorder writes.
        if len(data) - payload > MAX_OVERHEAD_BYTES:
            raise _not_audio()
        if (not stream.codec_context.name.startswith("pcm_")
                and payload > MAX_COMPRESSED_BYTES_PER_SECOND * seconds + 4096):
            raise _not_audio()
        out = encoder.finish()
        encoder = None
        return out, seconds
    except (av.FFmpegError, ValueError, ArithmeticError):  # a broken file, never a 500
        raise _not_audio() from None
    finally:
        if encoder is not None:
            encoder.close()
        container.close()


def clean_voice(uploaded_file, *, max_seconds: int = MAX_VOICE_SECONDS) -> CleanVoice:
    """Decode a voice note and return it re-encoded as Opus in WebM (``<random>.webm``).

    Raises ``UploadRejected`` for anything that is not a single audio stream of
    a format phones record in, that decodes to less than ``MIN_VOICE_SECONDS``
    or more than ``max_seconds`` of sound, that is larger than
    ``MAX_VOICE_BYTES``, or that is not plausibly a recording (see the module's
    docstring). Nothing of the uploaded bytes is in the result.
    """
    data = _read_upload(uploaded_file, MAX_VOICE_BYTES)
    content, seconds = _decode_and_encode(data, max_seconds)
    return CleanVoice(content, seconds=round(seconds, 3))


class VoiceField(forms.FileField):
    """A recorded voice note; cleans to a ``CleanVoice`` (or None)."""

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
