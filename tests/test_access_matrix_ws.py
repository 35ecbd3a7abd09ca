"""The access matrix's WebSocket half: every socket route × identity, through the full ASGI app.

Its own module because it needs a transactional database (the consumers read
from another thread), which cannot live inside the HTTP matrix's module-wide
savepoint. The table and the identities are those of ``test_access_matrix``.
"""

from __future__ import annotations

import asyncio

import pytest
from django.test import Client

from tests.access_world import build_world
from tests.test_access_matrix import ALLOWED_FOR, IDENTITIES

# --- The table ------------------------------------------------------------------------------

# Each socket route of portal/routing.py: who may connect.
WS_CELLS = {
    "ws/chat/console/": (None, ALLOWED_FOR("liaison", "admin")),
    "ws/chat/{pk}/": ("conversation", ALLOWED_FOR("resident", "assignee",
                                                  "admin_same_community")),
}


def test_every_websocket_route_has_a_row():
    from portal.routing import websocket_urlpatterns

    patterns = {str(p.pattern).replace("<int:conversation_id>", "{pk}")
                for p in websocket_urlpatterns}
    assert patterns == set(WS_CELLS), f"socket routes without a row: {patterns - set(WS_CELLS)}"


@pytest.mark.django_db(transaction=True)
def test_websockets():
    """Through the whole ASGI app (Origin check, session auth): accepted or refused."""
    from channels.testing import WebsocketCommunicator

    from portal.asgi import application

    world = build_world()
    cookies = {}
    for name in IDENTITIES:
        if world.users[name] is not None:
            client = Client()
            client.force_login(world.users[name])
            cookies[name] = client.cookies["sessionid"].value

    async def connect(path: str, identity: str) -> bool:
        headers = [(b"origin", b"http://localhost"), (b"host", b"localhost")]
        if identity in cookies:
            headers.append((b"cookie", f"sessionid={cookies[identity]}".encode()))
        communicator = WebsocketCommunicator(application, path, headers=headers)
        connected, _ = await communicator.connect(timeout=5)
        await communicator.disconnect()
        return connected

    failures = []
    for pattern, (label, rule) in WS_CELLS.items():
        path = "/" + pattern.format(pk=world.objects[label].pk if label else 0)
        allowed = rule.who(label)
        for identity in IDENTITIES:
            accepted = asyncio.run(connect(path, identity))
            if accepted != (identity in allowed):
                failures.append(f"{path} as {identity}: "
                                f"{'accepted' if accepted else 'refused'}")
    print(f"\nWebSocket matrix: {len(WS_CELLS)} routes, {len(IDENTITIES)} identities, "
          f"{len(WS_CELLS) * len(IDENTITIES)} cells")
    assert not failures, "\n".join(failures)
