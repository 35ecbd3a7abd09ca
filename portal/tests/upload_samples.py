"""Real files for upload tests, made on the spot: photos with Pillow, recordings by hand.

Used by portal/tests/test_uploads.py, tests/perf/bench_photos.py and the
browser test; other apps' tests may use them too (``phone_jpeg()`` is a
realistic photo with EXIF GPS and an orientation tag).
"""

from __future__ import annotations

import io
import struct
import wave
import zlib

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
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(1)
        w.setframerate(rate)
        w.writeframes(b"\x80" * int(seconds * rate))
    return out.getvalue()


def _ogg_page(payload: bytes, granule: int, seq: int, flags: int = 0) -> bytes:
    segs = []
    n = len(payload)
    while n >= 255:
        segs.append(255)
        n -= 255
    segs.append(n)
    return (b"OggS" + bytes([0, flags]) + struct.pack("<qIII", granule, 1, seq, 0)
            + bytes([len(segs)]) + bytes(segs) + payload)


def ogg_opus(seconds: float, *, pre_skip: int = 312, filler: int = 2000) -> bytes:
    """Ogg Opus pages: OpusHead, OpusTags, audio pages; granule = 48 kHz samples."""
    head = b"OpusHead" + bytes([1, 1]) + struct.pack("<HIhB", pre_skip, 48000, 0, 0)
    tags = b"OpusTags" + struct.pack("<I", 4) + b"test" + struct.pack("<I", 0)
    pages = [_ogg_page(head, 0, 0, 2), _ogg_page(tags, 0, 1)]
    total = int(seconds * 48000) + pre_skip
    steps = 4
    for i in range(1, steps + 1):
        pages.append(_ogg_page(b"\xfc" * (filler // steps), total * i // steps, i + 1,
                               4 if i == steps else 0))
    return b"".join(pages)


def _ebml(eid: int, payload: bytes, *, unknown: bool = False) -> bytes:
    idb = eid.to_bytes((eid.bit_length() + 7) // 8, "big")
    if unknown:
        return idb + b"\x01\xff\xff\xff\xff\xff\xff\xff" + payload
    return idb + (0x10000000 | len(payload)).to_bytes(4, "big") + payload


def webm_live(seconds: float, *, with_duration: bool = False, filler: int = 200) -> bytes:
    """WebM as Chrome's MediaRecorder writes it: unknown sizes, no Duration, 1 ms ticks."""
    header = _ebml(0x1A45DFA3, _ebml(0x4282, b"webm"))
    info = _ebml(0x2AD7B1, (1_000_000).to_bytes(3, "big"))
    if with_duration:
        info += _ebml(0x4489, struct.pack(">d", seconds * 1000))
    body = _ebml(0x1549A966, info)
    ms = int(seconds * 1000)
    for cluster_start in range(0, ms + 1, 10_000):
        blocks = b""
        for rel in range(0, min(10_000, ms - cluster_start + 1), 1000):
            blocks += _ebml(0xA3, b"\x81" + struct.pack(">h", rel) + b"\x80" + b"\0" * filler)
        body += _ebml(0x1F43B675, _ebml(0xE7, cluster_start.to_bytes(4, "big")) + blocks,
                      unknown=True)
    return header + _ebml(0x18538067, body, unknown=True)


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def m4a(seconds: float, *, fragmented: bool = False) -> bytes:
    """MP4 audio: a plain file (duration in mvhd) or Safari's fragmented kind."""
    ftyp = _box(b"ftyp", b"M4A \0\0\0\0isomM4A ")
    mvhd_dur = 0 if fragmented else int(seconds * 1000)
    mvhd = _box(b"mvhd", b"\0\0\0\0" + struct.pack(">IIII", 0, 0, 1000, mvhd_dur) + b"\0" * 80)
    mdhd = _box(b"mdhd", b"\0\0\0\0" + struct.pack(">IIII", 0, 0, 48000, 0) + b"\0" * 4)
    moov = _box(b"moov", mvhd + _box(b"trak", _box(b"mdia", mdhd)))
    out = ftyp + moov
    if fragmented:
        frames = int(seconds * 48000 / 1024)
        per_fragment = 47  # about one second of AAC frames
        while frames > 0:
            count = min(per_fragment, frames)
            frames -= count
            tfhd = _box(b"tfhd", b"\0\0\0\x08" + struct.pack(">II", 1, 1024))
            trun = _box(b"trun", b"\0\0\x02\0" + struct.pack(">I", count)
                        + struct.pack(">I", 10) * count)
            out += _box(b"moof", _box(b"traf", tfhd + trun)) + _box(b"mdat", b"\0" * 10 * count)
    else:
        out += _box(b"mdat", b"\0" * 1000)
    return out


def mp3_cbr(seconds: float) -> bytes:
    """MPEG-1 layer III frames at 128 kbit/s, 44.1 kHz (417 bytes each)."""
    frame = b"\xff\xfb\x90\x64" + b"\0" * 413
    return frame * int(seconds * 44100 / 1152)
