"""Issue 15 in one run: page weight, server time beside a bare Wagtail page, photo memory.

Prints one table:

- **weight**: bytes transferred (CDP ``encodedDataLength``) in headless
  Chromium at 360×740 for a signed-in resident's first visit of each resident
  page (a fresh browser profile each), and the bytes the server sent for a
  repeat visit (the service worker forwards requests the page's own network
  events do not see, so the server's access log is counted, heads at 250 B).
  Served the release way: ``portal.settings.embedded`` after collectstatic
  (hashed names, brotli, a year's cache). Budgets: home 30 KB first, 5 KB
  repeat; the report form and the chat 45 KB first.
- **server time**: median CPU time (process time) over N requests, in
  process with Django's test client, the pages taken in turn, of each resident page and of a bare Wagtail page (a core ``Page``
  with a minimal template) that this script adds; the ratio to the bare page
  (budget 2×) and the query count.
- **photos**: tests/perf/bench_photos.py's figures (time against the naive
  pipeline, memory of a cold process) on a 12-MP phone JPEG.
- load per server (daphne / uvicorn / granian): see tests/perf/bench_servers.py.

Run:  .venv/bin/python tests/perf/bench_issue15.py [--runs 100] [--skip-browser] [--skip-photos]
It builds its own SQLite database under var/bench/ (migrate + demo data).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.perf import bench_home  # noqa: E402  (sets the environment for Django)

# One key for this process (which makes the session) and the server it starts.
os.environ.setdefault("SECRET_KEY", "bench-issue15-only")

BENCH = bench_home.BENCH
DB = bench_home.DB
BUDGETS = {"home": (30, 5), "report form": (45, None), "chat": (45, None)}


def resident_pages(resident) -> list[tuple[str, str]]:
    from community.models import Case

    case = Case.objects.filter(reporter=resident).order_by("pk").first()
    pages = [
        ("home", "/"),
        ("我的 /me/", "/me/"),
        ("notices", "/notices/"),
        ("my cases", "/cases/"),
    ]
    if case is not None:
        pages.append(("a case", f"/cases/{case.pk}/"))
    pages.append(("task board", "/volunteer/"))
    pages.append(("report form", "/cases/new/"))
    pages.append(("chat", "/chat/"))
    return pages


def server_times(resident, pages, runs: int):
    """Median CPU time per request (process time: the machine is shared, so wall
    time mostly measures the neighbours), pages taken in turn, round after round."""
    import statistics

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(resident, backend="django.contrib.auth.backends.ModelBackend")
    anon = Client()
    todo = [("bare", anon, bench_home.bare_page())] + [(label, client, url) for label, url in pages]
    queries, times = {}, {label: [] for label, _, _ in todo}
    for label, c, url in todo:
        c.get(url)  # warm up
        with CaptureQueriesContext(connection) as seen:
            assert c.get(url).status_code == 200, url
        queries[label] = len(seen.captured_queries)
    for _ in range(runs):
        for label, c, url in todo:
            start = time.process_time()
            c.get(url)
            times[label].append((time.process_time() - start) * 1000)
    rows = {label: (statistics.median(times[label]), queries[label]) for label in times}
    return rows.pop("bare"), rows


def release_server(port: int, access_log: Path) -> subprocess.Popen:
    """``manage.py serve`` on the embedded (release) settings, static files collected."""
    env = dict(os.environ)
    env.update({
        "DJANGO_SETTINGS_MODULE": "portal.settings.embedded",
        "STATIC_ROOT": str(BENCH / "static"),
        "SECRET_KEY_FILE": str(BENCH / "secret_key"),
        "DEBUG": "0",
    })
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
                   cwd=ROOT, env=env, check=True)
    return subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--no-ticker", "--port", str(port),
         "--access-log", str(access_log)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def page_weights(session_key: str, pages) -> dict[str, tuple[int, int, int, int]]:
    import socket

    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM, CHROMIUM_ARGS, PHONE

    port = bench_home.free_port()
    access_log = BENCH / "access15.log"
    access_log.unlink(missing_ok=True)
    server = release_server(port, access_log)
    out = {}
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.time() + 180
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.5)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for label, path in pages:
                context = browser.new_context(**PHONE)
                context.add_cookies([{"name": "sessionid", "value": session_key, "url": base}])
                page = context.new_page()
                cdp = context.new_cdp_session(page)
                cdp.send("Network.enable")
                sizes: dict[str, int] = {}
                cdp.on("Network.loadingFinished",
                       lambda e, sizes=sizes: sizes.__setitem__(e["requestId"], e["encodedDataLength"]))
                page.goto(base + path, wait_until="networkidle")
                assert "/accounts/login" not in page.url, f"{path}: signed out ({page.url})"
                page.wait_for_timeout(1200)  # the service worker installs and caches the shell
                first, first_n = sum(sizes.values()), len(sizes)
                before = bench_home.served_bytes(access_log)
                page.goto(base + path, wait_until="networkidle")
                page.wait_for_timeout(800)
                after = bench_home.served_bytes(access_log)
                out[label] = (first, first_n, after[0] - before[0], after[1] - before[1])
                context.close()
            browser.close()
    finally:
        server.terminate()
        try:
            server.wait(60)  # a loaded machine takes its time to stop Daphne
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    return out


def photo_figures():
    from tests.perf import bench_photos

    out = subprocess.run([sys.executable, bench_photos.__file__, "--runs", "5"],
                         cwd=ROOT, capture_output=True, text=True, timeout=900)
    return out.stdout.strip() or out.stderr.strip()[-2000:]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--skip-browser", action="store_true")
    parser.add_argument("--skip-photos", action="store_true")
    args = parser.parse_args()

    bench_home.setup_django()
    if not DB.exists():
        bench_home.build_db()
    from django.contrib.sessions.backends.db import SessionStore

    from portal.models import User

    resident = User.objects.get(phone="+8613800000001")
    pages = resident_pages(resident)
    bare, times = server_times(resident, pages, args.runs)

    weights = {}
    if not args.skip_browser:
        store = SessionStore()
        store["_auth_user_id"] = str(resident.pk)
        store["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
        store["_auth_user_hash"] = resident.get_session_auth_hash()
        store.create()
        weights = page_weights(store.session_key, pages)

    print("Issue 15: a signed-in resident's pages (demo data)")
    print(f"{'page':14} {'first KB':>8} {'n':>3} {'repeat KB':>9} {'n':>3} {'budget':>9}"
          f" {'CPU ms':>9} {'× bare':>6} {'queries':>7}")
    print(f"{'bare Wagtail':14} {'':>8} {'':>3} {'':>9} {'':>3} {'':>9}"
          f" {bare[0]:9.2f} {1.0:6.2f} {bare[1]:7d}")
    for label, _ in pages:
        median, queries = times[label]
        first, first_n, repeat, repeat_n = weights.get(label, (0, 0, 0, 0))
        budget = BUDGETS.get(label)
        btxt = (f"{budget[0]}/{budget[1] if budget[1] else '-'}") if budget else ""
        print(f"{label:14} {first / 1024:8.1f} {first_n:3d} {repeat / 1024:9.1f} {repeat_n:3d} {btxt:>9}"
              f" {median:9.2f} {median / bare[0]:6.2f} {queries:7d}")
    print("load per server (daphne / uvicorn / granian): see tests/perf/bench_servers.py")
    if not args.skip_photos:
        print("photos (tests/perf/bench_photos.py):")
        print(photo_figures())
    shutil.rmtree(bench_home.TEMPLATES, ignore_errors=True)


if __name__ == "__main__":
    main()
