"""The live chat socket: thin, strict, and never the record.

Protocol (JSON frames). The client sends:

- ``{"type": "hello", "last_seq": N}`` on every (re)connect: the server sends
  every stored message numbered after N (``messages``), then ``state``;
- ``{"type": "send", "client_key": K, "body": "..."}``: stored once per K,
  answered with ``ack`` (its number) or ``error``;
- ``{"type": "fetch", "after": N, "upto": M}``: a gap the client noticed;
- ``{"type": "read", "seq": N}``, ``{"type": "typing"}``, ``{"type": "ping"}``.

The server pushes ``message`` (one new message, with its number), ``read``
(the other side has read up to N), ``typing``, ``state`` and ``pong``. Any
push may be lost; the numbers let the client notice and ask again.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from buildings.access import may, reread_scope, scope_of
from buildings.models import Community
from portal import limits
from portal.errors import Refused
from portal.params import BadParameter, parse_id, parse_int
from portal.sockets import SessionBoundSocket

from . import selectors, services
from .events import console_group, conversation_group
from .models import Conversation

MAX_FRAME = 16 * 1024
MAX_DEPTH = 8  # the protocol's frames are one object deep; a little room, no more
TYPING_EVERY = 1.0
LAYER_RETRY_SECONDS = 1.0

log = logging.getLogger("jiayuan.liaison")


def _fresh(user) -> None:
    # Not forget_scope: a connect must not recompute anyone's scope, let alone
    # everyone's; the cached one is retired by the signals when it changes.
    reread_scope(user)
    if hasattr(user, "_liaison_on_duty"):
        del user._liaison_on_duty


class _JsonSocket(SessionBoundSocket, AsyncWebsocketConsumer):
    """JSON frames, closed when the person's session ends (``portal.sockets``), and a
    socket that outlives a failure of the channel layer.

    Channels awaits the layer's ``receive`` next to the client's; if the layer
    raises (Redis slow, restarting, out of connections), the exception would
    end the consumer and close a healthy socket. The layer is only a doorbell,
    so here a failed receive is logged, retried after a pause, and turned into
    a ``layer.recovered`` event: the consumer then tells its client to check
    the record, which brings back whatever the lost doorbells announced.
    """

    @property
    def channel_receive(self):
        return self._receive_from_layer

    @channel_receive.setter
    def channel_receive(self, receive):  # set by AsyncConsumer.__call__
        self._layer_receive = receive

    async def _receive_from_layer(self):
        try:
            return await self._layer_receive()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("channel layer receive failed; the socket stays up", exc_info=True)
            self.layer_failed()  # the other sockets of the process are joined again too
            await asyncio.sleep(LAYER_RETRY_SECONDS)
            return {"type": "layer.recovered"}

    async def _group_send(self, group: str, event: dict) -> None:
        """A doorbell from the consumer (typing): losing one is harmless, failing is not."""
        try:
            await self.channel_layer.group_send(group, event)
        except Exception:
            log.warning("group_send to %s failed", group, exc_info=True)

    async def receive(self, text_data=None, bytes_data=None):
        if text_data is None or len(text_data) > MAX_FRAME:
            await self.send_json({"type": "error", "code": "too_large",
                                  "message": _("消息太大了。")})
            return
        content = parse_frame(text_data)
        if not isinstance(content, dict):
            await self.send_json({"type": "error", "code": "bad_frame",
                                  "message": _("看不懂这条消息。")})
            return
        try:
            await self.receive_json(content)
        except BadParameter as exc:
            await self.send_json({"type": "error", "code": "invalid",
                                  "client_key": _key(content), "message": exc.message})

    async def send_json(self, content) -> None:
        await self.send(text_data=json.dumps(content, ensure_ascii=False))


class ChatConsumer(_JsonSocket):
    """``ws/chat/<id>/``: one conversation, for the people allowed to read it."""

    async def connect(self):
        self.user = self.scope.get("user")
        self.group = None
        self.last_typing = 0.0
        if self.user is None or not self.user.is_authenticated:
            await self.close(code=4401)
            return
        try:
            self.conversation_id = parse_id(self.scope["url_route"]["kwargs"]["conversation_id"])
        except BadParameter:
            await self.close(code=4404)
            return
        conversation = await self._load()
        if conversation is None:
            await self.close(code=4403)
            return
        self.group = conversation_group(self.conversation_id)
        await self.join_group(self.group)
        await self.bind_to_session()
        await self.accept()

    async def disconnect(self, code):
        await self.leave_groups()

    @database_sync_to_async
    def _load(self) -> Conversation | None:
        """The conversation if this person may read it now (checked afresh), else None."""
        _fresh(self.user)
        conversation = (Conversation.objects.select_related("assignee")
                        .filter(pk=self.conversation_id).first())
        if conversation is None or not may(self.user, "liaison.view_conversation", conversation):
            return None
        self.conversation = conversation
        return conversation

    # --- from the client -----------------------------------------------------

    async def receive_json(self, content):
        kind = content.get("type")
        if kind == "ping":
            await self.send_json({"type": "pong", "t": content.get("t")})
        elif kind == "hello":
            after = _seq(content, "last_seq", 0)
            # Usually everything fits in one round trip to the database.
            items, state = await self._db(selectors.catch_up, self.conversation_id, after=after)
            if items:
                await self.send_json({"type": "messages", "items": items})
            if len(items) >= selectors.CATCH_UP_LIMIT:
                await self._catch_up(items[-1]["seq"], None, with_state=True)
            else:
                await self.send_json({"type": "state", "state": state})
        elif kind == "fetch":
            await self._catch_up(_seq(content, "after", 0), _seq(content, "upto", None))
        elif kind == "send":
            await self._send_message(content)
        elif kind == "read":
            await self._db(services.conversation_mark_read, conversation=self.conversation,
                           reader=self.user, seq=_seq(content, "seq", 0))
        elif kind == "typing":
            now = time.monotonic()
            if now - self.last_typing >= TYPING_EVERY and self._writer_role():
                self.last_typing = now
                await self._group_send(self.group, {
                    "type": "chat.typing", "role": self._writer_role(),
                    "channel": self.channel_name})

    def _writer_role(self) -> str:
        c = self.conversation
        if self.user.pk == c.resident_id and c.status != "closed":
            return "resident"
        if self.user.pk == c.assignee_id and c.status == "open":
            return "staff"
        return ""

    async def _catch_up(self, after: int, upto: int | None, *, with_state: bool = False):
        while True:
            items = await self._db(selectors.messages_between, self.conversation,
                                   after=after, upto=upto)
            if items:
                await self.send_json({"type": "messages", "items": items})
                after = items[-1]["seq"]
            if len(items) < selectors.CATCH_UP_LIMIT:
                break
        if with_state:
            await self._send_state()

    async def _send_message(self, content: dict):
        client_key = _key(content)
        body = content.get("body")
        if not isinstance(body, str):
            return
        if not await self.session_alive():  # logged out, and the doorbell was lost
            await self.close(code=4401)
            return
        # Per person, across all their sockets; a refused message is not stored.
        if wait := await limits.acheck("chat_send", self.user.pk):
            await self.send_json({"type": "error", "client_key": client_key, "code": "rate",
                                  "retry": True, "retry_after": wait,
                                  "message": _("发得太快了，请稍等几秒再发。")})
            return
        try:
            message, _created = await self._db(
                services.message_post, conversation=self.conversation, sender=self.user,
                body=body, client_key=client_key)
        except PermissionDenied as exc:
            await self.send_json({"type": "error", "client_key": client_key,
                                  "code": "forbidden", "message": str(exc)})
            return
        except Refused as exc:  # every app's refusal (a ChatError here), answered in the frame
            await self.send_json({"type": "error", "client_key": client_key,
                                  "code": "forbidden" if exc.forbidden else "invalid",
                                  "message": str(exc)})
            return
        # The message ends this typing spell: the next "typing" is news, not a repeat.
        self.last_typing = 0.0
        await self.send_json({"type": "ack", "client_key": client_key, "seq": message.seq})

    async def _send_state(self):
        if await self._load() is None:
            await self.send_json({"type": "gone"})
            await self.close(code=4403)
            return
        state = await self._db(selectors.conversation_state, self.conversation)
        await self.send_json({"type": "state", "state": state})

    @database_sync_to_async
    def _db(self, fn, *args, **kwargs):
        return fn(*args, **kwargs)

    # --- from the group ------------------------------------------------------

    async def chat_message(self, event):
        # Any message of this writer's, however it came (this socket, a photo or a
        # voice note over HTTP, another tab), ends the typing spell: the other side
        # hides "typing" when it arrives, so the next keystroke is news again.
        if self.last_typing and event["message"].get("role") == self._writer_role():
            self.last_typing = 0.0
        await self.send_json({"type": "message", "message": event["message"]})

    async def chat_read(self, event):
        await self.send_json({"type": "read", "role": event["role"], "seq": event["seq"]})

    async def chat_typing(self, event):
        if event.get("channel") != self.channel_name:
            await self.send_json({"type": "typing", "role": event["role"]})

    async def layer_recovered(self, event):
        # Doorbells may have been lost while the layer failed, and the
        # memberships with them (a restarted Redis is empty): join again, then
        # send the state, which carries the last number; the client fetches
        # anything after what it has.
        await self.rejoin_groups()
        await self._send_state()

    async def chat_state(self, event):
        # Who may read may have changed (picked up by someone else, handed over):
        # _send_state checks afresh and closes the socket if no longer allowed.
        await self._send_state()


class ConsoleConsumer(_JsonSocket):
    """``ws/chat/console/``: tells a staff console that its lists changed."""

    async def connect(self):
        self.user = self.scope.get("user")
        if self.user is None or not self.user.is_authenticated:
            await self.close(code=4401)
            return
        communities = await self._communities()
        if communities is None:
            await self.close(code=4403)
            return
        for community_id in communities:
            await self.join_group(console_group(community_id))
        await self.bind_to_session()
        await self.accept()

    @database_sync_to_async
    def _communities(self):
        _fresh(self.user)
        if not may(self.user, "liaison.use_console"):
            return None
        scope = scope_of(self.user)
        if scope.is_superuser:
            return list(Community.objects.values_list("pk", flat=True))
        return sorted(set(scope.liaison_community_ids) | set(scope.admin_community_ids))

    async def disconnect(self, code):
        await self.leave_groups()

    async def receive_json(self, content):
        if content.get("type") == "ping":
            await self.send_json({"type": "pong", "t": content.get("t")})

    async def layer_recovered(self, event):
        await self.rejoin_groups()
        await self.send_json({"type": "changed", "conversation": None, "reason": "recovered"})

    async def console_changed(self, event):
        await self.send_json({"type": "changed", "conversation": event.get("conversation"),
                              "reason": event.get("reason")})


def parse_frame(text: str):
    """The frame as JSON, or None: no NaN/Infinity, and nothing nested past MAX_DEPTH
    (checked before parsing, so a deep frame never reaches the recursive parser)."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_DEPTH:
                return None
        elif ch in "]}":
            depth -= 1
    try:
        return json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        return None


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number in JSON")


def _seq(content: dict, name: str, default: int | None) -> int | None:
    """A message number from a frame: a whole number from 0 up, or absent."""
    value = content.get(name)
    return default if value is None else parse_int(value, name=name)


def _key(content: dict) -> str:
    return str(content.get("client_key") or "")[:64]
