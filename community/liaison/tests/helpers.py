"""Helpers for the liaison tests: a socket for a signed-in person, conversations in each state."""

from __future__ import annotations

from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from community.liaison import services
from community.liaison.routing import websocket_urlpatterns
from portal import sockets


def application():
    """The same stack as portal/asgi.py, built under the current settings (ALLOWED_HOSTS)."""
    return sockets.application(websocket_urlpatterns)


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client.cookies[settings.SESSION_COOKIE_NAME].value


class Communicator(WebsocketCommunicator):
    async def connect(self, timeout: float = 10):
        """Channels waits 1 s by default: too little on a shared, loaded test machine."""
        return await super().connect(timeout)


def socket(path: str, user=None, *, origin: str = "http://127.0.0.1", cookie: str | None = None):
    headers = [(b"origin", origin.encode()), (b"host", b"127.0.0.1")]
    if user is not None or cookie:
        cookie = cookie or session_cookie(user)
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()))
    return Communicator(application(), path, headers=headers)


def on_duty(staff):
    return services.staff_set_duty(staff=staff, on=True)


def waiting(resident, text="楼道灯坏了"):
    conversation, _ = services.conversation_open(resident=resident)
    services.message_post(conversation=conversation, sender=resident, body=text,
                          client_key="first")
    conversation.refresh_from_db()
    return conversation


def picked(resident, staff, text="楼道灯坏了"):
    conversation = waiting(resident, text)
    on_duty(staff)
    return services.conversation_pick_up(conversation=conversation, staff=staff)


async def drain(comm, until_type: str, limit: int = 20, timeout: float = 3) -> list[dict]:
    """Frames from a socket up to and including the first of ``until_type``."""
    seen = []
    for _ in range(limit):
        msg = await comm.receive_json_from(timeout=timeout)
        seen.append(msg)
        if msg["type"] == until_type:
            return seen
    raise AssertionError(f"no {until_type} in {seen}")
