"""Benchmark: the home page and 我的 on the demo data.

Prints, in one run:
- server time (median, p95 over 200 requests, in-process with Django's test
  client) of the home page for a signed-in resident, of 我的, and of a bare
  Wagtail page (a core ``Page`` with a minimal template) as the baseline;
- the number of queries of each;
- bytes transferred in headless Chromium at 360×740 for a signed-in
  resident's first load of the home page and for a repeat visit (budgets:
  60 KB and 15 KB).

Run:  .venv/bin/python tests/perf/bench_home.py
It builds its own SQLite database under var/bench/ (migrate + demo data).
"""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
BENCH = ROOT / "var" / "bench"
DB = BENCH / "home.sqlite3"
TEMPLATES = Path(tempfile.mkdtemp(prefix="jy-bench-tpl-"))
(TEMPLATES / "wagtailcore").mkdir()
# What `wagtail start` gives a new site's home page, roughly: a plain page.
(TEMPLATES / "wagtailcore" / "page.html").write_text(
    "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{{ page.title }}</title>"
    "</head><body><h1>{{ page.title }}</h1><p>Welcome to your new Wagtail site!</p></body></html>"
)

os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings.dev"
os.environ["SQLITE_PATH"] = str(DB)
os.environ["DEBUG"] = "0"


def setup_django():
    import django
    from django.conf import settings

    django.setup()

    settings.TEMPLATES[0]["DIRS"].append(TEMPLATES)
    settings.ALLOWED_HOSTS = ["*"]


def build_db():
    from django.core.management import call_command

    BENCH.mkdir(parents=True, exist_ok=True)
    call_command("migrate", verbosity=0)
    call_command("demo_data", verbosity=0, stdout=open(os.devnull, "w"))


def bare_page():
    from wagtail.models import Page

    from portal.models import HomePage

    home = HomePage.objects.first()
    page = Page.objects.filter(slug="bare-bench").first()
    if page is None:
        page = home.add_child(instance=Page(title="Bare", slug="bare-bench"))
    return page.url


def time_requests(client, url, n=200):
    from django.db import connection

    client.get(url)  # warm up
    executed = []

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(n):
        start = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], len(executed), len(response.content)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def served_bytes(log: Path) -> tuple[int, int]:
    """(body bytes, responses) that Daphne's access log has recorded so far."""
    total = count = 0
    if log.exists():
        for line in log.read_text().splitlines():
            parts = line.rsplit(" ", 2)
            if len(parts) == 3 and parts[2].isdigit():
                total += int(parts[2]) + 250  # + a typical response head
                count += 1
    return total, count


def transfer_sizes(session_key: str):
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM, CHROMIUM_ARGS, PHONE

    port = free_port()
    env = dict(os.environ)
    access_log = BENCH / "access.log"
    access_log.unlink(missing_ok=True)
    server = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--no-ticker", "--port", str(port),
         "--access-log", str(access_log)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.time() + 180  # a loaded machine can take a while to import Wagtail
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.5)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(**PHONE)
            context.add_cookies([{"name": "sessionid", "value": session_key, "url": url}])
            page = context.new_page()
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            sizes: dict[str, int] = {}

            def finished(event):
                sizes[event["requestId"]] = event["encodedDataLength"]

            cdp.on("Network.loadingFinished", finished)
            page.goto(url, wait_until="networkidle")
            page.wait_for_timeout(1500)  # let the service worker install and cache the shell
            first = sum(sizes.values())
            first_n = len(sizes)
            served_before = served_bytes(access_log)
            # The repeat visit: requests the service worker forwards are not seen by the
            # page's own network events, so count what the server sent instead.
            page.goto(url, wait_until="networkidle")
            page.wait_for_timeout(1000)
            served_after = served_bytes(access_log)
            repeat = served_after[0] - served_before[0]
            repeat_n = served_after[1] - served_before[1]
            browser.close()
        return first, first_n, repeat, repeat_n
    finally:
        server.terminate()
        server.wait(10)


def main():
    setup_django()
    if not DB.exists():
        build_db()
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import Client

    from portal.models import User

    resident = User.objects.get(phone="+8613800000001")
    client = Client()
    client.force_login(resident, backend="django.contrib.auth.backends.ModelBackend")
    anon = Client()
    bare_url = bare_page()

    print("Jiayuan home-page benchmark (demo data: "
          f"{__import__('buildings.models', fromlist=['Household']).Household.objects.count()} households)")
    print(f"{'page':34} {'median ms':>9} {'p95 ms':>8} {'queries':>7} {'HTML bytes':>10}")
    for label, c, url in [
        ("bare Wagtail page (baseline)", anon, bare_url),
        ("home, visitor", anon, "/"),
        ("home, signed-in resident", client, "/"),
        ("我的 (me), signed-in resident", client, "/me/"),
    ]:
        median, p95, queries, size = time_requests(c, url)
        print(f"{label:34} {median:9.2f} {p95:8.2f} {queries:7d} {size:10d}")

    store = SessionStore()
    store["_auth_user_id"] = str(resident.pk)
    store["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    store["_auth_user_hash"] = resident.get_session_auth_hash()
    store.create()
    first, first_n, repeat, repeat_n = transfer_sizes(store.session_key)
    print(f"transfer, first load (signed-in resident): {first / 1024:.1f} KB in {first_n} responses"
          " (budget 60 KB)")
    print(f"transfer, repeat visit:                    {repeat / 1024:.1f} KB in {repeat_n} responses"
          " from the server, heads estimated at 250 B each (budget 15 KB)")
    shutil.rmtree(TEMPLATES, ignore_errors=True)


if __name__ == "__main__":
    main()
