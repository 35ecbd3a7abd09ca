"""Faults on the production topology: Redis killed under live sockets, an ASGI
process killed under residents' uploads, a backup taken while residents write.

The same topology as ``tests/test_topology.py`` (``scripts/prod-up``: nginx, two
ASGI processes, PostgreSQL, the ticker and the worker), with a Redis of its OWN
that this module starts and kills (``TOPOLOGY_REDIS_PORT``, 6391 by default):
the Redis on 6390 is shared by everyone's tests and is never touched here. The
topology has its own folder (var/topology-faults) and database
(``TOPOLOGY_FAULTS_DB``), so it never meets ``test_topology.py``'s.

Run with ``-s`` to see the figures (messages lost, sockets not recovered, 5xx
during the outage, cases lost or duplicated, orphaned files swept).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import subprocess
import tarfile
import threading
import time
import uuid
from io import BytesIO
from pathlib import Path

import pytest
import requests

from tests.needs import missing
from tests.test_topology import WORLD, WebSocket, _needs

pytestmark = pytest.mark.topology

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
PROD_DIR = ROOT / "var" / "topology-faults"
PORT = int(os.environ.get("TOPOLOGY_PORT", "18080"))
ASGI_PORTS = (PORT + 21, PORT + 22)
HTTP_PORTS = (PORT + 31, PORT + 32)  # the processes serving the pages (WSGI, prod-up's default)
REDIS_PORT = int(os.environ.get("TOPOLOGY_REDIS_PORT", "6391"))
DB = os.environ.get("TOPOLOGY_FAULTS_DB", "jiayuan_topology_faults")
TOPOLOGY_ENV = {
    "PROD_DIR": str(PROD_DIR),
    "PROD_ENV": str(PROD_DIR / "prod.env"),
    "PROD_PORT": str(PORT),
    "ASGI_PORTS": ",".join(str(p) for p in ASGI_PORTS),
    "HTTP_PORTS": ",".join(str(p) for p in HTTP_PORTS),
    "PROD_DB": DB,
    "PROD_REDIS_DB": "0",
    "REDIS_PORT": str(REDIS_PORT),
}


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))}


def _prod_env() -> dict[str, str]:
    env = _clean_env()
    for line in (PROD_DIR / "prod.env").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            env[key] = value
    return env


def manage(*args: str, env: dict[str, str] | None = None, timeout: int = 300) -> str:
    done = subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env or _prod_env(),
                          capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done.stdout


def shell(code: str) -> str:
    return manage("shell", "--no-imports", "-c", code).strip()


def session_for(key: str) -> requests.Session:
    http = requests.Session()
    http.cookies.set("sessionid", key, domain="127.0.0.1", path="/")
    return http


def with_csrf(session: requests.Session, source: requests.Session) -> requests.Session:
    """``session`` with only the CSRF cookie of ``source`` (whose form token it will send).
    Copying all of ``source``'s cookies would also copy its sessionid, set by the server,
    which the cookie jar keeps beside ours: the posts would then be made as ``source``."""
    session.cookies.set("csrftoken", source.cookies.get("csrftoken"), domain="127.0.0.1",
                        path="/")
    return session


class OwnRedis:
    """A Redis process this module started, on a port nobody else uses."""

    def __init__(self, port: int):
        self.port = port
        self.proc: subprocess.Popen | None = None

    def answers(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(port=self.port, socket_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            if self.answers():
                return
            time.sleep(0.05)
        raise AssertionError(f"redis-server on {self.port} did not start")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()  # -9: no save, no goodbye
            self.proc.wait(10)


@pytest.fixture(scope="module")
def redis_server():
    if not any((Path(d) / "redis-server").exists() for d in os.environ["PATH"].split(":")):
        missing("redis-server")
    server = OwnRedis(REDIS_PORT)
    if server.answers():
        # Someone else's Redis: this module kills its Redis, so it must be its own.
        pytest.fail(f"a Redis already answers on {REDIS_PORT}; set TOPOLOGY_REDIS_PORT "
                    "to a free port (never one that others use)")
    server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture(scope="module")
def topology(redis_server):
    reason = _needs()
    if reason:
        missing(reason)
    env = {**_clean_env(), **TOPOLOGY_ENV}
    subprocess.run(["bash", "scripts/prod-down"], cwd=ROOT, env=env, capture_output=True,
                   timeout=60)
    up = subprocess.run(["bash", "scripts/prod-up"], cwd=ROOT, env=env, capture_output=True,
                        text=True, timeout=1200)
    try:
        assert up.returncode == 0, up.stderr[-4000:]
        assert f"REDIS_URL=redis://127.0.0.1:{REDIS_PORT}/" in (
            PROD_DIR / "prod.env").read_text()
        yield f"http://127.0.0.1:{PORT}"
    finally:
        down = ["bash", "scripts/prod-down"]
        if os.environ.get("TOPOLOGY_KEEP_DB") != "1":
            down.append("--drop-db")
        subprocess.run(down, cwd=ROOT, env=env, capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def people(topology):
    out = json.loads(shell(WORLD % {"tag": secrets.token_hex(3)}).splitlines()[-1])
    assert "conversation" in out, out.get("chat_error")
    assert "categories_error" not in out, out["categories_error"]
    return out


NEIGHBOURS = """
import json
from django.contrib.auth import SESSION_KEY, BACKEND_SESSION_KEY, HASH_SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from buildings.tests import factories as f
from buildings.models import Residency
household = Residency.objects.filter(user_id=%(resident)d).first().household
out = []
for i in range(%(n)d):
    person = f.resident_of(household, f.UserFactory(username=f"topo-n{i}-%(tag)s",
                                                    phone=f"+86136%(tag)s{i:02d}"))
    s = SessionStore()
    s[SESSION_KEY] = str(person.pk)
    s[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    s[HASH_SESSION_KEY] = person.get_session_auth_hash()
    s.create()
    out.append([person.pk, s.session_key])
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def neighbours(people):
    """Sixteen more residents of the same flat: reports are limited per person
    (five a minute), and the faults need many reports at once, as many people send."""
    tag = "".join(secrets.choice("0123456789") for _ in range(6))
    return json.loads(shell(NEIGHBOURS % {"resident": people["resident_id"], "n": 16,
                                          "tag": tag}).splitlines()[-1])


class Poller(threading.Thread):
    """Pages opened one after another while something breaks: every status kept."""

    PAGES = ("/", "/healthz", "/me/", "/notices/", "/cases/new/", "/cases/")

    def __init__(self, base: str, session_key: str):
        super().__init__(daemon=True)
        self.base, self.http = base, session_for(session_key)
        self.statuses: list[tuple[str, int]] = []
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            for page in self.PAGES:
                try:
                    status = self.http.get(self.base + page, timeout=15,
                                           allow_redirects=False).status_code
                except requests.RequestException:
                    status = 599  # no answer at all counts as a failure too
                self.statuses.append((page, status))
            time.sleep(0.1)

    def stop(self) -> list[tuple[str, int]]:
        self.halt.set()
        self.join(30)
        return self.statuses


def _chat_socket(conversation: int, session_key: str) -> WebSocket:
    return WebSocket("127.0.0.1", PORT, f"/ws/chat/{conversation}/",
                     cookie=f"sessionid={session_key}", origin=f"http://127.0.0.1:{PORT}",
                     timeout=20)


def _handshake(conversation: int, session_key: str) -> int:
    """The status a new socket's handshake answers (0: no answer in 20 s)."""
    try:
        ws = _chat_socket(conversation, session_key)
    except OSError:
        return 0
    ws.close()
    return ws.status


OLD_SOCKETS = 3  # per side: six sockets open across the restart, on both ASGI processes
LIVE_WITHIN = 5.0  # seconds after Redis is back: the next message is live on every one


def _processes_in(group: str) -> set[str]:
    """The ASGI processes (channel prefixes) with a member in ``group``."""
    import redis

    members = redis.Redis(port=REDIS_PORT).zrange(f"asgi:group:{group}", 0, -1)
    return {m.decode().split("!", 1)[0] for m in members}


def _shown(ws: WebSocket, body: str, *, live_only: bool) -> dict:
    """Wait until ``body`` is on the socket: as a live ``message`` frame or, unless
    ``live_only``, through the catch-up the server prompts with a ``state`` frame
    (the client then fetches what it lacks, as static/liaison/chat.js does)."""
    deadline = time.monotonic() + LIVE_WITHIN
    while True:
        m = ws.receive_until(lambda m: m.get("type") in ("message", "messages", "state"),
                            timeout=max(0.1, deadline - time.monotonic()))
        if m["type"] == "message" and m["message"]["body"] == body:
            return m["message"]
        if live_only:
            continue
        if m["type"] == "state":
            ws.send({"type": "fetch", "after": max(0, m["state"]["last_seq"] - 3)})
        elif m["type"] == "messages":
            for item in m["items"]:
                if item["body"] == body:
                    return item


def _next_messages_live(old: list[WebSocket], back: float, *,
                        first_may_catch_up: bool = False) -> tuple[float, list[float], int]:
    """Two messages sent at once by the staff member on ``old[1]``; each must reach
    every socket of ``old`` as a live ``message`` frame (a catch-up would not match)
    within LIVE_WITHIN seconds. With ``first_may_catch_up`` the first may also come
    through the catch-up the server prompts: right after a restart at once, a message
    sent before a process has noticed (it looks every WATCH_EVERY second) goes to
    groups Redis has forgotten. Returns when the first was sent and when each socket
    had it (seconds after ``back``), and the last message's number."""
    sent, late, seq = time.monotonic() - back, [], 0
    for n in range(2):
        body = f"Redis重启后{n}：" + secrets.token_hex(3)
        old[1].send({"type": "send", "client_key": secrets.token_hex(6), "body": body})
        for ws in old:
            seq = _shown(ws, body, live_only=not (first_may_catch_up and n == 0))["seq"]
            late.append(time.monotonic() - back)
    return sent, late, seq


def test_redis_killed_and_restarted_under_live_sockets(topology, people, redis_server):
    """(a) Every socket open across a Redis outage, and across a restart at once (a
    crash that a supervisor restarts), gets the next message live within seconds of
    Redis being back, and the one after it too: several sockets, on both ASGI
    processes, through nginx. No page answers 5xx during the outage; no handshake
    answers 500 after."""
    conversation = people["conversation"]
    old = [_chat_socket(conversation, people[who])
           for who in ("resident", "staff") * OLD_SOCKETS]
    assert [ws.status for ws in old] == [101] * len(old), [ws.headers for ws in old]
    poller = Poller(topology, people["resident"])
    handshakes_during, handshakes_after = [], []
    try:
        for ws in old:
            ws.send({"type": "hello", "last_seq": 0})
            ws.receive_until(lambda m: m.get("type") == "state", timeout=20)
        assert len(_processes_in(f"liaison.conv.{conversation}")) == len(ASGI_PORTS)
        poller.start()
        time.sleep(2)  # each process has set its marker (portal.sockets.LayerWatch)
        redis_server.kill()
        time.sleep(2)
        for _ in range(3):
            handshakes_during.append(_handshake(conversation, people["resident"]))
        time.sleep(3)
        redis_server.start()
        back = time.monotonic()
        for _ in range(5):
            handshakes_after.append(_handshake(conversation, people["resident"]))
        # No heartbeat to wait for: the next message, sent now, is live on every socket.
        outage = _next_messages_live(old, back)
        time.sleep(2)
        # A restart at once: most sockets see no failure at all, yet Redis forgot them.
        redis_server.kill()
        redis_server.start()
        restart = _next_messages_live(old, time.monotonic(), first_may_catch_up=True)
        statuses = poller.stop()
    finally:
        poller.halt.set()
        for ws in old:
            ws.close()
    server_errors = [(page, s) for page, s in statuses if s >= 500]
    print(f"\n[redis restart] pages during and after the outage: {len(statuses)}, 5xx: "
          f"{len(server_errors)}; handshakes during: {handshakes_during}, after: "
          f"{handshakes_after}; the next two messages on all {len(old)} old sockets "
          + "; ".join(f"after {what}: sent {sent:.1f} s after Redis was back, on all of them "
                      f"{late[len(old) - 1]:.1f} s after, the second {late[-1]:.1f} s after"
                      for what, (sent, late, _seq) in (("the outage", outage),
                                                        ("the restart", restart))))
    assert len(statuses) >= 12, statuses
    assert server_errors == []
    assert 500 not in handshakes_after and set(handshakes_after) == {101}, handshakes_after
    assert 500 not in handshakes_during, handshakes_during
    last = int(shell(
        "from community.liaison.models import Conversation\n"
        f"print(Conversation.objects.get(pk={conversation}).last_seq)"))
    assert restart[2] == last  # nothing after it was lost either


def _photo(seed: int) -> bytes:
    from PIL import Image

    image = Image.effect_noise((1600, 1200), 60 + seed % 40).convert("RGB")
    buffer = BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def _report_form(http: requests.Session, base: str) -> dict[str, str]:
    form = http.get(base + "/cases/new/", timeout=30)
    assert form.status_code == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    category = re.search(r'name="category" value="([^"]+)"', form.text).group(1)
    where = re.search(r'<option value="([^"]+)"[^>]*>', form.text.split('name="where"', 1)[1])
    where = where.group(1) if where and where.group(1) else re.findall(
        r'<option value="([^"]+)"', form.text)[0]
    return {"csrfmiddlewaretoken": token, "category": category, "where": where}


def _pages_by_wsgi() -> bool:
    return _prod_env().get("HTTP_SERVER", "asgi") != "asgi"


def _page_ports() -> tuple[int, ...]:
    return HTTP_PORTS if _pages_by_wsgi() else ASGI_PORTS


def _server_name(port: int) -> str:
    return f"http-{port}" if port in HTTP_PORTS else f"asgi-{port}"


def _server_pid(port: int) -> int:
    return int((PROD_DIR / "pids" / f"{_server_name(port)}.pid").read_text())


def _start_server(port: int) -> None:
    """Start one server process as scripts/prod-up does (its own session, its pid file)."""
    name = _server_name(port)
    serve = ["--server", _prod_env()["HTTP_SERVER"]] if name.startswith("http-") else []
    log = open(PROD_DIR / "logs" / f"{name}.log", "ab")  # noqa: SIM115 (kept by the child)
    proc = subprocess.Popen(
        [PY, "manage.py", "serve", *serve, "--no-ticker", "--host", "127.0.0.1",
         "--port", str(port)],
        cwd=ROOT, env=_prod_env(), stdout=log, stderr=log, stdin=subprocess.DEVNULL,
        start_new_session=True)
    (PROD_DIR / "pids" / f"{name}.pid").write_text(str(proc.pid))
    for _ in range(240):
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).text == "ok":
                return
        except requests.RequestException:
            pass
        time.sleep(0.25)
    raise AssertionError(f"{name} did not come back")


def _media_facts() -> dict:
    return json.loads(shell(
        "import json\n"
        "from portal.orphans import upload_folders, _walk\n"
        "from django.core.files.storage import default_storage as s\n"
        "folders = upload_folders()\n"
        "referenced = set().union(*folders.values())\n"
        "on_disk = [n for f in folders for n in _walk(s, f)]\n"
        "print(json.dumps({'orphans': sorted(n for n in on_disk if n not in referenced),"
        " 'referenced_missing': sorted(n for n in referenced if not s.exists(n)),"
        " 'files': len(on_disk)}))").splitlines()[-1])


def test_a_page_process_killed_under_uploads_loses_and_duplicates_nothing(
        topology, people, neighbours):
    """(b) kill -9 one process serving the pages while residents post reports with photos (an
    idempotency key each, 502s retried), start it again: every report is stored
    exactly once, and the files of the killed requests are found by the sweep."""
    http = session_for(people["resident"])
    fields = _report_form(http, topology)
    reporters = neighbours[:8]
    keys = [str(uuid.uuid4()) for _ in range(24)]  # the phone's keys are UUIDs
    photos = [_photo(i) for i in range(3)]
    attempts: dict[str, list[int]] = {key: [] for key in keys}
    unexpected: list[tuple[str, int]] = []

    def post_all(mine: list[str], session_key: str) -> None:
        session = with_csrf(session_for(session_key), http)
        for key in mine:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                try:
                    done = session.post(
                        topology + "/cases/new/",
                        data={**fields, "description": f"断电测试 {key}", "client_key": key},
                        files=[("photos", (f"p{i}.jpg", data, "image/jpeg"))
                               for i, data in enumerate(photos)],
                        headers={"Referer": topology + "/cases/new/"}, timeout=60,
                        allow_redirects=False)
                    status = done.status_code
                except requests.RequestException:
                    status = 599
                attempts[key].append(status)
                if status in (302, 303):
                    break
                if status not in (502, 503, 504, 599):
                    unexpected.append((key, status))
                    break
                time.sleep(0.5)  # what the phone's queue does: try again, same key

    threads = [threading.Thread(target=post_all, args=(keys[i::8], reporters[i][1]))
               for i in range(8)]
    for t in threads:
        t.start()
    time.sleep(2.5)  # several uploads in flight on both processes
    victim = _page_ports()[0]  # a process serving the pages (WSGI by default)
    os.killpg(_server_pid(victim), signal.SIGKILL)
    time.sleep(3)
    _start_server(victim)
    for t in threads:
        t.join(300)
    assert unexpected == [], unexpected
    stored = json.loads(shell(
        "import json\nfrom community.models import Case\nfrom django.db.models import Count\n"
        f"rows = Case.objects.filter(reporter_id__in={[r[0] for r in reporters]!r},"
        f" client_key__in={keys!r}).values('client_key').annotate(n=Count('pk'))\n"
        "print(json.dumps({str(r['client_key']): r['n'] for r in rows}))").splitlines()[-1])
    lost = [k for k in keys if k not in stored]
    duplicated = [k for k, n in stored.items() if n > 1]
    retried = sum(1 for a in attempts.values() if len(a) > 1)
    before = _media_facts()
    swept = json.loads(shell(
        "import json\nfrom datetime import timedelta\n"
        "from portal.orphans import media_sweep_orphans\n"
        "print(json.dumps(media_sweep_orphans(grace=timedelta(0))))").splitlines()[-1])
    after = _media_facts()
    print(f"\n[page process kill -9] reports {len(keys)}: lost {len(lost)}, duplicated "
          f"{len(duplicated)}, retried after 502 {retried}; files of killed requests "
          f"{len(before['orphans'])}, swept {swept['removed']}, left {len(after['orphans'])}")
    assert lost == [] and duplicated == [], (lost, duplicated, attempts)
    assert all(len(a) == 1 or a[-1] in (302, 303) for a in attempts.values()), attempts
    assert swept["removed"] == len(before["orphans"])
    assert after["orphans"] == [] and after["referenced_missing"] == []
    assert before["referenced_missing"] == []
    # Every stored report still has its three photos on disk.
    photos_per_case = json.loads(shell(
        "import json\nfrom community.models import Case\n"
        f"cases = Case.objects.filter(client_key__in={keys!r})\n"
        "print(json.dumps(sorted({c.photos.count() for c in cases})))").splitlines()[-1])
    assert photos_per_case == [3]


def test_a_backup_taken_while_residents_write_restores_and_checks_clean(
        topology, people, neighbours, tmp_path):
    """(c) ``manage.py backup`` on the running topology while reports keep coming
    through nginx; the archive restores into an empty database and media folder
    and its own check finds every row and every file."""
    http = session_for(people["resident"])
    fields = _report_form(http, topology)
    halt = threading.Event()
    written: list[int] = []

    def residents_write() -> None:
        sessions = []
        for _pk, key in neighbours[8:]:
            sessions.append(with_csrf(session_for(key), http))
        n = 0
        while not halt.is_set() and n < 4 * len(sessions):  # within each one's limit
            session = sessions[n % len(sessions)]
            n += 1
            done = session.post(
                topology + "/cases/new/",
                data={**fields, "description": f"备份期间 {n}",
                      "client_key": str(uuid.uuid4())},
                files=[("photos", ("b.jpg", _photo(n), "image/jpeg"))],
                headers={"Referer": topology + "/cases/new/"}, timeout=60,
                allow_redirects=False)
            written.append(done.status_code)

    writer = threading.Thread(target=residents_write, daemon=True)
    writer.start()
    time.sleep(1)
    try:
        manage("backup", "--out", str(tmp_path / "backups"), timeout=600)
    finally:
        halt.set()
        writer.join(120)
    assert written and all(s in (302, 303) for s in written), written
    (archive,) = (tmp_path / "backups").glob("*")
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    restored_db = f"{DB}_restored"
    pg = {**_clean_env(), "PGPASSWORD": "jiayuan"}
    base = ["-h", "127.0.0.1", "-U", "jiayuan"]
    subprocess.run(["dropdb", *base, "--if-exists", restored_db], env=pg, check=True,
                   capture_output=True)
    subprocess.run(["createdb", *base, restored_db], env=pg, check=True, capture_output=True)
    try:
        env = _prod_env()
        env["DATABASE_URL"] = f"postgres://jiayuan:jiayuan@127.0.0.1:5432/{restored_db}"
        env["MEDIA_ROOT"] = str(tmp_path / "restored-media")
        out = manage("restore", str(archive), env=env, timeout=900)
    finally:
        subprocess.run(["dropdb", *base, "--if-exists", "--force", restored_db], env=pg,
                       capture_output=True)
    print(f"\n[backup under writes] {len(written)} reports posted during the backup; "
          f"{len(manifest['media'])} files in the archive; restore: {out.strip()[-200:]}")
    assert "ok:" in out
