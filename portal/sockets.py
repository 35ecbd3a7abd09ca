"""Every WebSocket's way in, and its way out when the person's session ends.

``application(routes)`` puts the routes behind the Origin check and the
session authentication (``portal/asgi.py``; the tests build the same stack).
Browsers send the session cookie with a WebSocket handshake from any site, so
the Origin check is what stops a page elsewhere from chatting as the person:
it follows ``WEBSOCKET_ALLOWED_ORIGINS``, else ``ALLOWED_HOSTS``, and never a
wildcard. With nothing but a wildcard configured (the dev server), only this
machine is allowed.

A socket outlives the page that opened it, so every consumer joins its
person's group (``SessionBoundSocket``): logging out sends ``session.ended``
with the session's key there and the sockets opened with that session close;
erasing an account closes all of them. The doorbell may be lost (the channel
layer is down), so a consumer also checks the session before it writes.
"""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.routing import URLRouter
from channels.security.websocket import OriginValidator
from django.conf import settings
from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver

log = logging.getLogger("jiayuan.sockets")

LOCAL_HOSTS = ["localhost", "127.0.0.1", "[::1]"]
SESSION_ENDED = 4401


def allowed_origins() -> list[str]:
    """Hosts (``OriginValidator`` patterns) a browser may open a socket from."""
    configured = getattr(settings, "WEBSOCKET_ALLOWED_ORIGINS", None) or settings.ALLOWED_HOSTS
    return [host for host in configured if host != "*"] or list(LOCAL_HOSTS)


def application(routes):
    return OriginValidator(AuthMiddlewareStack(URLRouter(routes)), allowed_origins())


def person_group(user_pk: int) -> str:
    return f"user.{user_pk}"


def sockets_close(user_pk: int, *, session_key: str | None = None) -> None:
    """Close the person's sockets: those of one session, or all of them."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(
            person_group(user_pk), {"type": "session.ended", "session": session_key or ""})
    except Exception:  # the layer is down: each socket checks its session before it writes
        log.warning("could not tell the sockets of %s that a session ended", user_pk,
                    exc_info=True)


@receiver(user_logged_out, dispatch_uid="jy-sockets-logout")
def _logged_out(sender, request, user, **kwargs) -> None:
    if user is not None and user.pk and request is not None:
        sockets_close(user.pk, session_key=request.session.session_key)


class SessionBoundSocket:
    """For consumers: ``await self.bind_to_session()`` once the person is let in."""

    person_group_name = None
    session_key = None

    async def bind_to_session(self) -> None:
        session = self.scope.get("session")
        self.session_key = getattr(session, "session_key", None)
        self.person_group_name = person_group(self.scope["user"].pk)
        await self.channel_layer.group_add(self.person_group_name, self.channel_name)

    async def unbind_session(self) -> None:
        if self.person_group_name:
            await self.channel_layer.group_discard(self.person_group_name, self.channel_name)

    async def session_ended(self, event) -> None:
        if not event.get("session") or event["session"] == self.session_key:
            await self.close(code=SESSION_ENDED)

    async def session_alive(self) -> bool:
        """The session this socket was opened with still exists (not logged out, not erased)."""
        if not self.session_key:
            return False
        return await database_sync_to_async(self.scope["session"].exists)(self.session_key)
