"""The channel layer is a doorbell: when it fails, nothing a person sent is lost.

A layer whose ``receive`` raises (Redis timing out under load) must not close
a healthy socket; a ``group_send`` that raises must not fail the send that
was stored; the client learns the last number and fetches what it missed.
"""

import pytest
from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer
from django.test import override_settings

from community.liaison import consumers
from community.liaison.models import Message
from community.liaison.tests.helpers import drain, picked, socket

pytestmark = [pytest.mark.django_db(transaction=True)]


class FlakyLayer(InMemoryChannelLayer):
    """The in-memory layer, made to fail on demand like Redis under CPU starvation."""

    receive_failures = 0
    broadcasts_fail = False

    async def receive(self, channel):
        if FlakyLayer.receive_failures > 0:
            FlakyLayer.receive_failures -= 1
            raise TimeoutError("Timeout reading from 127.0.0.1:6379")
        return await super().receive(channel)

    async def group_send(self, group, message):
        if FlakyLayer.broadcasts_fail:
            raise ConnectionError("Too many connections")
        return await super().group_send(group, message)


FLAKY = override_settings(
    ALLOWED_HOSTS=["127.0.0.1", "testserver"],
    CHANNEL_LAYERS={"default": {
        "BACKEND": "community.liaison.tests.test_consumers_layer_failures.FlakyLayer"}},
)


async def _until(comm, kind):
    return (await drain(comm, kind, timeout=5))[-1]


@pytest.fixture
def flaky(monkeypatch):
    monkeypatch.setattr(consumers, "LAYER_RETRY_SECONDS", 0.05)
    FlakyLayer.receive_failures, FlakyLayer.broadcasts_fail = 0, False
    yield FlakyLayer
    FlakyLayer.receive_failures, FlakyLayer.broadcasts_fail = 0, False


@FLAKY
def test_a_failed_layer_receive_keeps_the_socket_and_sends_the_state(world, flaky):
    c = picked(world.resident_a, world.liaison)

    async def run():
        resident = socket(f"/ws/chat/{c.pk}/", world.resident_a)
        staff = socket(f"/ws/chat/{c.pk}/", world.liaison)
        assert (await resident.connect())[0] and (await staff.connect())[0]
        await resident.send_json_to({"type": "hello", "last_seq": c.last_seq})
        await _until(resident, "state")
        flaky.receive_failures = 2  # the next two receives of the layer raise
        await staff.send_json_to({"type": "send", "client_key": "s1", "body": "您好"})
        ack = await _until(staff, "ack")
        # The resident's socket is still open; after the failure it is told the
        # last number, so the message whose doorbell may be lost is fetched.
        frame = await _until(resident, "state")
        assert frame["state"]["last_seq"] >= ack["seq"]
        await resident.send_json_to({"type": "fetch", "after": c.last_seq, "upto": ack["seq"]})
        got = await _until(resident, "messages")
        assert [m["body"] for m in got["items"]] == ["您好"]
        # and it still works both ways
        await resident.send_json_to({"type": "send", "client_key": "r1", "body": "谢谢"})
        assert (await _until(resident, "ack"))["seq"] == ack["seq"] + 1
        await resident.disconnect()
        await staff.disconnect()

    async_to_sync(run)()


@FLAKY
def test_a_failed_broadcast_does_not_fail_the_send(world, flaky):
    c = picked(world.resident_a, world.liaison)

    async def run():
        resident = socket(f"/ws/chat/{c.pk}/", world.resident_a)
        assert (await resident.connect())[0]
        await resident.send_json_to({"type": "hello", "last_seq": c.last_seq})
        await _until(resident, "state")
        flaky.broadcasts_fail = True
        await resident.send_json_to({"type": "send", "client_key": "k1", "body": "水管漏了"})
        first = await _until(resident, "ack")
        await resident.send_json_to({"type": "typing"})  # a doorbell from the consumer itself
        # the phone did not hear the ack and sends again: the same number, stored once
        await resident.send_json_to({"type": "send", "client_key": "k1", "body": "水管漏了"})
        again = await _until(resident, "ack")
        assert again["seq"] == first["seq"]
        await resident.disconnect()

    async_to_sync(run)()
    assert Message.objects.filter(conversation=c, client_key="k1").count() == 1
