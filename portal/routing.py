"""Every app's WebSocket routes, in one list."""

from importlib import import_module

websocket_urlpatterns = []
for app in ("community", "community.liaison", "notices", "volunteers"):
    try:
        module = import_module(f"{app}.routing")
    except ModuleNotFoundError as exc:
        if exc.name != f"{app}.routing":
            raise
        continue
    websocket_urlpatterns += module.websocket_urlpatterns
