"""The embedded default (``scripts/run``) serves like a release.

Each test runs ``portal.settings.embedded`` in a process of its own, with an
environment that says nothing (no DEBUG, no SECRET_KEY, no ALLOWED_HOSTS), as
``scripts/run`` starts it on a fresh machine: DEBUG is off, the SECRET_KEY is
made once and kept, collectstatic writes hashed, gzip- and brotli-compressed
files that are served with a year's cache, and a failure shows the friendly
500 page, never a traceback.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CLEARED = {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "SECRET_KEY_FILE", "DEBUG",
           "ALLOWED_HOSTS", "WEBSOCKET_ALLOWED_ORIGINS", "TASKS_BACKEND", "STATIC_ROOT",
           "ASGI_SERVER", "DJANGO_ALLOW_ASYNC_UNSAFE"}

# Runs under the embedded settings; prints what a browser would have seen.
PROBE = r"""
import json, sys, types

import django

django.setup()
from django.conf import settings
from django.templatetags.static import static
from django.test import Client
from django.test.utils import override_settings
from django.urls import path

import portal.urls


def boom(request):
    raise RuntimeError("kaboom: a detail only the operator should read")


urls = types.ModuleType("embedded_probe_urls")
urls.urlpatterns = [path("boom/", boom), *portal.urls.urlpatterns]
sys.modules[urls.__name__] = urls
out = {"debug": settings.DEBUG, "allowed_hosts": settings.ALLOWED_HOSTS,
       "ws_origins": settings.WEBSOCKET_ALLOWED_ORIGINS,
       "secret_key": settings.SECRET_KEY, "css": static("portal/site.css")}
client = Client(raise_request_exception=False, HTTP_HOST="127.0.0.1")
for encoding in ("br", "gzip", ""):
    r = client.get(out["css"], HTTP_ACCEPT_ENCODING=encoding)
    out["static_" + (encoding or "plain")] = {
        "status": r.status_code, "encoding": r.get("Content-Encoding", ""),
        "cache": r.get("Cache-Control", ""), "length": len(b"".join(r.streaming_content))}
with override_settings(ROOT_URLCONF=urls.__name__):
    r = client.get("/boom/")
out["error"] = {"status": r.status_code, "body": r.content.decode()}
print(json.dumps(out))
"""


def _env(tmp: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    return {**env, "DJANGO_SETTINGS_MODULE": "portal.settings.embedded",
            "SQLITE_PATH": str(tmp / "jiayuan.sqlite3"), "MEDIA_ROOT": str(tmp / "media"),
            "STATIC_ROOT": str(tmp / "static"), "SECRET_KEY_FILE": str(tmp / "secret_key")}


def _run(tmp: Path, *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, *args], cwd=ROOT, env=_env(tmp),
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    """A fresh installation's var/: collectstatic done as scripts/run does it."""
    tmp = tmp_path_factory.mktemp("embedded")
    _run(tmp, "manage.py", "collectstatic", "--noinput", "-v0")
    done = _run(tmp, "-c", PROBE)
    return tmp, json.loads(done.stdout.strip().splitlines()[-1]), done.stderr


def test_debug_is_off_and_the_secret_key_is_made_once_and_kept(embedded):
    tmp, seen, _ = embedded
    assert seen["debug"] is False
    key_file = tmp / "secret_key"
    assert seen["secret_key"] == key_file.read_text().strip()
    assert len(seen["secret_key"]) >= 50 and "insecure" not in seen["secret_key"]
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    # Only this machine unless told, and never a wildcard Origin for sockets.
    assert seen["allowed_hosts"] == ["localhost", "127.0.0.1", "[::1]"]
    assert "*" not in seen["ws_origins"]
    # Django's deployment check: no word about DEBUG or a weak SECRET_KEY (the
    # HTTPS ones remain: the embedded default has no TLS of its own). The key
    # is still the one made above.
    check = _run(tmp, "manage.py", "check", "--deploy")
    report = check.stdout + check.stderr
    assert "security.W018" not in report and "security.W009" not in report, report
    assert key_file.read_text().strip() == seen["secret_key"]


def test_static_files_are_hashed_compressed_and_cached_a_year(embedded):
    tmp, seen, _ = embedded
    assert re.fullmatch(r"/static/portal/site\.[0-9a-f]{12}\.css", seen["css"]), seen["css"]
    hashed = tmp / "static" / seen["css"].removeprefix("/static/")
    assert hashed.with_name(hashed.name + ".br").exists()
    assert hashed.with_name(hashed.name + ".gz").exists()
    plain = seen["static_plain"]
    for encoding in ("br", "gzip"):
        served = seen[f"static_{encoding}"]
        assert served["status"] == 200 and served["encoding"] == encoding, served
        assert served["length"] < plain["length"]
    for served in (seen["static_br"], seen["static_gzip"], plain):
        assert "max-age=31536000" in served["cache"] and "immutable" in served["cache"], served


def test_a_failure_shows_the_friendly_page_and_no_traceback(embedded):
    _, seen, stderr = embedded
    error = seen["error"]
    assert error["status"] == 500
    assert "系统出错了" in error["body"] and "回到首页" in error["body"]
    assert "Traceback" not in error["body"] and "kaboom" not in error["body"]
    # The operator reads it on the console.
    assert "kaboom: a detail only the operator should read" in stderr
