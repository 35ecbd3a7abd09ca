"""Real servers for the chat's live tests and benchmarks: Daphne processes and Redis.

Channels' in-process test client cannot show a message crossing from one
ASGI process to another, so these helpers start ``manage.py serve`` (Daphne,
HTTP and WebSocket) as separate processes against the test's own database:

* PostgreSQL: the test database, by URL;
* SQLite in a file (``TEST_SQLITE_NAME``): that file (the servers switch it to WAL);
* SQLite in memory (the default test run): a snapshot of it is copied into a
  file with SQLite's backup API when the servers start. Everything the test
  wants the servers to see (users, sessions) must exist by then, and what the
  servers write is checked through them (sockets, pages), not through the ORM.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection

from buildings.models import Community, CommunityAdmin, LiaisonStaff
from portal.models import User

from .choices import ConversationStatus
from .models import Conversation, StaffDesk

BASE_DIR = Path(settings.BASE_DIR)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_env(workdir: Path) -> tuple[dict, bool]:
    """Environment that points a server process at the test's database.

    Returns (env, is_snapshot): a snapshot does not see later writes of the test.
    """
    s = connection.settings_dict
    if connection.vendor == "postgresql":
        url = (f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST'] or '127.0.0.1'}:"
               f"{s['PORT'] or 5432}/{s['NAME']}")
        return {"DATABASE_URL": url}, False
    name = str(s["NAME"])
    if name == ":memory:" or "mode=memory" in name:
        path = workdir / "live.sqlite3"
        connection.ensure_connection()
        target = sqlite3.connect(path)
        connection.connection.backup(target)
        target.close()
        return {"DATABASE_URL": f"sqlite:///{path}"}, True
    return {"DATABASE_URL": f"sqlite:///{Path(name).resolve()}"}, False


def wait_http(url: str, timeout: float = 90.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:  # noqa: S310
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise TimeoutError(url)


class Server:
    def __init__(self, port: int, proc: subprocess.Popen, log: Path):
        self.port, self.proc, self.log = port, proc, log
        self.url = f"http://127.0.0.1:{port}"
        self.ws = f"ws://127.0.0.1:{port}"

    def rss_kb(self) -> int:
        """Resident memory of the server process (Linux /proc)."""
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        except OSError:
            pass
        return 0

    def ready(self, timeout: float = 180.0) -> None:
        try:
            wait_http(self.url + "/healthz", timeout=timeout, proc=self.proc)
        except Exception:
            self.stop()
            raise RuntimeError(f"Daphne did not start: {self.log.read_text()[-3000:]}") from None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def spawn_server(*, env: dict, port: int | None = None, redis_url: str | None = None,
                 logdir: Path, settings_module: str = "portal.settings.test") -> Server:
    """Start ``manage.py serve`` without waiting for it (see ``Server.ready``)."""
    port = port or free_port()
    full = {**os.environ, **env, "DJANGO_SETTINGS_MODULE": settings_module,
            "PYTHONUNBUFFERED": "1"}
    full.pop("TEST_SQLITE_NAME", None)
    if redis_url:
        full["REDIS_URL"] = redis_url
    else:
        full.pop("REDIS_URL", None)
    log = logdir / f"daphne-{port}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "manage.py", "serve", "--no-ticker", "--port", str(port)],
            cwd=BASE_DIR, env=full, stdout=out, stderr=subprocess.STDOUT,
        )
    return Server(port, proc, log)


def start_server(**kwargs) -> Server:
    server = spawn_server(**kwargs)
    server.ready()
    return server


@contextmanager
def redis_server():
    """A Redis URL: ``TEST_REDIS_URL`` if given, else a private redis-server on a free port."""
    url = os.environ.get("TEST_REDIS_URL")
    if url:
        yield url
        return
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed (bash scripts/services installs it)")
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(5)


@contextmanager
def live_servers(count: int = 1, *, redis_url: str | None = None, ports=None):
    """Start ``count`` Daphne processes sharing the test database (and Redis if given)."""
    workdir = Path(tempfile.mkdtemp(prefix="jiayuan-live-"))
    env, snapshot = database_env(workdir)
    servers = []
    try:
        for i in range(count):  # started side by side: Django takes a while to import
            port = ports[i] if ports else None
            servers.append(spawn_server(env=env, port=port, redis_url=redis_url,
                                        logdir=workdir))
        for server in servers:
            server.ready()
        yield servers
    finally:
        for server in servers:
            server.stop()
        if snapshot:
            shutil.rmtree(workdir, ignore_errors=True)


# --- benchmarks: a world of conversations and a client that follows the protocol ---------


def bench_world(*, pairs: int, staff: int = 5, watchers: int = 0) -> dict:
    """``pairs`` open conversations, each a resident with a staff member; sessions for all.

    Made directly with the ORM (a benchmark's fixture, not a flow under test).
    Returns {"community", "conversations": [(id, resident_cookie, staff_cookie)],
    "watchers": [admin cookies]}.
    """

    community, _ = Community.objects.get_or_create(name="压测社区")

    def make_user(name: str) -> User:
        u = User(username=name, display_name=name, phone=None)
        u.set_unusable_password()
        return u

    tag = str(int(time.time() * 1000))
    people = User.objects.bulk_create(
        [make_user(f"r{tag}-{i}") for i in range(pairs)]
        + [make_user(f"s{tag}-{i}") for i in range(staff)]
        + [make_user(f"w{tag}-{i}") for i in range(watchers)])
    residents, staffers, admins = (people[:pairs], people[pairs:pairs + staff],
                                   people[pairs + staff:])
    LiaisonStaff.objects.bulk_create([LiaisonStaff(user=u, community=community) for u in staffers])
    StaffDesk.objects.bulk_create([StaffDesk(staff=u, on_duty=True, cap=10_000)
                                   for u in staffers])
    CommunityAdmin.objects.bulk_create([CommunityAdmin(user=u, community=community)
                                        for u in admins])
    conversations = Conversation.objects.bulk_create([
        Conversation(community=community, resident=r, assignee=staffers[i % staff],
                     status=ConversationStatus.OPEN)
        for i, r in enumerate(residents)])

    def cookie(user) -> str:
        s = SessionStore()
        s[SESSION_KEY] = str(user.pk)
        s[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        s[HASH_SESSION_KEY] = user.get_session_auth_hash()
        s.create()
        return s.session_key

    staff_cookies = {u.pk: cookie(u) for u in staffers}
    return {
        "community": community,
        "conversations": [(c.pk, cookie(r), staff_cookies[c.assignee_id])
                          for c, r in zip(conversations, residents, strict=True)],
        "watchers": [cookie(u) for u in admins],
    }


class ProtocolClient:
    """A chat client that follows the same rules as static/liaison/chat.js.

    It shows a message only when its number is the next one, keeps later ones
    until the hole is filled (asking with ``fetch``), drops numbers it has,
    and on every connect says ``hello`` with the last number it shows.
    ``shown`` is what a person would see; ``repeats`` counts frames dropped as
    already shown (they never reach the screen).
    """

    def __init__(self, base_ws: str, conversation_id: int, cookie: str, origin: str):
        self.url = f"{base_ws}/ws/chat/{conversation_id}/"
        self.headers = {"Cookie": f"sessionid={cookie}", "Origin": origin}
        self.last = 0
        self.shown: list[int] = []
        self.buffer: dict[int, dict] = {}
        self.repeats = 0
        self.ws = None
        self.on_message = None  # callback(message) when a message is shown
        self.on_frame = None  # callback(frame) for every frame (acks, errors, state)

    async def connect(self):
        import websockets  # noqa: PLC0415 (lazy: only a live-server test drives a socket)

        self.ws = await websockets.connect(self.url, additional_headers=self.headers,
                                           open_timeout=60, max_queue=None)
        await self.ws.send(json.dumps({"type": "hello", "last_seq": self.last}))

    async def close(self):
        if self.ws is not None:
            await self.ws.close()
            self.ws = None

    def accept(self, m: dict) -> None:
        seq = m["seq"]
        if seq <= self.last or seq in self.buffer:
            self.repeats += 1
            return
        if seq > self.last + 1:
            self.buffer[seq] = m
            return
        self._show(m)
        while self.last + 1 in self.buffer:
            self._show(self.buffer.pop(self.last + 1))

    def _show(self, m: dict) -> None:
        self.last = m["seq"]
        self.shown.append(m["seq"])
        if self.on_message:
            self.on_message(m)

    async def handle(self, frame: dict) -> None:
        kind = frame.get("type")
        if self.on_frame:
            self.on_frame(frame)
        if kind == "messages":
            for m in frame["items"]:
                self.accept(m)
        elif kind == "message":
            self.accept(frame["message"])
        if self.buffer and self.ws is not None:
            await self.ws.send(json.dumps({"type": "fetch", "after": self.last,
                                           "upto": min(self.buffer) - 1}))

    async def read_until(self, predicate, timeout: float = 30.0):
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            frame = json.loads(await asyncio.wait_for(self.ws.recv(), deadline - loop.time()))
            await self.handle(frame)
            if predicate(frame):
                return frame


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = (len(values) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)
