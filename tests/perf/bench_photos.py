"""How long and how much memory the server needs for a 12-megapixel phone photo.

Compares, on the same file in the same run:

* plain: full decode → apply EXIF orientation → resize to 1600 px → save JPEG
  (what most code does);
* ours: ``portal.uploads.clean_photo`` (verify, draft-mode decode, orientation,
  three renditions 1600/800/240, no EXIF).

Time: median of N runs in this process. Memory: each way in a fresh
subprocess, first and second photo, peak resident set (VmHWM, reset first) after the work minus before it
(Pillow's pixel buffers are C allocations, which tracemalloc does not see).
Budget (issue 3): ours ≥ 2× faster and ≤ 20 MB extra. Prints figures only.

    .venv/bin/python tests/perf/bench_photos.py [--runs 9] [--file photo.jpg]
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")


def plain(upload) -> bytes:
    from PIL import Image, ImageOps

    upload.seek(0)
    im = Image.open(upload)
    im.load()
    im = ImageOps.exif_transpose(im)
    w, h = im.size
    scale = 1600 / max(w, h)
    im = im.resize((round(w * scale), round(h * scale)), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    im.save(out, "JPEG", quality=82)
    return out.getvalue()


def ours(upload):
    from portal.uploads.photos import clean_photo

    return clean_photo(upload)


def as_upload(data: bytes):
    """The photo as Django hands it to a view.

    Django keeps an upload up to FILE_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) in memory
    (a BytesIO it wrote the chunks into) and streams a bigger one to a
    temporary file; either way the bytes are there before the view runs, so
    they are not part of what processing the photo costs.
    """
    from django.conf import settings
    from django.core.files.uploadedfile import InMemoryUploadedFile, TemporaryUploadedFile

    if len(data) > settings.FILE_UPLOAD_MAX_MEMORY_SIZE:
        upload = TemporaryUploadedFile("p.jpg", "image/jpeg", len(data), None)
    else:
        upload = InMemoryUploadedFile(io.BytesIO(), "photos", "p.jpg", "image/jpeg", len(data), None)
    upload.file.write(data)  # written, as Django's upload handlers do, not shared with `data`
    upload.file.seek(0)
    return upload


def _setup_django():
    import django

    django.setup()


def _memory_child(which: str, path: str) -> None:
    """Run one way once; print the peak RSS growth in kB.

    Linux keeps the high-water mark of resident memory (VmHWM); writing 5 to
    /proc/self/clear_refs resets it to the current size, so the peak after
    the work minus the size before it is what the work needed.
    """
    _setup_django()
    data = Path(path).read_bytes()
    # Warm up imports and the codecs on a tiny phone photo (with EXIF, so the
    # modules that read it are imported) so that one-time costs do not count.
    from portal.tests.upload_samples import phone_jpeg

    fn = plain if which == "plain" else ours
    fn(as_upload(phone_jpeg((64, 48))))
    import gc

    figures = []
    for _ in range(2):  # a fresh process, then one that has handled a photo before
        upload = as_upload(data)
        gc.collect()
        Path("/proc/self/clear_refs").write_text("5")
        before = _status_kb("VmRSS")
        fn(upload)
        figures.append(_status_kb("VmHWM") - before)
    print(*figures)


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(field)


def memory_of(which: str, path: str) -> tuple[float, float]:
    """(first photo in a fresh process, second photo in the same process), in MB."""
    out = subprocess.run(
        [sys.executable, __file__, "--memory-child", which, "--file", path],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )
    cold, warm = out.stdout.strip().splitlines()[-1].split()
    return int(cold) / 1024, int(warm) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--file", help="a JPEG to use instead of a generated 12-MP photo")
    parser.add_argument("--memory-child", choices=["plain", "ours"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        _memory_child(args.memory_child, args.file)
        return

    _setup_django()
    if args.file:
        data = Path(args.file).read_bytes()
    else:
        from portal.tests.upload_samples import phone_jpeg

        data = phone_jpeg((4000, 3000), orientation=6, gps=True, noise=True, quality=92)
    from PIL import Image

    im = Image.open(io.BytesIO(data))
    print(f"photo: {im.size[0]}×{im.size[1]} ({im.size[0] * im.size[1] / 1e6:.1f} MP), "
          f"{len(data) / 1e6:.2f} MB JPEG, EXIF orientation {im.getexif().get(0x0112)}, "
          f"GPS {'yes' if im.getexif().get_ifd(0x8825) else 'no'}")

    upload = as_upload(data)
    print(f"upload: {'temporary file' if hasattr(upload, 'temporary_file_path') else 'in memory'},"
          " as Django keeps a file of this size")
    plain(upload), ours(upload)  # warm up
    times = {"plain": [], "ours": []}
    for _ in range(args.runs):
        for name, fn in (("plain", plain), ("ours", ours)):
            t = time.perf_counter()
            fn(upload)
            times[name].append((time.perf_counter() - t) * 1000)

    with tempfile.NamedTemporaryFile(suffix=".jpg") as tmp:
        tmp.write(data)
        tmp.flush()
        mem = {name: memory_of(name, tmp.name) for name in ("plain", "ours")}

    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"runs: {args.runs} each, interleaved")
    print(f"plain  full decode → rotate → resize 1600 → save : median {med['plain']:7.1f} ms"
          f"  (min {min(times['plain']):.1f}, max {max(times['plain']):.1f}),"
          f" peak extra memory {mem['plain'][0]:5.1f} MB cold / {mem['plain'][1]:5.1f} MB warm")
    print(f"ours   clean_photo (verify, draft, 1600/800/240) : median {med['ours']:7.1f} ms"
          f"  (min {min(times['ours']):.1f}, max {max(times['ours']):.1f}),"
          f" peak extra memory {mem['ours'][0]:5.1f} MB cold / {mem['ours'][1]:5.1f} MB warm")
    print(f"speed-up: {med['plain'] / med['ours']:.2f}×  (target ≥ 2×);"
          f" our peak extra memory {mem['ours'][0]:.1f} MB in a fresh process,"
          f" {mem['ours'][1]:.1f} MB in a warm one (target ≤ 20 MB)")
    print("memory = growth of the resident set's high-water mark (VmHWM) over the size before;"
          " 'cold' is the first photo a fresh process handles, 'warm' the next one")


if __name__ == "__main__":
    main()
