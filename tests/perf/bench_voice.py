"""How long and how much memory the server needs for a 60-second voice note.

``portal.uploads.voice.clean_voice`` decodes the note and re-encodes it as Opus
in WebM. Measured on three 60-second notes made with PyAV: what Chromium
records (Opus in WebM, 48 kHz mono), what an iPhone records (AAC in M4A,
44.1 kHz stereo) and a 16 kHz WAV.

Time: median of N runs in this process, wall clock and CPU of this thread (the
figure ``MAX_DECODE_CPU_SECONDS`` bounds). Memory: in a fresh subprocess, the
growth of the resident set's high-water mark (VmHWM, reset first) over the
size before; FFmpeg's buffers are C allocations that tracemalloc does not see.
Prints figures only.

    .venv/bin/python tests/perf/bench_voice.py [--runs 5]
"""

from __future__ import annotations

import argparse
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

NOTES = {
    "chromium webm/opus 48k mono": {"fmt": "webm"},
    "iphone m4a/aac 44.1k stereo": {"fmt": "ipod", "codec": "aac", "rate": 44100,
                                    "layout": "stereo"},
    "wav pcm 16k mono": {"fmt": "wav", "codec": "pcm_s16le", "rate": 16000},
}


def as_upload(data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("voice", data, content_type="application/octet-stream")


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(field)


def _memory_child(path: str) -> None:
    import django

    django.setup()
    from portal.tests.upload_samples import recording
    from portal.uploads.voice import clean_voice

    clean_voice(as_upload(recording(1)))  # imports and codec tables are not the note's cost
    data = Path(path).read_bytes()
    import gc

    figures = []
    for _ in range(2):
        upload = as_upload(data)
        gc.collect()
        Path("/proc/self/clear_refs").write_text("5")
        before = _status_kb("VmRSS")
        clean_voice(upload)
        figures.append(_status_kb("VmHWM") - before)
    print(*figures)


def memory_of(data: bytes) -> tuple[float, float]:
    with tempfile.NamedTemporaryFile() as tmp:
        tmp.write(data)
        tmp.flush()
        out = subprocess.run([sys.executable, __file__, "--memory-child", tmp.name],
                             capture_output=True, text=True, check=True, cwd=ROOT)
    first, second = out.stdout.strip().splitlines()[-1].split()
    return int(first) / 1024, int(second) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--memory-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        _memory_child(args.memory_child)
        return

    import django

    django.setup()
    from portal.tests.upload_samples import recording
    from portal.uploads.voice import clean_voice

    for name, params in NOTES.items():
        data = recording(60, **params)
        clean_voice(as_upload(data))  # warm up
        wall, cpu = [], []
        for _ in range(args.runs):
            w, c = time.perf_counter(), time.thread_time()
            stored = clean_voice(as_upload(data))
            cpu.append(time.thread_time() - c)
            wall.append(time.perf_counter() - w)
        first, second = memory_of(data)
        print(f"{name:30} {len(data) / 1000:7.0f} kB → {stored.size / 1000:4.0f} kB stored,"
              f" {stored.seconds:.2f} s: median {statistics.median(wall) * 1000:5.0f} ms wall,"
              f" {statistics.median(cpu) * 1000:5.0f} ms CPU (max {max(cpu) * 1000:.0f});"
              f" peak extra memory {first:4.1f} MB first / {second:4.1f} MB next")


if __name__ == "__main__":
    main()
