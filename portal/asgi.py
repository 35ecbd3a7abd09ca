"""One ASGI application for HTTP and WebSocket, served by Daphne.

Each app that has live parts lists its WebSocket routes (``ws/...``) in its
own ``routing.py``; they are gathered here behind the Origin check and the
session authentication (``portal.sockets``: never a wildcard Origin).
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.embedded")

django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter  # noqa: E402

from . import sockets  # noqa: E402
from .routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": sockets.application(websocket_urlpatterns),
    }
)
