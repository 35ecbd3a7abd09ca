"""Real files for upload tests, made on the spot: photos with Pillow, recordings with PyAV.

Used by portal/tests/test_uploads.py, tests/perf/bench_photos.py and the
browser test; other apps' tests may use them too (``phone_jpeg()`` is a
realistic photo with EXIF GPS and an orientation tag).
"""

from __future__ import annotations

import array
import io
import math
import random
import struct
import wave
import zlib
from fractions import Fraction

from PIL import Image, ImageDraw

GPS = {
    1: "N", 2: (24.0, 46.0, 30.0),  # Luocheng, Guangxi
    3: "E", 4: (108.0, 54.0, 10.0),
}


def exif_bytes(*, orientation: int = 6, gps: bool = True) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "TestPhone"
    exif[0x0110] = "Model X"
    if gps:
        exif[0x8825] = GPS
    return exif.tobytes()


def two_tone(size: tuple[int, int], *, left=(220, 30, 30), right=(30, 30, 220),
             noise: bool = False) -> Image.Image:
    """Left half one colour, right half another: shows which way a photo was turned."""
    w, h = size
    im = Image.new("RGB", size, right)
    ImageDraw.Draw(im).rectangle([0, 0, w // 2 - 1, h - 1], fill=left)
    if noise:
        # Real photos are full of detail; a flat image flatters the JPEG decoder.
        grain = Image.effect_noise((w // 4, h // 4), 60).convert("RGB").resize(size)
        im = Image.blend(im, grain, 0.35)
    return im


def phone_jpeg(size=(4000, 3000), *, orientation: int = 6, gps: bool = True,
               noise: bool = True, quality: int = 90) -> bytes:
    """A phone photo: landscape pixels, EXIF saying "turn 90° clockwise", GPS position."""
    out = io.BytesIO()
    two_tone(size, noise=noise).save(out, "JPEG", quality=quality,
                                     exif=exif_bytes(orientation=orientation, gps=gps))
    return out.getvalue()


def encode(im: Image.Image, fmt: str, **params) -> bytes:
    out = io.BytesIO()
    im.save(out, fmt, **params)
    return out.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` × ``height`` pixels: a decompression bomb."""
    raw = encode(Image.new("L", (8, 8)), "PNG")
    ihdr = struct.pack(">II", width, height) + raw[24:29]
    crc = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr) & 0xFFFFFFFF)
    return raw[:16] + ihdr + crc + raw[33:]


def big_jpeg(width: int = 10_000, height: int = 10_000) -> bytes:
    """A real JPEG of width × height pixels (100 megapixels by default), small on disk."""
    return encode(Image.new("L", (width, height), 128), "JPEG", quality=50)


# --- Recordings --------------------------------------------------------------


def wav(seconds: float, *, rate: int = 8000) -> bytes:
    """8-bit silence, as Python's own ``wave`` writes it."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(1)
        w.setframerate(rate)
        w.writeframes(b"\x80" * int(seconds * rate))
    return out.getvalue()


def _voice_blocks(rate: int, channels: int) -> list[bytes]:
    """20 ms of a 400 Hz tone at a few loudnesses (s16, interleaved): a voice that rises
    and falls. 400 Hz fits a whole number of periods in 20 ms, so blocks join without a click."""
    n = rate // 50
    blocks = []
    for level in (0.05, 0.2, 0.4, 0.2):
        samples = array.array("h")
        for k in range(n):
            v = int(32767 * level * math.sin(2 * math.pi * 400 * k / rate))
            samples.extend([v] * channels)
        blocks.append(samples.tobytes())
    return blocks


def recording(seconds: float, *, fmt: str = "webm", codec: str = "libopus", rate: int = 48000,
              layout: str = "mono", tags: dict | None = None) -> bytes:
    """A real recording encoded by FFmpeg (PyAV): ``fmt`` is FFmpeg's muxer
    (webm, ogg, ipod = .m4a, mp3, wav, 3gp, amr), ``codec`` its encoder
    (libopus, aac, libmp3lame, pcm_s16le, libopencore_amrnb); ``tags`` become the
    file's metadata (an ID3 title, an MP4 comment, ...)."""
    import av

    out = io.BytesIO()
    container = av.open(out, "w", format=fmt)
    container.metadata.update(tags or {})
    stream = container.add_stream(codec, rate=rate, layout=layout)
    channels = stream.codec_context.layout.nb_channels
    blocks = _voice_blocks(rate, channels)
    per_block = rate // 50
    for i in range(round(seconds * 50)):
        frame = av.AudioFrame(format="s16", layout=layout, samples=per_block)
        frame.planes[0].update(blocks[(i // 25) % len(blocks)])
        frame.sample_rate, frame.pts = rate, i * per_block
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode(None):
        container.mux(packet)
    container.close()
    return out.getvalue()


def decoded_seconds(data: bytes) -> float:
    """How much sound a file holds, counted in decoded samples."""
    import av

    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.audio[0]
        return sum(f.samples / f.sample_rate for f in container.decode(stream))


# --- Files that claim to be recordings ------------------------------------------


def heic_with_gps(size=(320, 240)) -> bytes:
    """An iPhone photo (HEIC) with its GPS position: an ISO-BMFF file like an .m4a."""
    return encode(two_tone(size), "HEIF", exif=exif_bytes(gps=True))


def _syncsafe(n: int) -> bytes:
    return bytes([(n >> 21) & 0x7F, (n >> 14) & 0x7F, (n >> 7) & 0x7F, n & 0x7F])


def id3(frames: bytes = b"") -> bytes:
    """An ID3v2.3 tag, as at the start of an MP3."""
    return b"ID3\x03\x00\x00" + _syncsafe(len(frames)) + frames


def id3_frame(kind: bytes, payload: bytes) -> bytes:
    return kind + struct.pack(">IH", len(payload), 0) + payload


def id3_then(payload: bytes) -> bytes:
    """An (empty) ID3 header and then anything: what "starts like an MP3" means."""
    return id3() + payload


def mp3_with_cover(seconds: float = 2, picture: bytes | None = None) -> bytes:
    """A real MP3 whose ID3 tag carries a picture (APIC): a phone photo with GPS by default."""
    picture = picture if picture is not None else phone_jpeg((320, 240))
    apic = id3_frame(b"APIC", b"\x00image/jpeg\x00\x03\x00" + picture)
    return id3(apic) + recording(seconds, fmt="mp3", codec="libmp3lame", rate=44100)


def wav_with_byte_rate_zero(payload: bytes | None = None) -> bytes:
    """A WAV header whose byte rate is 0, followed by anything (a photo with GPS by default)."""
    payload = payload if payload is not None else phone_jpeg((320, 240))
    fmt = struct.pack("<HHIIHH", 1, 1, 8000, 0, 1, 8)
    body = (b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
            + b"data" + struct.pack("<I", len(payload)) + payload)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def random_bytes(n: int, seed: int = 7) -> bytes:
    return random.Random(seed).randbytes(n)


def opus_of_random_packets(seconds: float = 10, size: int = 1_900_000, *,
                           fmt: str = "webm") -> bytes:
    """A genuine Opus header and timing for ``seconds``, every packet random bytes."""
    import av

    out = io.BytesIO()
    container = av.open(out, "w", format=fmt)
    stream = container.add_stream("libopus", rate=48000, layout="mono")
    count = round(seconds * 50)
    rng = random.Random(7)
    for i in range(count):
        packet = av.Packet(rng.randbytes(size // count))
        packet.stream = stream
        packet.pts = packet.dts = i * 960
        packet.duration = 960
        packet.time_base = Fraction(1, 48000)
        container.mux(packet)
    container.close()
    return out.getvalue()


def ogg_claiming(seconds: float = 10, size: int = 1_900_000) -> bytes:
    """An Ogg page with an OpusHead, and an end granule claiming ``seconds``, around random bytes."""
    head = b"OpusHead" + bytes([1, 1]) + struct.pack("<HIhB", 312, 48000, 0, 0)
    page = _ogg_page(head, 0, 0, 2)
    last = _ogg_page(b"\xfc", int(seconds * 48000) + 312, 2, 4)
    return page + random_bytes(size - len(page) - len(last)) + last


def _ogg_page(payload: bytes, granule: int, seq: int, flags: int = 0) -> bytes:
    segs = []
    n = len(payload)
    while n >= 255:
        segs.append(255)
        n -= 255
    segs.append(n)
    return (b"OggS" + bytes([0, flags]) + struct.pack("<qIII", granule, 1, seq, 0)
            + bytes([len(segs)]) + bytes(segs) + payload)
