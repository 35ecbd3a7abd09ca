"""The chat across two ASGI processes through Redis.

Two ``manage.py serve`` processes (Daphne) share the test database and a
Redis channel layer. The resident is connected to the first, the staff to the
second; messages, the pick-up and typing cross between them.
"""

import asyncio
import json
import re
import urllib.parse

import pytest
import requests
from django.conf import settings

from community.liaison.testing import live_servers, redis_server
from community.liaison.tests.helpers import on_duty, session_cookie, waiting

pytestmark = [pytest.mark.django_db(transaction=True)]

websockets = pytest.importorskip("websockets")


def _headers(cookie: str, origin: str) -> dict:
    return {"Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}", "Origin": origin}


async def _until(ws, predicate, timeout=10.0):
    """Read frames until one satisfies ``predicate``; return it."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    seen = []
    while True:
        left = deadline - loop.time()
        if left <= 0:
            raise AssertionError(f"not received; saw {seen[-10:]}")
        frame = json.loads(await asyncio.wait_for(ws.recv(), left))
        seen.append(frame)
        if predicate(frame):
            return frame


def _post(server, path: str, cookie: str) -> requests.Response:
    """A form post as a browser would make it (session cookie and CSRF token)."""
    s = requests.Session()
    host = urllib.parse.urlparse(server.url).netloc
    s.cookies.set(settings.SESSION_COOKIE_NAME, cookie, domain=host.split(":")[0])
    page = s.get(server.url + "/chat/console/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return s.post(server.url + path, data={"csrfmiddlewaretoken": token},
                  headers={"Referer": server.url + "/chat/console/"}, timeout=10,
                  allow_redirects=False)


def test_messages_pick_ups_and_typing_cross_between_two_processes(world):
    from buildings.tests.factories import liaison

    colleague = liaison(world.community)
    conversation = waiting(world.resident_a, text="电梯不动了")
    on_duty(world.liaison)
    on_duty(colleague)
    cookies = {u: session_cookie(u) for u in (world.resident_a, world.liaison, colleague)}

    with redis_server() as redis_url, live_servers(2, redis_url=redis_url) as (a, b):
        async def run():
            chat = f"/ws/chat/{conversation.pk}/"
            resident = await websockets.connect(
                a.ws + chat, additional_headers=_headers(cookies[world.resident_a], a.url))
            watcher = await websockets.connect(  # a colleague looking at the waiting chat, on B
                b.ws + chat, additional_headers=_headers(cookies[colleague], b.url))
            console = await websockets.connect(
                b.ws + "/ws/chat/console/", additional_headers=_headers(cookies[colleague], b.url))
            await resident.send(json.dumps({"type": "hello", "last_seq": 0}))
            state = await _until(resident, lambda f: f["type"] == "state")
            last = state["state"]["last_seq"]

            # 1. the resident writes on A; the colleague's socket and console on B hear it
            await resident.send(json.dumps({"type": "send", "client_key": "x1",
                                            "body": "跨进程：还是不动"}))
            ack = await _until(resident, lambda f: f["type"] == "ack")
            assert ack["seq"] == last + 1
            got = await _until(watcher, lambda f: f["type"] == "message")
            assert got["message"]["body"] == "跨进程：还是不动"
            await _until(console, lambda f: f["type"] == "changed")

            # 2. the staff member picks it up through A's pages; B's colleague loses it at once
            r = await asyncio.to_thread(_post, a, f"/chat/console/{conversation.pk}/pick-up/",
                                        cookies[world.liaison])
            assert r.status_code == 302, r.text[:500]
            await _until(watcher, lambda f: f["type"] == "gone")
            changed = await _until(console, lambda f: f["type"] == "changed"
                                   and f["reason"] == "picked")
            assert changed["conversation"] == conversation.pk
            notice = await _until(resident, lambda f: f["type"] == "message"
                                  and f["message"]["role"] == "system")
            assert world.liaison.shown_name in notice["message"]["body"]

            # 3. the staff member, on B, and the resident, on A: typing and replies cross
            staff = await websockets.connect(
                b.ws + chat, additional_headers=_headers(cookies[world.liaison], b.url))
            await staff.send(json.dumps({"type": "hello", "last_seq": 0}))
            await _until(staff, lambda f: f["type"] == "state")
            await resident.send(json.dumps({"type": "typing"}))
            assert (await _until(staff, lambda f: f["type"] == "typing"))["role"] == "resident"
            await staff.send(json.dumps({"type": "typing"}))
            assert (await _until(resident, lambda f: f["type"] == "typing"))["role"] == "staff"
            await staff.send(json.dumps({"type": "send", "client_key": "s1",
                                         "body": "师傅十分钟到"}))
            reply = await _until(resident, lambda f: f["type"] == "message"
                                 and f["message"]["role"] == "staff")
            assert reply["message"]["body"] == "师傅十分钟到"
            assert reply["message"]["sender_role"] == "连心室值班人员"
            await resident.send(json.dumps({"type": "read", "seq": reply["message"]["seq"]}))
            read = await _until(staff, lambda f: f["type"] == "read")
            assert read["seq"] == reply["message"]["seq"]

            # 4. quiet for longer than the layer's 5 s blocking pop on Redis: the
            #    sockets stay up and still hear each other, and no receive failed
            #    (redis-py 8's default 5 s read timeout used to end idle consumers).
            await asyncio.sleep(7)
            await staff.send(json.dumps({"type": "send", "client_key": "s2", "body": "到楼下了"}))
            later = await _until(resident, lambda f: f["type"] == "message"
                                 and f["message"]["body"] == "到楼下了")
            assert later["message"]["seq"] == reply["message"]["seq"] + 1
            for server in (a, b):
                assert "receive failed" not in server.log.read_text()
                assert "Exception inside application" not in server.log.read_text()

            for ws in (resident, watcher, console, staff):
                await ws.close()

        asyncio.run(run())
