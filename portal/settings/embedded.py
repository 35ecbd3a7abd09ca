"""The embedded default: one machine, one command (``scripts/run``), nothing to install.

This is what a small community runs, so it serves like a release: DEBUG off
(a failure shows the friendly 500 page, the traceback goes to the console),
static files with hashed names, gzip and brotli variants and a year's cache
(collectstatic, which scripts/run does, and WhiteNoise), a SECRET_KEY made
once and kept in ``var/secret_key`` (never a default one), ALLOWED_HOSTS from
the environment (this machine unless told). SQLite (WAL), the in-memory
channel layer and tasks in-process come from ``base.py``.

``DEBUG=1`` turns on the developer's conveniences: Django's debug pages, and
static files read from the source folders as they change (no collectstatic).
"""

from pathlib import Path

from .base import *  # noqa: F401,F403
from .base import (
    BASE_DIR,
    LOGGING,
    MIDDLEWARE,
    STORAGES,
    env,
    env_bool,
    env_list,
    secret_key_kept,
)

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env("SECRET_KEY") or secret_key_kept(
    Path(env("SECRET_KEY_FILE", str(BASE_DIR / "var" / "secret_key"))))
# To open it from a phone on the LAN: ALLOWED_HOSTS=192.168.1.20,localhost
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
# Not a wildcard, ever: a page on any other site could open a chat socket with
# the resident's cookie (portal.sockets).
WEBSOCKET_ALLOWED_ORIGINS = env_list("WEBSOCKET_ALLOWED_ORIGINS") or [
    host for host in ALLOWED_HOSTS if host != "*"] or ["localhost", "127.0.0.1", "[::1]"]

# Daphne serves the pages itself here, with no nginx in front to compress them.
MIDDLEWARE = [*MIDDLEWARE]
MIDDLEWARE.insert(MIDDLEWARE.index("whitenoise.middleware.WhiteNoiseMiddleware") + 1,
                  "portal.middleware.TextGZipMiddleware")

if DEBUG:
    STORAGES = {**STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    WHITENOISE_USE_FINDERS = True
    WHITENOISE_AUTOREFRESH = True

# With DEBUG off Django would only mail a failure's traceback to ADMINS,
# which the embedded default has none of: print it where the operator looks.
LOGGING = {
    **LOGGING,
    "loggers": {
        **LOGGING["loggers"],
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}
