"""The embedded default with the developer's conveniences: DEBUG (``DEBUG=false``
turns it off), any Host, static files read from the source folders as they
change, no collectstatic needed.

``scripts/run`` serves ``portal.settings.embedded``, DEBUG off; ``DEBUG=1
scripts/run`` turns on the same conveniences there. Kept for tools and
benchmarks that render pages without collecting static files first.
"""

from .base import env_bool, env_list
from .embedded import *  # noqa: F401,F403

DEBUG = env_bool("DEBUG", True)
ALLOWED_HOSTS = ["*"]
# Not the wildcard above: a page on any other site could open a chat socket
# with the developer's cookie. Set ALLOWED_HOSTS to try it from a phone on the LAN.
WEBSOCKET_ALLOWED_ORIGINS = env_list("WEBSOCKET_ALLOWED_ORIGINS") or env_list(
    "ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
STORAGES = {**STORAGES, "staticfiles": {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
