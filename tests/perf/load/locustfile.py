"""Residents and grid workers using Jiayuan, for Locust (run by ``scripts/load``).

Residents (9 in 10 users) open the home page, read the notices and one
notice, look at their own cases, chat with the liaison room (the chat page,
then the same WebSocket the phone's ``static/liaison/chat.js`` uses: ``hello``,
``send`` with a phone-made key, wait for the ``ack``), and now and then report
a case with a photo the way ``static/portal/forms.js`` posts the form
(multipart, ``Accept: application/json``, ``X-CSRFToken``, a UUID
``client_key``, a 1280×960 JPEG as the phone shrinks it). Grid workers (1 in
10) open their workbench queue and a case from it.

Everyone is signed in: ``LOAD_USERS`` is the JSON written by
``manage.py load_users`` (a session key per person); each Locust user takes
the next one. Static files are not fetched: they are cached for a year on the
phone after the first visit (and nginx, not Django, serves them).

Think time 1–3 s between actions (``LOAD_WAIT="1,3"``). WebSocket steps are
reported as request type ``WS``: ``chat: connect+hello`` (upgrade until the
server's ``state``) and ``chat: send→ack``.

    LOAD_USERS=var/load/users.json .venv/bin/locust -f tests/perf/load/locustfile.py \
        --host http://127.0.0.1:8000 --headless -u 10 -r 5 -t 30s

Every task once, printing each request (to check the file after pages change):

    LOAD_USERS=... .venv/bin/python tests/perf/load/locustfile.py http://127.0.0.1:8000
"""

from __future__ import annotations

import io
import itertools
import json
import os
import random
import re
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

from locust import FastHttpUser, between, events, task
from locust.exception import StopUser
from requests.cookies import create_cookie
from urllib3 import encode_multipart_formdata

ROSTER = json.loads(Path(os.environ.get("LOAD_USERS", "var/load/users.json"))
                    .read_text(encoding="utf-8"))
_WAIT = [float(x) for x in os.environ.get("LOAD_WAIT", "1,3").split(",")]
_next_resident = itertools.count()
_next_staff = itertools.count()

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CATEGORY = re.compile(r'name="category" value="([^"]+)"')
WHERE = re.compile(r'<option value="(h\d+)"')
NOTICE = re.compile(r'href="/notices/(\d+)/"')
CASE = re.compile(r'href="/cases/(\d+)/"')
CHAT_WS = re.compile(r'data-ws="([^"]+)"')
SIGNED_OUT = 'href="/accounts/login/"'  # the shell's 登录 link, shown only when signed out
WS_TIMEOUT = 15.0


def _photo() -> bytes:
    """A real JPEG as a phone sends it after shrinking: 1280×960, noisy, ~150 kB."""
    from PIL import Image, ImageDraw

    rng = random.Random(7)
    image = Image.effect_noise((1280, 960), 40).convert("RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y = rng.randrange(1280), rng.randrange(960)
        draw.rectangle((x, y, x + rng.randrange(40, 300), y + rng.randrange(40, 200)),
                       fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


PHOTO = _photo()


@events.init.add_listener
def _fresh_clock(environment, **_kwargs) -> None:
    """gevent's loop caches the time; after a slow start (imports, the photo above on a
    busy machine) ``--run-time`` would be counted from the stale time and end early."""
    import gevent

    gevent.get_hub().loop.update_now()


@events.quitting.add_listener
def _last_csv_rows(environment, **_kwargs) -> None:
    """Locust writes its CSV files once a second and not again at the end: wait for
    one more pass, so the requests that finished while users stopped are counted."""
    import gevent

    if getattr(environment.parsed_options, "csv_prefix", None):
        gevent.sleep(1.2)


class _Person(FastHttpUser):
    abstract = True
    wait_time = between(*_WAIT)
    roster_key = ""
    counter = _next_resident

    def on_start(self) -> None:
        keys = ROSTER[self.roster_key]
        if not keys:
            raise StopUser()
        self.session_key = keys[next(self.counter) % len(keys)]
        parts = urlsplit(self.host)
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.netloc = parts.netloc
        self.cookie = f"sessionid={self.session_key}"
        self.client.cookiejar.set_cookie(create_cookie(
            "sessionid", self.session_key, domain=parts.hostname, path="/"))

    def page(self, path: str, *, name: str | None = None) -> str:
        """GET a page as this person; a redirect or a signed-out page is a failure."""
        with self.client.get(path, name=name or path, allow_redirects=False,
                             catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"{r.status_code} {r.headers.get('Location', '')}")
                return ""
            if SIGNED_OUT in r.text:  # public pages answer 200 to anyone: check who
                r.failure("the page was served to a signed-out visitor")
                return ""
            return r.text


class Resident(_Person):
    weight = 9
    roster_key = "residents"
    counter = _next_resident

    @task(8)
    def home(self) -> None:
        self.page("/")

    @task(4)
    def notices(self) -> None:
        html = self.page("/notices/")
        ids = NOTICE.findall(html)
        if ids:
            self.page(f"/notices/{random.choice(ids)}/", name="/notices/[id]/")

    @task(2)
    def my_cases(self) -> None:
        html = self.page("/cases/")
        ids = CASE.findall(html)
        if ids:
            self.page(f"/cases/{random.choice(ids)}/", name="/cases/[id]/")

    @task(2)
    def chat(self) -> None:
        html = self.page("/chat/")
        path = CHAT_WS.search(html)
        if not path:
            return
        self.chat_once(path.group(1))

    @task(1)
    def report(self) -> None:
        html = self.page("/cases/new/")
        if not html:  # already counted as a failure
            return
        token, category = CSRF.search(html), CATEGORY.findall(html)
        where = WHERE.search(html)
        if not (token and category and where):
            self._fail("POST", "/cases/new/", "the report form lacks a token, category or flat")
            return
        body, content_type = encode_multipart_formdata([
            ("csrfmiddlewaretoken", token.group(1)),
            ("category", random.choice(category)),
            ("where", where.group(1)),
            ("description", "压测：楼道灯不亮，晚上看不见"),
            ("client_key", str(uuid.uuid4())),
            ("photos", ("photo.jpg", PHOTO, "image/jpeg")),
        ])
        headers = {"Content-Type": content_type, "Accept": "application/json",
                   "X-CSRFToken": token.group(1), "Origin": self.origin,
                   "Referer": self.origin + "/cases/new/"}
        with self.client.post("/cases/new/", data=body, headers=headers, name="/cases/new/",
                              catch_response=True) as r:
            try:
                answer = r.json()
            except ValueError:
                answer = {}
            if r.status_code != 200 or not answer.get("ok"):
                r.failure(f"{r.status_code} {str(answer or r.text)[:200]}")
                return
        self.page(answer["url"], name="/cases/[id]/?sent=1")

    # --- the chat socket, as chat.js speaks it -----------------------------------------

    def chat_once(self, path: str) -> None:
        from websockets.sync.client import connect

        scheme = "wss" if self.origin.startswith("https") else "ws"
        started = time.perf_counter()
        step = "chat: connect+hello"
        try:
            with connect(f"{scheme}://{self.netloc}{path}", origin=self.origin,
                         additional_headers={"Cookie": self.cookie},
                         open_timeout=WS_TIMEOUT, close_timeout=2) as ws:
                ws.send(json.dumps({"type": "hello", "last_seq": 0}))
                self._receive_until(ws, "state")
                self._report(step, started)
                step, started = "chat: send→ack", time.perf_counter()
                key = uuid.uuid4().hex
                ws.send(json.dumps({"type": "send", "client_key": key,
                                    "body": f"压测消息 {key[:6]}：电梯不动了"}))
                self._receive_until(ws, "ack", client_key=key)
                self._report(step, started)
        except Exception as exc:  # noqa: BLE001 - every failure is counted, none stops the run
            self._report(step, started, exc)

    @staticmethod
    def _receive_until(ws, kind: str, **match) -> dict:
        deadline = time.monotonic() + WS_TIMEOUT
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no {kind} in {WS_TIMEOUT:.0f} s")
            frame = json.loads(ws.recv(timeout=left))
            if frame.get("type") == "error":
                raise RuntimeError(f"server refused: {frame.get('code')} {frame.get('message')}")
            if frame.get("type") == kind and all(frame.get(k) == v for k, v in match.items()):
                return frame

    def _report(self, name: str, started: float, exc: Exception | None = None) -> None:
        self.environment.events.request.fire(
            request_type="WS", name=name, response_time=(time.perf_counter() - started) * 1000,
            response_length=0, exception=exc, context={})

    def _fail(self, method: str, name: str, message: str) -> None:
        self.environment.events.request.fire(
            request_type=method, name=name, response_time=0, response_length=0,
            exception=RuntimeError(message), context={})


class GridWorker(_Person):
    weight = 1
    roster_key = "staff"
    counter = _next_staff

    @task(3)
    def queue(self) -> None:
        self.page("/cases/workbench/")

    @task(2)
    def open_a_case(self) -> None:
        html = self.page("/cases/workbench/?tab=new", name="/cases/workbench/?tab=new")
        ids = CASE.findall(html)
        if ids:
            self.page(f"/cases/{random.choice(ids)}/", name="/cases/[id]/ (staff)")


def run_every_task_once(host: str) -> list[dict]:
    """Each task of each kind of user, once, in order, outside Locust's runner.

    For checking the locustfile against the pages as they are today
    (tests/test_load_script.py): returns every request made, with its error.
    """
    from locust.env import Environment

    made: list[dict] = []

    def record(request_type, name, response_time, exception=None, **_kw):
        made.append({"type": request_type, "name": name, "ms": round(response_time),
                     "error": repr(exception) if exception else ""})

    environment = Environment(user_classes=[Resident, GridWorker], host=host)
    environment.events.request.add_listener(record)
    for kind in (Resident, GridWorker):
        kind.host = host
        person = kind(environment)
        person.on_start()
        for function in dict.fromkeys(kind.tasks):  # each once, in the order written
            function(person)
    return made


if __name__ == "__main__":
    import sys

    requests_made = run_every_task_once(sys.argv[1])
    print(json.dumps(requests_made, ensure_ascii=False, indent=1))
    sys.exit(1 if any(r["error"] for r in requests_made) else 0)
