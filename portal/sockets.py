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

Group membership lives in Redis, and Redis forgets: a restart empties it, and
the members of a killed process stay until the group expires
(``group_expiry``). So a socket joins with ``group_join``, which says whether
it had been dropped, and joins again at every heartbeat and after every
failure of the layer: a live socket stays a member, a dead one ages out.

A heartbeat is too slow to notice a restart: until a socket joins again, every
message to its group goes past it. So each process also keeps a ``LayerWatch``:
a marker key in Redis that a restart (or a flush) takes away, read every
``WATCH_EVERY`` seconds and at once when a socket sees the layer fail. When
the marker is gone or the layer failed, the watch joins every open socket of
the process to its groups again, in one round trip, and tells each socket to
catch up (``layer.recovered``): the next message is live again within a
fraction of a second of Redis being back.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections import defaultdict

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


async def group_join(layer, group: str, channel: str) -> bool:
    """Add ``channel`` to ``group`` (again); True if it was not a member before.

    "Not a member" means the layer lost it (Redis restarted, the group
    expired): whatever was sent to the group meanwhile did not reach it.
    """
    if _is_redis(layer):
        return bool(await groups_join(layer, [(group, channel)]))
    groups = getattr(layer, "groups", None)  # the in-memory layer
    was_member = groups is not None and channel in groups.get(group, {})
    await layer.group_add(group, channel)
    return not was_member


async def groups_join(layer, memberships: list[tuple[str, str]]) -> set[str]:
    """Redis layer: add each (group, channel) again, one round trip per Redis host;
    the channels that had been dropped from one of their groups.

    channels_redis's own ``group_add`` (ZADD, then EXPIRE), pipelined, keeping
    ZADD's answer (how many members are new) that ``group_add`` throws away.
    """
    by_host: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for group, channel in memberships:
        by_host[layer.consistent_hash(group)].append((group, channel))
    dropped: set[str] = set()
    for index, items in by_host.items():
        pipe = layer.connection(index).pipeline(transaction=False)
        now = time.time()
        for group, channel in items:
            key = layer._group_key(group)
            pipe.zadd(key, {channel: now})
            pipe.expire(key, layer.group_expiry)
        answers = await pipe.execute()
        dropped.update(channel for (_g, channel), added in zip(items, answers[::2], strict=True)
                       if added)
    return dropped


def _is_redis(layer) -> bool:
    from channels_redis.core import RedisChannelLayer  # noqa: PLC0415 (only where a Redis layer is configured)

    return isinstance(layer, RedisChannelLayer)


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


# How often a socket joins its groups again. Far below the layer's
# ``group_expiry`` (settings), so a live socket never ages out of a group.
REJOIN_EVERY = 20.0
LAYER_CALL_TIMEOUT = 3.0
# How often a process reads its marker in Redis, how soon it tries again while
# Redis is away, and how long the marker outlives a process that died.
WATCH_EVERY = 1.0
WATCH_RETRY = 0.1
MARKER_TTL = 60


class LayerWatch:
    """The open sockets of one process (one Redis layer, one event loop), joined
    again together as soon as Redis lost them.

    Redis forgets every membership when it restarts, and nothing tells the
    sockets: the process's own receive fails once, for one socket, and the
    others would wait for their next heartbeat (``REJOIN_EVERY``) deaf. The
    watch sets a marker key (``SET ... GET``, one command) every ``WATCH_EVERY``
    seconds, and at once when a socket saw the layer fail (``layer_failed``);
    while Redis does not answer it asks every ``WATCH_RETRY`` seconds. A
    missing marker (restart, flush) or a failure seen meanwhile means doorbells
    and memberships may be gone: every socket joins its groups again (one
    pipeline) and then receives ``layer.recovered`` to catch up from the record.
    """

    _watches: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def __init__(self, layer):
        self.layer = layer
        self.sockets: weakref.WeakSet = weakref.WeakSet()
        self.marker = f"{layer.prefix}:alive:{layer.client_prefix}"
        self.failed = False
        self.marked = False  # the first marker is news to nobody
        self.wake = asyncio.Event()
        self.task: asyncio.Task | None = None

    @classmethod
    def of(cls, layer) -> LayerWatch | None:
        """The watch of ``layer`` in the running event loop (None for a layer that cannot
        forget: the in-memory one lives and dies with the process)."""
        if layer is None or not _is_redis(layer):
            return None
        per_loop = cls._watches.setdefault(asyncio.get_running_loop(), {})
        if id(layer) not in per_loop or per_loop[id(layer)].layer is not layer:
            per_loop[id(layer)] = cls(layer)
        return per_loop[id(layer)]

    def add(self, socket) -> None:
        self.sockets.add(socket)
        if self.task is None or self.task.done():
            self.task = asyncio.ensure_future(self._run())

    def discard(self, socket) -> None:
        self.sockets.discard(socket)
        if not self.sockets and self.task is not None:
            self.task.cancel()
            self.task = None

    def layer_failed(self) -> None:
        """A socket saw the layer fail: check now, and join everyone again once it answers."""
        self.failed = True
        self.wake.set()

    async def _marker_was_there(self) -> bool:
        """Set the marker on every Redis host; False if one of them had lost it."""
        kept = True
        for index in range(self.layer.ring_size):
            connection = self.layer.connection(index)
            kept &= await connection.set(self.marker, 1, ex=MARKER_TTL, get=True) is not None
        return kept

    async def _run(self) -> None:
        while self.sockets:
            self.wake.clear()
            try:
                kept = await asyncio.wait_for(self._marker_was_there(), LAYER_CALL_TIMEOUT)
            except Exception:
                self.failed = True
                await asyncio.sleep(WATCH_RETRY)
                continue
            if (not kept and self.marked) or self.failed:
                self.failed = False
                try:
                    await self.rejoin_all()
                except Exception:
                    log.warning("could not join the sockets again; trying again", exc_info=True)
                    self.failed = True
                    await asyncio.sleep(WATCH_RETRY)
                    continue
            self.marked = True
            try:
                await asyncio.wait_for(self.wake.wait(), WATCH_EVERY)
            except TimeoutError:
                pass

    async def rejoin_all(self) -> None:
        sockets = [s for s in self.sockets if s._joined()]
        memberships = [(group, s.channel_name) for s in sockets for group in s._joined()]
        dropped = await asyncio.wait_for(groups_join(self.layer, memberships),
                                         LAYER_CALL_TIMEOUT)
        log.info("channel layer back: %s sockets joined again, %s had been dropped",
                 len(sockets), len({s.channel_name for s in sockets} & dropped))
        # Members again first, so the next message is live; then each socket
        # asks the record for what the lost doorbells announced.
        for socket in sockets:
            await asyncio.wait_for(self.layer.send(socket.channel_name,
                                                   {"type": "layer.recovered"}),
                                   LAYER_CALL_TIMEOUT)


class SessionBoundSocket:
    """For consumers: ``await self.join_group(name)`` for each group and
    ``await self.bind_to_session()`` once the person is let in; ``leave_groups()``
    on disconnect.

    Every group joined is kept and joined again every ``REJOIN_EVERY`` seconds
    (and by ``rejoin_groups`` whenever the consumer suspects the layer). When a
    membership turns out to have been lost, the consumer receives a
    ``layer.recovered`` event: doorbells may have been missed, so it tells its
    client to catch up from the record. A failure of the layer never closes the
    socket nor fails the handshake: it is retried at the next round.
    """

    person_group_name = None
    session_key = None
    _keeper = None

    def _joined(self) -> list[str]:
        if "_groups_joined" not in self.__dict__:
            self._groups_joined = []
        return self._groups_joined

    async def _layer_call(self, fn, *args):
        return await asyncio.wait_for(fn(*args), LAYER_CALL_TIMEOUT)

    async def join_group(self, group: str) -> None:
        if group not in self._joined():
            self._joined().append(group)
        watch = LayerWatch.of(self.channel_layer)
        if watch is not None:
            watch.add(self)
        try:
            await self._layer_call(group_join, self.channel_layer, group, self.channel_name)
        except Exception:
            log.warning("could not join %s; joining again at the next round", group,
                        exc_info=True)
            self.layer_failed()
        if self._keeper is None:
            self._keeper = asyncio.ensure_future(self._keep_groups())

    def layer_failed(self) -> None:
        """The layer failed under this socket: the process's watch checks Redis at once."""
        watch = LayerWatch.of(self.channel_layer)
        if watch is not None:
            watch.layer_failed()

    async def rejoin_groups(self) -> bool:
        """Join every group again; True if a membership was lost (or could not be checked)."""
        lost = False
        for group in list(self._joined()):
            try:
                lost |= await self._layer_call(group_join, self.channel_layer, group,
                                               self.channel_name)
            except Exception:
                log.warning("could not join %s again", group, exc_info=True)
                self.layer_failed()
                lost = True
        return lost

    async def _keep_groups(self) -> None:
        lost = False
        while True:
            await asyncio.sleep(REJOIN_EVERY)
            lost = await self.rejoin_groups() or lost
            if lost:
                try:  # through the layer, so the consumer handles it in turn
                    await self._layer_call(self.channel_layer.send, self.channel_name,
                                           {"type": "layer.recovered"})
                    lost = False
                except Exception:
                    log.warning("layer still failing; trying again", exc_info=True)

    async def leave_groups(self) -> None:
        self._stop_keeping()
        for group in self._joined():
            try:
                await self._layer_call(self.channel_layer.group_discard, group,
                                       self.channel_name)
            except Exception:  # it ages out of the group (group_expiry)
                log.warning("could not leave %s", group, exc_info=True)
        self._joined().clear()

    async def __call__(self, scope, receive, send):
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._stop_keeping()

    def _stop_keeping(self) -> None:
        if self._keeper is not None:
            self._keeper.cancel()
            self._keeper = None
        watch = LayerWatch.of(getattr(self, "channel_layer", None))
        if watch is not None:
            watch.discard(self)

    async def layer_recovered(self, event) -> None:
        """Consumers override this to also tell their client to catch up."""
        await self.rejoin_groups()

    async def bind_to_session(self) -> None:
        session = self.scope.get("session")
        self.session_key = getattr(session, "session_key", None)
        self.person_group_name = person_group(self.scope["user"].pk)
        await self.join_group(self.person_group_name)

    async def session_ended(self, event) -> None:
        if not event.get("session") or event["session"] == self.session_key:
            await self.close(code=SESSION_ENDED)

    async def session_alive(self) -> bool:
        """The session this socket was opened with still exists (not logged out, not erased)."""
        if not self.session_key:
            return False
        return await database_sync_to_async(self.scope["session"].exists)(self.session_key)
