"""The way into a socket (Origin) and the way out (the session ends)."""

import importlib

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse

from community.liaison.models import Message
from community.liaison.tests.helpers import Communicator, socket, waiting
from portal import sockets

pytestmark = [pytest.mark.django_db(transaction=True)]


def _open(application, path, cookie, origin):
    headers = [(b"origin", origin.encode()), (b"host", b"127.0.0.1"),
               (b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode())]
    return Communicator(application, path, headers=headers)


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_the_sites_own_stack_refuses_a_socket_from_another_site(world):
    """The test settings, like the dev server's, allow any Host ("*"): not any Origin."""
    from portal.asgi import application

    assert "*" in settings.ALLOWED_HOSTS
    c = waiting(world.resident_a)
    cookie = _signed_in(world.resident_a).cookies[settings.SESSION_COOKIE_NAME].value

    async def run():
        evil = _open(application, f"/ws/chat/{c.pk}/", cookie, "http://evil.example")
        assert not (await evil.connect())[0]
        await evil.disconnect()
        own = _open(application, f"/ws/chat/{c.pk}/", cookie, "http://127.0.0.1:8000")
        assert (await own.connect())[0]
        await own.disconnect()

    async_to_sync(run)()


def test_the_origins_follow_the_configured_hosts_never_a_wildcard(monkeypatch):
    with override_settings(ALLOWED_HOSTS=["*"], WEBSOCKET_ALLOWED_ORIGINS=[]):
        assert sockets.allowed_origins() == ["localhost", "127.0.0.1", "[::1]"]
    with override_settings(ALLOWED_HOSTS=["jiayuan.example", "*"], WEBSOCKET_ALLOWED_ORIGINS=[]):
        assert sockets.allowed_origins() == ["jiayuan.example"]
    with override_settings(WEBSOCKET_ALLOWED_ORIGINS=["https://chat.example"]):
        assert sockets.allowed_origins() == ["https://chat.example"]
    monkeypatch.delenv("ALLOWED_HOSTS", raising=False)
    monkeypatch.delenv("WEBSOCKET_ALLOWED_ORIGINS", raising=False)
    import portal.settings.dev

    dev = importlib.reload(portal.settings.dev)
    assert dev.ALLOWED_HOSTS == ["*"]
    assert dev.WEBSOCKET_ALLOWED_ORIGINS == ["localhost", "127.0.0.1", "[::1]"]


def test_logging_out_closes_the_sockets_of_that_session_only(world):
    c = waiting(world.resident_a)
    phone, tablet = _signed_in(world.resident_a), _signed_in(world.resident_a)

    async def run():
        on_phone = socket(f"/ws/chat/{c.pk}/",
                          cookie=phone.cookies[settings.SESSION_COOKIE_NAME].value)
        on_tablet = socket(f"/ws/chat/{c.pk}/",
                           cookie=tablet.cookies[settings.SESSION_COOKIE_NAME].value)
        assert (await on_phone.connect())[0] and (await on_tablet.connect())[0]
        response = await sync_to_async(phone.post)(reverse("account_logout"))
        assert response.status_code == 302
        closed = await on_phone.receive_output(timeout=5)
        assert closed == {"type": "websocket.close", "code": 4401}
        # The tablet is still signed in and still chatting.
        await on_tablet.send_json_to({"type": "send", "client_key": "tab-1", "body": "还在"})
        while (await on_tablet.receive_json_from(timeout=5))["type"] != "ack":
            pass
        await on_phone.disconnect()
        await on_tablet.disconnect()

    async_to_sync(run)()
    assert Message.objects.filter(conversation=c, client_key="tab-1").exists()


def test_a_socket_whose_session_ended_unannounced_stores_nothing(world):
    """The logout's doorbell can be lost (the layer was down): the send checks the session."""
    c = waiting(world.resident_a)
    client = _signed_in(world.resident_a)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value

    async def run():
        comm = socket(f"/ws/chat/{c.pk}/", cookie=cookie)
        assert (await comm.connect())[0]

        def end_quietly():
            Session.objects.filter(session_key=cookie).delete()
            cache.clear()  # the cached_db copy

        await sync_to_async(end_quietly)()
        await comm.send_json_to({"type": "send", "client_key": "after", "body": "退出后"})
        assert await comm.receive_output(timeout=5) == {"type": "websocket.close", "code": 4401}
        await comm.disconnect()

    async_to_sync(run)()
    assert not Message.objects.filter(conversation=c, client_key="after").exists()


def test_erasing_an_account_closes_all_its_sockets(world):
    from portal.privacy import account_erase

    c = waiting(world.resident_a)
    client = _signed_in(world.resident_a)

    async def run():
        comm = socket(f"/ws/chat/{c.pk}/",
                      cookie=client.cookies[settings.SESSION_COOKIE_NAME].value)
        assert (await comm.connect())[0]
        await sync_to_async(account_erase)(user=world.resident_a)
        while (out := await comm.receive_output(timeout=5))["type"] != "websocket.close":
            pass  # the conversation's own news first (closed, since the person left)
        assert out["code"] == 4401
        await comm.disconnect()

    async_to_sync(run)()
