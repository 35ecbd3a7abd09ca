"""The chat socket, through the same stack as portal/asgi.py (Origin check, session auth).

Catch-up rules: a reconnect with a last number gets everything after it; a
gap is filled on request; a send repeated with the same key is stored once.
"""

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.test import override_settings

from community.liaison import services
from community.liaison.models import Message
from community.liaison.tests.helpers import drain as _drain
from community.liaison.tests.helpers import on_duty, picked, socket, waiting

pytestmark = [pytest.mark.django_db(transaction=True)]

HOSTS = override_settings(ALLOWED_HOSTS=["127.0.0.1", "testserver"])


@HOSTS
def test_a_foreign_origin_is_refused(world):
    c = waiting(world.resident_a)

    async def run():
        comm = socket(f"/ws/chat/{c.pk}/", world.resident_a, origin="http://evil.example")
        connected, _ = await comm.connect()
        assert not connected
        await comm.disconnect()

    async_to_sync(run)()


@HOSTS
def test_an_anonymous_socket_is_refused(world):
    c = waiting(world.resident_a)

    async def run():
        comm = socket(f"/ws/chat/{c.pk}/")
        connected, code = await comm.connect()
        assert not connected and code == 4401
        await comm.disconnect()

    async_to_sync(run)()


@HOSTS
def test_someone_elses_conversation_is_refused(world):
    c = waiting(world.resident_a)

    async def run():
        for user in (world.resident_b, world.resident_a2, world.worker_a, world.handler,
                     world.liaison):  # liaison staff off duty may not read a waiting chat
            comm = socket(f"/ws/chat/{c.pk}/", user)
            connected, code = await comm.connect()
            assert not connected and code == 4403, user
            await comm.disconnect()
        comm = socket("/ws/chat/999999/", world.resident_a)
        connected, _ = await comm.connect()
        assert not connected
        await comm.disconnect()
        comm = socket("/ws/chat/console/", world.resident_a)
        connected, _ = await comm.connect()
        assert not connected
        await comm.disconnect()

    async_to_sync(run)()


@HOSTS
def test_who_may_read(world):
    c = waiting(world.resident_a)
    on_duty(world.liaison)

    async def run():
        for user in (world.resident_a, world.admin, world.liaison):
            comm = socket(f"/ws/chat/{c.pk}/", user)
            connected, _ = await comm.connect()
            assert connected, user
            await comm.disconnect()

    async_to_sync(run)()


@HOSTS
def test_resident_and_staff_chat_live_with_typing_read_and_catch_up(world):
    c = picked(world.resident_a, world.liaison)

    async def run():
        resident = socket(f"/ws/chat/{c.pk}/", world.resident_a)
        staff = socket(f"/ws/chat/{c.pk}/", world.liaison)
        assert (await resident.connect())[0] and (await staff.connect())[0]
        await resident.send_json_to({"type": "hello", "last_seq": 0})
        history = await _drain(resident, "state")
        seqs = [m["seq"] for h in history if h["type"] == "messages" for m in h["items"]]
        assert seqs == list(range(1, len(seqs) + 1)) and seqs
        state = history[-1]["state"]
        assert state["assignee"]["role"] == "连心室值班人员"
        assert "phone" not in str(state)
        await staff.send_json_to({"type": "hello", "last_seq": seqs[-1]})
        await _drain(staff, "state")

        await resident.send_json_to({"type": "typing"})
        assert (await staff.receive_json_from(timeout=3)) == {"type": "typing", "role": "resident"}

        await resident.send_json_to({"type": "send", "client_key": "k1", "body": "<b>灯</b>不亮"})
        got = await _drain(resident, "ack")
        seq = got[-1]["seq"]
        live = await _drain(staff, "message")
        assert live[-1]["message"]["seq"] == seq
        assert live[-1]["message"]["body"] == "<b>灯</b>不亮"  # text; the page uses textContent
        await staff.send_json_to({"type": "read", "seq": seq})
        read = await _drain(resident, "read")
        assert read[-1] == {"type": "read", "role": "staff", "seq": seq}

        # the same send again (a retry on a weak network): same number, stored once
        await resident.send_json_to({"type": "send", "client_key": "k1", "body": "<b>灯</b>不亮"})
        again = await _drain(resident, "ack")
        assert again[-1]["seq"] == seq

        await resident.disconnect()
        # while the resident is away the staff member writes twice
        for i in (1, 2):
            await staff.send_json_to({"type": "send", "client_key": f"s{i}", "body": f"回复{i}"})
            await _drain(staff, "ack")
        # reconnect with the last number: exactly what was missed, in order
        back = socket(f"/ws/chat/{c.pk}/", world.resident_a)
        assert (await back.connect())[0]
        await back.send_json_to({"type": "hello", "last_seq": seq})
        caught = await _drain(back, "state")
        items = [m for h in caught if h["type"] == "messages" for m in h["items"]]
        assert [m["body"] for m in items] == ["回复1", "回复2"]
        assert [m["seq"] for m in items] == [seq + 1, seq + 2]

        # a gap: ask for a range
        await back.send_json_to({"type": "fetch", "after": seq - 1, "upto": seq})
        gap = await _drain(back, "messages")
        assert [m["seq"] for m in gap[-1]["items"]] == [seq]
        await back.disconnect()
        await staff.disconnect()

    async_to_sync(run)()
    assert Message.objects.filter(conversation=c, client_key="k1").count() == 1


@HOSTS
def test_limits_size_and_rate(world):
    c = waiting(world.resident_a)

    async def run():
        comm = socket(f"/ws/chat/{c.pk}/", world.resident_a)
        assert (await comm.connect())[0]
        await comm.send_to(text_data="x" * 20000)
        assert (await comm.receive_json_from(timeout=3))["code"] == "too_large"
        await comm.send_json_to({"type": "send", "client_key": "long", "body": "长" * 2001})
        err = await _drain(comm, "error")
        assert err[-1]["code"] == "invalid"
        codes = []
        for i in range(20):
            await comm.send_json_to({"type": "send", "client_key": f"r{i}", "body": f"第{i}条"})
            while (msg := await comm.receive_json_from(timeout=3))["type"] not in ("ack", "error"):
                pass
            codes.append(msg.get("code", "ok"))
        assert "rate" in codes and codes[0] == "ok"
        await comm.disconnect()

    async_to_sync(run)()
    stored = Message.objects.filter(conversation=c, client_key__startswith="r").count()
    assert 0 < stored < 20


@HOSTS
def test_picked_up_elsewhere_closes_a_colleagues_socket(world):
    from buildings.tests.factories import liaison

    other = liaison(world.community)
    c = waiting(world.resident_a)
    on_duty(world.liaison)
    on_duty(other)

    async def run():
        watcher = socket(f"/ws/chat/{c.pk}/", other)
        assert (await watcher.connect())[0]
        console = socket("/ws/chat/console/", other)
        assert (await console.connect())[0]
        await sync_to_async(services.conversation_pick_up)(conversation=c, staff=world.liaison)
        events = await _drain(watcher, "gone")
        assert events[-1] == {"type": "gone"}
        changed = await console.receive_json_from(timeout=3)
        assert changed["type"] == "changed" and changed["conversation"] == c.pk
        await watcher.disconnect()
        await console.disconnect()

    async_to_sync(run)()


@HOSTS
@pytest.mark.parametrize("frame", [
    '{"type": "read", "seq": Infinity}',
    '{"type": "fetch", "after": NaN}',
    '{"type": "fetch", "after": 99999999999999999999}',
    '{"type": "hello", "last_seq": "²"}',
    '{"type": "read", "seq": 1.5}',
    '{"type": "read", "seq": [' + "[" * 5000 + "]" * 5000 + "]}",
    "[" * 5000 + "]" * 5000,
    "not json",
])
def test_an_odd_frame_is_answered_with_an_error_and_the_socket_stays(world, frame):
    c = picked(world.resident_a, world.liaison)

    async def run():
        comm = socket(f"/ws/chat/{c.pk}/", world.resident_a)
        assert (await comm.connect())[0]
        await comm.send_to(text_data=frame)
        error = await comm.receive_json_from(timeout=3)
        assert error["type"] == "error" and error["code"] in ("bad_frame", "invalid")
        assert any("\u4e00" <= ch <= "\u9fff" for ch in error["message"])  # in Chinese
        await comm.send_json_to({"type": "ping", "t": 1})
        assert (await comm.receive_json_from(timeout=3)) == {"type": "pong", "t": 1}
        await comm.disconnect()

    async_to_sync(run)()


def test_typing_right_after_a_send_reaches_the_other_side(world):
    """A sent message ends a typing spell: the next "typing" is not throttled away."""
    c = picked(world.resident_a, world.liaison)

    async def run():
        resident = socket(f"/ws/chat/{c.pk}/", world.resident_a)
        staff = socket(f"/ws/chat/{c.pk}/", world.liaison)
        assert (await resident.connect())[0] and (await staff.connect())[0]
        await resident.send_json_to({"type": "typing"})
        assert (await staff.receive_json_from(timeout=3)) == {"type": "typing", "role": "resident"}
        await resident.send_json_to({"type": "send", "client_key": "t1", "body": "灯不亮"})
        await _drain(resident, "ack")
        await _drain(staff, "message")
        await resident.send_json_to({"type": "typing"})  # well within TYPING_EVERY
        assert (await staff.receive_json_from(timeout=3)) == {"type": "typing", "role": "resident"}
        await resident.disconnect()
        await staff.disconnect()

    async_to_sync(run)()


@HOSTS
def test_a_socket_connect_keeps_everyone_elses_cached_permissions(world,
                                                                   django_assert_num_queries):
    from django.core.cache import cache

    from buildings.access import scope_of

    c = picked(world.resident_a, world.liaison)
    cache.clear()
    scope_of(type(world.head_a).objects.get(pk=world.head_a.pk))  # cached now

    async def run():
        comm = socket(f"/ws/chat/{c.pk}/", world.liaison)
        assert (await comm.connect())[0]
        console = socket("/ws/chat/console/", world.liaison)
        assert (await console.connect())[0]
        await comm.disconnect()
        await console.disconnect()

    async_to_sync(run)()
    head = type(world.head_a)(pk=world.head_a.pk, username=world.head_a.username)
    with django_assert_num_queries(0):
        assert scope_of(head).covers_building(world.building_a.pk)


@HOSTS
def test_typing_right_after_a_photo_sent_over_http_reaches_the_other_side(world):
    """A message that did not come through this socket (a photo or a voice note is
    uploaded over HTTP) ends the typing spell too: the next "typing" is not throttled away."""
    c = picked(world.resident_a, world.liaison)

    async def run():
        resident = socket(f"/ws/chat/{c.pk}/", world.resident_a)
        staff = socket(f"/ws/chat/{c.pk}/", world.liaison)
        assert (await resident.connect())[0] and (await staff.connect())[0]
        await resident.send_json_to({"type": "typing"})
        assert (await staff.receive_json_from(timeout=3)) == {"type": "typing", "role": "resident"}
        await sync_to_async(services.message_post)(conversation=c, sender=world.resident_a,
                                                   body="看照片", client_key="http-1")
        await _drain(resident, "message")
        await _drain(staff, "message")
        await resident.send_json_to({"type": "typing"})  # well within TYPING_EVERY
        assert (await staff.receive_json_from(timeout=3)) == {"type": "typing", "role": "resident"}
        await resident.disconnect()
        await staff.disconnect()

    async_to_sync(run)()
