"""Floods of the chat: many sockets and many uploads of one person at the same moment.

Each test sends them all at once (sockets side by side in one event loop,
uploads from a pool of threads) and counts what was accepted: exactly the
limit, whatever the interleaving, and nothing stored for the rest.
"""

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from asgiref.sync import async_to_sync
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse

from community.liaison.models import Message
from community.liaison.tests.helpers import picked, session_cookie, socket, waiting
from portal import limits

pytestmark = [pytest.mark.django_db(transaction=True)]

HOSTS = override_settings(ALLOWED_HOSTS=["127.0.0.1", "testserver"])


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    """One moment in the middle of every window: a flood never straddles two periods."""
    monkeypatch.setattr(limits, "_now", lambda: 1_000_000_005.0)


@HOSTS
def test_eight_sockets_of_one_person_get_exactly_the_limit_acknowledged(world):
    c = waiting(world.resident_a)
    limit = limits.windows("chat_send")[0][0]
    cookies = [session_cookie(world.resident_a) for _ in range(8)]  # eight phones and tabs

    async def run():
        import asyncio

        comms = [socket(f"/ws/chat/{c.pk}/", cookie=cookie) for cookie in cookies]
        for comm in comms:
            assert (await comm.connect())[0]

        async def flood(n, comm):
            for i in range(10):
                await comm.send_json_to({"type": "send", "client_key": f"fl{n}-{i}",
                                         "body": f"第{n}-{i}条"})
            answers = []
            while len(answers) < 10:
                msg = await comm.receive_json_from(timeout=20)
                if msg["type"] in ("ack", "error"):
                    answers.append(msg)
            return answers

        try:
            return [m for answers in await asyncio.gather(
                *(flood(n, comm) for n, comm in enumerate(comms))) for m in answers]
        finally:
            for comm in comms:
                await comm.disconnect()

    answers = async_to_sync(run)()
    acked = [m for m in answers if m["type"] == "ack"]
    refused = [m for m in answers if m["type"] == "error"]
    assert len(acked) == limit == 12
    assert len(refused) == 80 - limit
    assert {m["code"] for m in refused} == {"rate"}
    assert refused[0]["message"] == "发得太快了，请稍等几秒再发。" and refused[0]["retry_after"] == 5
    stored = set(Message.objects.filter(conversation=c, client_key__startswith="fl")
                 .values_list("client_key", flat=True))
    assert stored == {m["client_key"] for m in acked}


def _flood(url: str, user, make_data, n: int = 30) -> list:
    clients = []
    for _i in range(n):
        client = Client()
        client.force_login(user)
        clients.append(client)

    def post(i):
        try:
            return clients[i].post(url, make_data(i))
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=10) as pool:
        return list(pool.map(post, range(n)))


def test_thirty_photos_at_once_only_the_limit_is_accepted(world):
    from community.tests.factories import jpeg

    c = picked(world.resident_a, world.liaison)
    limit = limits.windows("chat_photo")[0][0]
    responses = _flood(reverse("liaison:upload", args=[c.pk]), world.resident_a,
                       lambda i: {"photo": jpeg(), "client_key": f"ph-{i}"})
    ok = [r for r in responses if r.status_code == 200]
    refused = [r for r in responses if r.status_code == 429]
    assert len(ok) == limit == 10 and len(refused) == 20
    body = json.loads(refused[0].content)
    assert body["message"].startswith("照片发得太多了。") and int(refused[0]["Retry-After"]) > 0
    assert Message.objects.filter(conversation=c, client_key__startswith="ph-").count() == limit


def test_thirty_voice_notes_at_once_only_the_limit_is_accepted(world):
    from community.liaison.tests.test_journeys_voice import recording

    c = picked(world.resident_a, world.liaison)
    limit = limits.windows("chat_voice")[0][0]
    responses = _flood(reverse("liaison:upload", args=[c.pk]), world.resident_a,
                       lambda i: {"voice": recording(), "client_key": f"v-{i}"})
    assert sorted(r.status_code for r in responses) == [200] * limit + [429] * (30 - limit)
    refused = next(r for r in responses if r.status_code == 429)
    assert json.loads(refused.content)["message"].startswith("录音发得太多了。")
    assert Message.objects.filter(conversation=c, client_key__startswith="v-").count() == limit
    # Someone else is not held up by it.
    other = picked(world.resident_b, world.liaison)
    client = Client()
    client.force_login(world.resident_b)
    assert client.post(reverse("liaison:upload", args=[other.pk]),
                       {"voice": recording(), "client_key": "b-1"}).status_code == 200
