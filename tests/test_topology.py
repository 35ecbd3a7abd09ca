"""The production topology, brought up by ``scripts/prod-up`` and used through nginx.

nginx (loopback) → two Daphne processes → PostgreSQL + Redis, with the ticker
and the django-tasks database worker, ``portal.settings.production``. The
flows a resident and the staff use go through nginx: pages, static files
served by nginx itself, an upload (and nginx's body-size limit), the uploaded
file served back by nginx, WebSockets upgraded by nginx to the Channels app,
and a live message that crosses from one Daphne process to the other through
the Redis channel layer.

Slow (a fresh PostgreSQL database is migrated: a minute or two), so it is one
module-scoped topology for every test here. ``TOPOLOGY_KEEP_DB=1`` keeps the
database between runs (faster reruns); by default it is dropped.
``TOPOLOGY_REUSE=1`` uses a topology already started with the same knobs.
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import shutil
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.needs import missing

pytestmark = pytest.mark.topology

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
PROD_DIR = ROOT / "var" / "topology"
PORT = int(os.environ.get("TOPOLOGY_PORT", "18080"))
ASGI_PORTS = (PORT + 21, PORT + 22)
HTTP_PORTS = (PORT + 31, PORT + 32)  # the WSGI processes, where prod-up serves pages by WSGI
TOPOLOGY_ENV = {
    "PROD_DIR": str(PROD_DIR),
    "PROD_ENV": str(PROD_DIR / "prod.env"),
    "PROD_PORT": str(PORT),
    "ASGI_PORTS": ",".join(str(p) for p in ASGI_PORTS),
    "HTTP_PORTS": ",".join(str(p) for p in HTTP_PORTS),
    "PROD_DB": "jiayuan_topology",
    "PROD_REDIS_DB": "3",
}


def _needs() -> str | None:
    if not shutil.which("pg_ctlcluster") and os.geteuid() != 0:
        return "PostgreSQL is not installed and we may not install it"
    if os.geteuid() != 0 and not shutil.which("nginx") and not Path("/usr/sbin/nginx").exists():
        return "nginx is not installed and we may not install it"
    return None


def _script_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))}
    env.update(TOPOLOGY_ENV)
    return env


def _prod_env() -> dict[str, str]:
    values = {}
    for line in (PROD_DIR / "prod.env").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            values[key] = value
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))}
    env.update(values)
    return env


def page_ports() -> tuple[int, ...]:
    """The ports of the processes serving the pages: WSGI ones or the ASGI ones."""
    wsgi = _prod_env().get("HTTP_SERVER", "asgi") != "asgi"
    return HTTP_PORTS if wsgi else ASGI_PORTS


def manage(*args: str, timeout: int = 120) -> str:
    """Run a management command against the topology's database and settings."""
    done = subprocess.run(
        [PY, "manage.py", *args], cwd=ROOT, env=_prod_env(), capture_output=True, text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def shell(code: str) -> str:
    return manage("shell", "--no-imports", "-c", code).strip()


@pytest.fixture(scope="module")
def topology():
    reason = _needs()
    if reason:
        # On a developer's machine without nginx/PostgreSQL/Redis the topology cannot
        # start; in CI (scripts/test installs them) a missing piece is a failure.
        missing(reason)
    if os.environ.get("TOPOLOGY_REUSE") == "1":  # developing the tests: keep one running
        yield f"http://127.0.0.1:{PORT}"
        return
    env = _script_env()
    subprocess.run(["bash", "scripts/prod-down"], cwd=ROOT, env=env, capture_output=True,
                   timeout=60)
    up = subprocess.run(["bash", "scripts/prod-up"], cwd=ROOT, env=env, capture_output=True,
                        text=True, timeout=900)
    try:
        assert up.returncode == 0, up.stderr[-4000:]
        yield f"http://127.0.0.1:{PORT}"
    finally:
        down = ["bash", "scripts/prod-down"]
        if os.environ.get("TOPOLOGY_KEEP_DB") != "1":
            down.append("--drop-db")
        subprocess.run(down, cwd=ROOT, env=env, capture_output=True, timeout=120)


def nginx_log() -> str:
    return (PROD_DIR / "nginx-access.log").read_text(encoding="utf-8", errors="replace")


def make_user(*, staff: bool = False) -> tuple[str, str]:
    """A user and a signed-in session made in the topology's database.

    Returns (phone, session key). Sessions live in the database, so any Daphne
    process accepts the cookie.
    """
    phone = "+86139" + "".join(secrets.choice("0123456789") for _ in range(8))
    code = f"""
from django.contrib.auth import get_user_model, SESSION_KEY, BACKEND_SESSION_KEY, HASH_SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
User = get_user_model()
user = User.objects.create_user(username={phone!r}, phone={phone!r}, password=None,
                                is_staff={staff}, is_superuser={staff})
s = SessionStore()
s[SESSION_KEY] = str(user.pk)
s[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
s[HASH_SESSION_KEY] = user.get_session_auth_hash()
s.create()
print(s.session_key)
"""
    key = shell(code).splitlines()[-1]
    return phone, key


def session_for(key: str) -> requests.Session:
    http = requests.Session()
    http.cookies.set("sessionid", key, domain="127.0.0.1", path="/")
    return http


# --- A minimal WebSocket client (RFC 6455), so the test needs no extra package.


class WebSocket:
    def __init__(self, host: str, port: int, path: str, *, cookie: str = "",
                 origin: str = "", timeout: float = 10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        key = base64.b64encode(secrets.token_bytes(16)).decode()
        headers = [
            f"GET {path} HTTP/1.1",
            f"Host: {host}:{port}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
            f"Origin: {origin or f'http://{host}:{port}'}",
        ]
        if cookie:
            headers.append(f"Cookie: {cookie}")
        self.sock.sendall(("\r\n".join(headers) + "\r\n\r\n").encode())
        response = b""
        while b"\r\n\r\n" not in response:
            chunk = self.sock.recv(4096)
            if not chunk:
                break
            response += chunk
        head, _, self.buffer = response.partition(b"\r\n\r\n")
        self.status_line = head.split(b"\r\n", 1)[0].decode()
        self.headers = head.decode(errors="replace")
        self.status = int(self.status_line.split()[1]) if self.status_line else 0

    def send(self, data: dict) -> None:
        payload = json.dumps(data).encode()
        mask = secrets.token_bytes(4)
        head = bytes([0x81])
        if len(payload) < 126:
            head += bytes([0x80 | len(payload)])
        elif len(payload) < 65536:
            head += bytes([0x80 | 126]) + struct.pack("!H", len(payload))
        else:
            head += bytes([0x80 | 127]) + struct.pack("!Q", len(payload))
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(head + mask + masked)

    def _read(self, n: int) -> bytes:
        while len(self.buffer) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buffer += chunk
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def receive(self, timeout: float = 10.0) -> dict | None:
        """The next text frame as JSON; None when the server closed."""
        self.sock.settimeout(timeout)
        while True:
            first, second = self._read(2)
            opcode, length = first & 0x0F, second & 0x7F
            if length == 126:
                length = struct.unpack("!H", self._read(2))[0]
            elif length == 127:
                length = struct.unpack("!Q", self._read(8))[0]
            payload = self._read(length)
            if opcode == 0x8:
                return None
            if opcode == 0x9:  # ping: answer, keep reading
                mask = secrets.token_bytes(4)
                self.sock.sendall(bytes([0x8A, 0x80 | len(payload)]) + mask
                                  + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))
                continue
            if opcode == 0x1:
                return json.loads(payload.decode())

    def receive_until(self, predicate, timeout: float = 10.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = self.receive(timeout=max(0.1, deadline - time.monotonic()))
            if message is None:
                raise AssertionError("the server closed the WebSocket")
            if predicate(message):
                return message
        raise AssertionError("no matching message in time")

    def close(self) -> None:
        try:
            mask = secrets.token_bytes(4)
            self.sock.sendall(bytes([0x88, 0x80 | 2]) + mask
                              + bytes(b ^ mask[i % 4] for i, b in enumerate(b"\x03\xe8")))
        except OSError:
            pass
        self.sock.close()


# --- Settings ---------------------------------------------------------------


def test_check_deploy_reports_nothing():
    """With production settings as on a real HTTPS server, check --deploy is silent."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SECURE_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="jiayuan.example.cn",
    )
    done = subprocess.run(
        [PY, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


def test_nginx_config_renders_for_a_real_server(tmp_path):
    """The template renders with TLS and passes ``nginx -t`` (against a throwaway cert)."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    openssl = shutil.which("openssl")
    if not Path(nginx).exists() or not openssl:
        missing("nginx or openssl")
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
         "/CN=jiayuan.example.cn", "-keyout", str(tmp_path / "k.pem"),
         "-out", str(tmp_path / "c.pem")],
        check=True, capture_output=True, timeout=60,
    )
    site = subprocess.run(
        ["python3", "deploy/render_nginx.py", "--ports", "8101,8102",
         "--server-name", "jiayuan.example.cn", "--listen", "127.0.0.1:18443",
         "--tls-cert", str(tmp_path / "c.pem"), "--tls-key", str(tmp_path / "k.pem"),
         "--static-root", "/srv/jiayuan/var/static", "--media-root", "/srv/jiayuan/var/media"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout
    assert "client_max_body_size 25m" in site
    assert "proxy_set_header Upgrade $http_upgrade" in site
    assert "X-Forwarded-Proto https" in site
    # Uploads only after Django's check: /media/ is proxied, the files' own
    # location is internal.
    protected = site.split("location /protected-media/", 1)[1].split("}", 1)[0]
    assert "internal;" in protected and "alias /srv/jiayuan/var/media/;" in protected
    assert "proxy_pass" in site.split("location /media/", 1)[1].split("}", 1)[0]
    (tmp_path / "jiayuan.conf").write_text(site)
    (tmp_path / "nginx-tmp").mkdir()
    conf = (ROOT / "deploy/nginx/nginx-local.conf.in").read_text()
    conf = conf.replace("@RUN_DIR@", str(tmp_path)).replace("@USER@", "")
    (tmp_path / "nginx.conf").write_text(conf)
    done = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-e", str(tmp_path / "e.log"),
         "-c", str(tmp_path / "nginx.conf")],
        capture_output=True, text=True, timeout=30,
    )
    assert done.returncode == 0, done.stderr


def test_pages_and_websockets_may_go_to_processes_of_their_own():
    """With the pages served by WSGI processes, /ws/ still reaches the ASGI ones."""
    sys.path.insert(0, str(ROOT / "deploy"))
    try:
        from render_nginx import render
    finally:
        sys.path.remove(str(ROOT / "deploy"))
    site = render(ports=[8201, 8202], ws_ports=[8101], server_name="_", listen=None,
                  static_root="/s", media_root="/m")
    pages = site.split("upstream jiayuan_asgi {", 1)[1].split("}", 1)[0]
    sockets = site.split("upstream jiayuan_ws {", 1)[1].split("}", 1)[0]
    assert "127.0.0.1:8201" in pages and "127.0.0.1:8202" in pages and ":8101" not in pages
    assert "127.0.0.1:8101" in sockets and ":820" not in sockets
    assert "proxy_pass http://jiayuan_ws;" in site.split("location /ws/", 1)[1].split("}", 1)[0]
    same = render(ports=[8101, 8102], server_name="_", listen=None, static_root="/s",
                  media_root="/m")
    assert "127.0.0.1:8102" in same.split("upstream jiayuan_ws {", 1)[1].split("}", 1)[0]


def test_systemd_units_run_what_prod_up_runs():
    units = ROOT / "deploy" / "systemd"
    asgi = (units / "jiayuan-asgi@.service").read_text()
    assert "manage.py serve --no-ticker --host 127.0.0.1 --port %i" in asgi
    pages = (units / "jiayuan-http@.service").read_text()
    assert "manage.py serve --server granian-wsgi --no-ticker --host 127.0.0.1 --port %i" in pages
    prod_up = (ROOT / "scripts" / "prod-up").read_text()
    assert "HTTP_SERVER=${HTTP_SERVER:-granian-wsgi}" in prod_up
    assert 'serve --server "$HTTP_SERVER" --no-ticker' in prod_up
    target = (units / "jiayuan.target").read_text()
    assert "jiayuan-http@8201.service" in target and "jiayuan-asgi@8101.service" in target
    assert "manage.py ticker" in (units / "jiayuan-ticker.service").read_text()
    assert "manage.py db_worker" in (units / "jiayuan-worker.service").read_text()
    example = (ROOT / "deploy" / "jiayuan.env.example").read_text()
    assert "DJANGO_SETTINGS_MODULE=portal.settings.production" in example
    assert "TASKS_BACKEND=django_tasks_db.DatabaseBackend" in example


# --- Through nginx ------------------------------------------------------------


def test_home_page_and_static_files(topology):
    home = requests.get(topology + "/", timeout=10)
    assert home.status_code == 200
    assert home.headers["Server"] == "nginx"  # no version
    assert "text/html" in home.headers["Content-Type"]
    css = re.search(r'/static/[^"]+\.css', home.text)
    assert css, "the page links its stylesheet"
    static = requests.get(topology + css.group(0), headers={"Accept-Encoding": "gzip"},
                          timeout=10)
    assert static.status_code == 200
    assert "immutable" in static.headers["Cache-Control"]
    assert static.headers.get("Content-Encoding") == "gzip"  # WhiteNoise's .gz, sent by nginx
    # nginx served it from disk: no server process saw the request.
    for log in [*(PROD_DIR / "logs").glob("asgi-*.log"), *(PROD_DIR / "logs").glob("http-*.log")]:
        assert css.group(0) not in log.read_text(errors="replace")


def test_requests_are_shared_by_both_page_processes(topology):
    with requests.Session() as http:
        for i in range(12):
            assert http.get(f"{topology}/healthz?n={i}", timeout=10).text == "ok"
    lines = [x for x in nginx_log().splitlines() if "/healthz?n=" in x]
    used = {re.search(r"upstream=(\S+)", x).group(1) for x in lines}
    assert used >= {f"127.0.0.1:{p}" for p in page_ports()}, used


def test_signed_in_resident_sees_their_page(topology):
    phone, key = make_user()
    http = session_for(key)
    me = http.get(topology + "/me/", timeout=10, allow_redirects=False)
    assert me.status_code == 200, me.status_code
    anonymous = requests.get(topology + "/me/", timeout=10, allow_redirects=False)
    assert anonymous.status_code == 302


def test_password_sign_in_through_nginx(topology):
    """The allauth sign-in form, CSRF and all, through nginx."""
    phone = "+86137" + "".join(secrets.choice("0123456789") for _ in range(8))
    password = "Lc-" + secrets.token_urlsafe(12)
    shell(
        "from django.contrib.auth import get_user_model\n"
        f"u = get_user_model().objects.create_user(username={phone!r}, phone={phone!r},"
        " phone_verified=True)\n"
        f"u.set_password({password!r}); u.save()\n"
    )
    http = requests.Session()
    form = http.get(topology + "/accounts/login/", timeout=10)
    assert form.status_code == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    fields = set(re.findall(r'name="([a-z_]+)"', form.text))
    data = {"csrfmiddlewaretoken": token, "password": password}
    data["login" if "login" in fields else "phone"] = phone
    done = http.post(topology + "/accounts/login/", data=data, timeout=10,
                     headers={"Referer": topology + "/accounts/login/"}, allow_redirects=False)
    assert done.status_code == 302, done.text[:2000]
    assert "code" not in done.headers["Location"], done.headers["Location"]
    assert http.get(topology + "/me/", timeout=10, allow_redirects=False).status_code == 200


def test_upload_then_nginx_serves_the_file_and_limits_the_body(topology):
    """An image uploaded through nginx to Django lands in MEDIA_ROOT and comes back from nginx."""
    from io import BytesIO

    from PIL import Image

    _, key = make_user(staff=True)
    http = session_for(key)
    form = http.get(topology + "/admin/images/add/", timeout=20)
    assert form.status_code == 200, form.status_code
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    buffer = BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, "PNG")
    title = "topology-" + secrets.token_hex(4)
    done = http.post(
        topology + "/admin/images/add/",
        data={"csrfmiddlewaretoken": token, "title": title},
        files={"file": ("leak.png", buffer.getvalue(), "image/png")},
        timeout=30, allow_redirects=False,
    )
    assert done.status_code == 302, done.text[:2000]
    url = shell(
        "from wagtail.images.models import Image\n"
        f"print(Image.objects.get(title={title!r}).file.url)"
    )
    assert url.startswith("/media/")
    # Wagtail's images are public: anyone gets them, Django having said so.
    served = requests.get(topology + url, timeout=10)
    assert served.status_code == 200
    assert served.content == buffer.getvalue()
    assert served.headers["Cache-Control"].startswith("public")
    line = [x for x in nginx_log().splitlines() if url in x][-1]
    assert re.search(r"upstream=127\.0\.0\.1:\d+", line), line  # asked Django first
    # A body over client_max_body_size (25 MB) is refused by nginx with 413.
    big = http.post(topology + "/admin/images/add/", data=b"x" * (26 * 1024 * 1024),
                    headers={"Content-Type": "application/octet-stream"}, timeout=30)
    assert big.status_code == 413


# --- The main flows: a report with a photo, a notice, a chat across processes --

WORLD = """
import json
from django.contrib.auth import SESSION_KEY, BACKEND_SESSION_KEY, HASH_SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from buildings.tests import factories as f
from buildings.models import Community

def session(user):
    s = SessionStore()
    s[SESSION_KEY] = str(user.pk)
    s[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    s[HASH_SESSION_KEY] = user.get_session_auth_hash()
    s.create()
    return s.session_key

community = Community.objects.order_by("pk").first() or f.CommunityFactory(name="拓扑社区")
tag = "%(tag)s"
grid = f.make_grid(code="T" + tag, name="拓扑网格" + tag)
building = f.BuildingFactory(community=community, grid=grid, number=900 + int(tag[:2], 16))
unit = f.UnitFactory(building=building, number=1)
household = f.HouseholdFactory(unit=unit, number="101", floor=1)
def person(role):
    import secrets
    digits = "".join(secrets.choice("0123456789") for _ in range(8))
    return f.UserFactory(username=f"topo-{role}-{tag}", phone=f"+86135{digits}")

resident = f.resident_of(household, person("resident"))
staff = f.liaison(community, person("staff"))
out = {"resident": session(resident), "resident_id": resident.pk,
       "staff": session(staff), "staff_id": staff.pk}
try:
    from community.demo import load as load_categories
    load_categories()
except Exception as exc:
    out["categories_error"] = repr(exc)
try:
    from notices.demo import load as load_notices
    load_notices()
except Exception as exc:
    out["notices_error"] = repr(exc)
try:
    from community.liaison import services as chat
    chat.staff_set_duty(staff=staff, on=True)
    conversation, _ = chat.conversation_open(resident=resident)
    chat.message_post(conversation=conversation, sender=resident, body="电梯不动了",
                      client_key="first")
    chat.conversation_pick_up(conversation=conversation, staff=staff)
    out["conversation"] = conversation.pk
except Exception as exc:
    out["chat_error"] = repr(exc)
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def people(topology):
    """A resident with a verified household and a liaison staff member on duty."""
    return json.loads(shell(WORLD % {"tag": secrets.token_hex(3)}).splitlines()[-1])


REPORTED: dict[str, str] = {}  # what the report below made, for the tests after it


def test_resident_reports_a_case_with_a_photo(topology, people):
    from io import BytesIO

    from PIL import Image

    http = session_for(people["resident"])
    form = http.get(topology + "/cases/new/", timeout=20)
    assert form.status_code == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    category = re.search(r'name="category" value="([^"]+)"', form.text).group(1)
    where = re.search(r'<option value="([^"]+)"[^>]*>', form.text.split('name="where"', 1)[1])
    where = where.group(1) if where and where.group(1) else re.findall(
        r'<option value="([^"]+)"', form.text)[0]
    buffer = BytesIO()
    Image.new("RGB", (800, 600), (40, 90, 160)).save(buffer, "JPEG", quality=85)
    done = http.post(
        topology + "/cases/new/",
        data={"csrfmiddlewaretoken": token, "category": category, "where": where,
              "description": "拓扑测试：楼道灯坏了", "client_key": secrets.token_hex(8)},
        files={"photos": ("light.jpg", buffer.getvalue(), "image/jpeg")},
        headers={"Referer": topology + "/cases/new/"}, timeout=60, allow_redirects=False,
    )
    assert done.status_code in (302, 303), done.text[:2000]
    facts = json.loads(shell(
        "import json\nfrom community.models import Case\nfrom django.conf import settings\n"
        f"case = Case.objects.filter(reporter_id={people['resident_id']}).latest('pk')\n"
        "photo = case.photos.first()\n"
        "print(json.dumps({'pk': case.pk, 'photo': photo.image.name if photo else '',"
        " 'exists': bool(photo) and photo.image.storage.exists(photo.image.name),"
        " 'media': str(settings.MEDIA_ROOT)}))"
    ).splitlines()[-1])
    assert facts["photo"] and facts["exists"], facts
    REPORTED["photo"] = facts["photo"]
    assert facts["media"] == str(PROD_DIR.resolve() / "media")
    # The resident follows the case through nginx.
    page = http.get(f"{topology}/cases/{facts['pk']}/", timeout=20)
    assert page.status_code == 200
    assert "楼道灯坏了" in page.text


def test_a_private_photo_is_sent_by_nginx_to_its_owner_only(topology, people):
    """A case photo through nginx: Django checks, nginx sends (X-Accel-Redirect);
    another person with the exact URL gets a 404, as does anyone asking nginx's
    internal location directly."""
    name = REPORTED.get("photo")
    assert name, "test_resident_reports_a_case_with_a_photo made one"
    url = "/media/" + name
    on_disk = (PROD_DIR / "media" / name).read_bytes()
    owner = session_for(people["resident"]).get(topology + url, timeout=10)
    assert owner.status_code == 200
    assert owner.content == on_disk
    assert owner.headers["Content-Type"] == "image/jpeg"
    assert owner.headers["Cache-Control"].startswith("private")
    assert owner.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in owner.headers["Content-Security-Policy"]
    assert "ETag" in owner.headers  # nginx's, from the file: nginx sent the bytes
    part = session_for(people["resident"]).get(topology + url, timeout=10,
                                               headers={"Range": "bytes=0-9"})
    assert part.status_code == 206 and part.content == on_disk[:10]
    _, other_key = make_user()
    for http in (session_for(other_key), requests.Session()):
        refused = http.get(topology + url, timeout=10)
        assert refused.status_code == 404, refused.status_code
        assert refused.content != on_disk
    assert requests.get(topology + "/protected-media/" + name, timeout=10).status_code == 404
    lines = [x for x in nginx_log().splitlines() if url in x]
    assert all(re.search(r"upstream=127\.0\.0\.1:\d+", x) for x in lines), lines


def test_resident_reads_a_notice(topology, people):
    assert "notices_error" not in people, people.get("notices_error")
    http = session_for(people["resident"])
    index = http.get(topology + "/notices/", timeout=20)
    assert index.status_code == 200
    assert "防诈骗" in index.text
    link = re.search(r'href="(/notices/\d+/)"', index.text) or re.search(
        r'href="([^"]*anti-fraud[^"]*)"', index.text)
    assert link, "the list links its notices"
    page = http.get(topology + link.group(1), timeout=20)
    assert page.status_code == 200


def test_chat_message_crosses_from_one_daphne_process_to_the_other(topology, people):
    """The resident's socket goes through nginx; the staff member is connected to
    BOTH Daphne processes directly, so one of the two sockets is on the other
    process than the resident's: the message reaches it only through Redis."""
    assert "conversation" in people, people.get("chat_error")
    chat = f"/ws/chat/{people['conversation']}/"
    origin = f"http://127.0.0.1:{PORT}"
    resident = WebSocket("127.0.0.1", PORT, chat, cookie=f"sessionid={people['resident']}",
                         origin=origin)
    assert resident.status == 101, resident.headers  # nginx upgraded it to Channels
    staff = []
    try:
        for port in ASGI_PORTS:
            ws = WebSocket("127.0.0.1", port, chat, cookie=f"sessionid={people['staff']}",
                           origin=f"http://127.0.0.1:{port}")
            assert ws.status == 101, ws.headers
            staff.append(ws)
        resident.send({"type": "hello", "last_seq": 0})
        resident.receive_until(lambda m: m.get("type") == "state")
        for ws in staff:
            ws.send({"type": "hello", "last_seq": 0})
            ws.receive_until(lambda m: m.get("type") == "state")
        resident.send({"type": "send", "client_key": secrets.token_hex(6),
                       "body": "跨进程：经过nginx"})
        resident.receive_until(lambda m: m.get("type") == "ack")
        for ws in staff:
            got = ws.receive_until(lambda m: m.get("type") == "message"
                                   and m["message"]["body"] == "跨进程：经过nginx")
            assert got["message"]["role"] == "resident"
        staff[1].send({"type": "send", "client_key": secrets.token_hex(6), "body": "马上到"})
        reply = resident.receive_until(lambda m: m.get("type") == "message"
                                       and m["message"]["body"] == "马上到")
        assert reply["message"]["role"] == "staff"
    finally:
        for ws in [resident, *staff]:
            ws.close()


def test_signing_out_on_a_page_closes_the_socket_of_that_session(topology, people):
    """A page's process tells a socket's process through Redis: signing out
    through nginx (served by whichever processes serve the pages) closes the
    chat socket opened with that session, on an ASGI process."""
    key = shell(
        "from django.contrib.auth import get_user_model, SESSION_KEY, BACKEND_SESSION_KEY,"
        " HASH_SESSION_KEY\n"
        "from django.contrib.sessions.backends.db import SessionStore\n"
        f"user = get_user_model().objects.get(pk={people['resident_id']})\n"
        "s = SessionStore()\n"
        "s[SESSION_KEY] = str(user.pk)\n"
        "s[BACKEND_SESSION_KEY] = 'django.contrib.auth.backends.ModelBackend'\n"
        "s[HASH_SESSION_KEY] = user.get_session_auth_hash()\n"
        "s.create()\n"
        "print(s.session_key)"
    ).splitlines()[-1]
    assert "conversation" in people, people.get("chat_error")
    ws = WebSocket("127.0.0.1", PORT, f"/ws/chat/{people['conversation']}/",
                   cookie=f"sessionid={key}", origin=f"http://127.0.0.1:{PORT}")
    try:
        assert ws.status == 101, ws.headers
        ws.send({"type": "hello", "last_seq": 0})
        ws.receive_until(lambda m: m.get("type") == "state")
        http = session_for(key)
        me = http.get(topology + "/me/", timeout=20)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', me.text).group(1)
        out = http.post(topology + "/accounts/logout/", data={"csrfmiddlewaretoken": token},
                        headers={"Referer": topology + "/me/"}, timeout=20,
                        allow_redirects=False)
        assert out.status_code in (302, 303), out.text[:1000]
        closed = False
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not closed:
            try:
                closed = ws.receive(timeout=max(0.1, deadline - time.monotonic())) is None
            except TimeoutError:  # nothing yet
                continue
            except OSError:  # reset: closed without a close frame
                closed = True
        assert closed, "the socket of the signed-out session stayed open"
    finally:
        ws.close()
    # The resident's other session is untouched.
    assert session_for(people["resident"]).get(
        topology + "/me/", timeout=20, allow_redirects=False).status_code == 200


def test_websocket_from_a_foreign_origin_is_refused(topology, people):
    ws = WebSocket("127.0.0.1", PORT, f"/ws/chat/{people.get('conversation', 1)}/",
                   cookie=f"sessionid={people['resident']}", origin="http://evil.example")
    try:
        assert ws.status == 403
    finally:
        ws.close()


def test_hotline_platform_submits_and_polls_through_nginx(topology, people):
    """Open311: a platform key, a case posted through nginx, then polled back."""
    raw = shell(
        "from community.open311.services import api_key_issue\n"
        "from community.demo import load\n"
        "load()\n"
        "key, raw = api_key_issue(actor=None, platform='罗城12345')\n"
        "print(raw)"
    ).splitlines()[-1]
    services = requests.get(topology + "/open311/v2/services.json", timeout=20)
    assert services.status_code == 200
    code = services.json()[0]["service_code"]
    definition = requests.get(f"{topology}/open311/v2/services/{code}.xml", timeout=20)
    assert definition.status_code == 200 and b"<service_definition>" in definition.content
    building = re.search(r"<key>(\d+)</key>", definition.text).group(1)
    posted = requests.post(topology + "/open311/v2/requests.json", data={
        "api_key": raw, "service_code": code, "attribute[building]": building,
        "description": "12345转来：楼下路灯不亮", "phone": "13900009999",
        "attribute[ticket_no]": "LC" + secrets.token_hex(4)}, timeout=30)
    assert posted.status_code == 201, posted.text
    rid = posted.json()[0]["service_request_id"]
    polled = requests.get(f"{topology}/open311/v2/requests/{rid}.json",
                          params={"api_key": raw}, timeout=20)
    assert polled.status_code == 200
    assert polled.json()[0]["status"] == "open"
    assert polled.json()[0]["requested_datetime"].endswith("+08:00")
    assert requests.get(topology + "/api/openapi.json", timeout=20).json()["openapi"]
