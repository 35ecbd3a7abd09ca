"""Live events of the liaison room. Sent only after the transaction commits.

The socket is a doorbell, not the record: every event here can be lost
(Channels' layers deliver at most once) and the clients recover from the
database by their message numbers.
"""

from __future__ import annotations

import asyncio
import logging
import threading

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from .selectors import message_payload

log = logging.getLogger("jiayuan.liaison")


def conversation_group(conversation_id: int) -> str:
    return f"liaison.conv.{conversation_id}"


def console_group(community_id: int) -> str:
    return f"liaison.console.{community_id}"


# A broadcast that hangs (Redis starved of CPU) must not hold up the answer to
# the sender: the message is stored already, and the clients catch up by number.
BROADCAST_TIMEOUT = 3.0


def _send(group: str, event: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return

    async def bounded() -> None:
        await asyncio.wait_for(layer.group_send(group, event), BROADCAST_TIMEOUT)

    def ring() -> None:
        try:
            async_to_sync(bounded)()
        except Exception:  # a lost doorbell is recovered by the clients; never fail the write
            log.warning("group_send to %s failed", group, exc_info=True)

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        ring()  # the usual case: a request or a consumer's worker thread
        return
    # Called from a thread that runs an event loop itself (a script, a test
    # driving a browser): async_to_sync cannot be used here, so ring from aside.
    thread = threading.Thread(target=ring)
    thread.start()
    thread.join(10)


def after_commit(group: str, event: dict) -> None:
    transaction.on_commit(lambda: _send(group, event))


def message_stored(message) -> None:
    payload = message_payload(message)
    after_commit(conversation_group(message.conversation_id),
                 {"type": "chat.message", "message": payload})


def conversation_changed(conversation, *, reason: str) -> None:
    """The state (status, who answers, case) changed: each socket re-checks and refreshes."""
    after_commit(conversation_group(conversation.pk), {"type": "chat.state", "reason": reason})
    console_changed(conversation.community_id, conversation_id=conversation.pk, reason=reason)


def console_changed(community_id: int, *, conversation_id: int | None = None,
                    reason: str = "") -> None:
    after_commit(console_group(community_id),
                 {"type": "console.changed", "conversation": conversation_id, "reason": reason})


def read_up_to(conversation, *, role: str, seq: int) -> None:
    after_commit(conversation_group(conversation.pk),
                 {"type": "chat.read", "role": role, "seq": seq})
