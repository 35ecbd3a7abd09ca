"""The embedded default: one machine, one command, nothing to install."""

from .base import *  # noqa: F401,F403
from .base import env_bool, env_list

DEBUG = env_bool("DEBUG", True)
ALLOWED_HOSTS = ["*"]
# Not the wildcard above: a page on any other site could open a chat socket
# with the developer's cookie. Set ALLOWED_HOSTS to try it from a phone on the LAN.
WEBSOCKET_ALLOWED_ORIGINS = env_list("WEBSOCKET_ALLOWED_ORIGINS") or env_list(
    "ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
