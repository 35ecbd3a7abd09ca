"""Every app's WebSocket routes, in one list (each app's ``routing.py``)."""

from .discovery import app_modules

websocket_urlpatterns = []
for module in app_modules("routing"):
    if module.__name__ != __name__:
        websocket_urlpatterns += module.websocket_urlpatterns
