"""Settings for the test suite: SQLite in memory unless DATABASE_URL says PostgreSQL."""

import os

from .base import *  # noqa: F401,F403

DEBUG = False
SECRET_KEY = "test-only"
ALLOWED_HOSTS = ["*"]
WEBSOCKET_ALLOWED_ORIGINS = ["localhost", "127.0.0.1", "[::1]"]  # as on the dev server
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
if not os.environ.get("DATABASE_URL"):
    # A file, not ":memory:": the browser tests' live server answers from
    # several threads, and one shared in-memory connection cannot serve them.
    (BASE_DIR / "var").mkdir(exist_ok=True)  # noqa: F405
    _test_db = os.environ.get("TEST_SQLITE_NAME") or str(BASE_DIR / "var" / "test.sqlite3")  # noqa: F405
    DATABASES["default"] = {  # noqa: F405
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": _test_db,
        "TEST": {"NAME": _test_db},
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;",
        },
    }
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
MEDIA_ROOT = BASE_DIR / "var" / "test-media"  # noqa: F405
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if not os.environ.get("REDIS_URL"):
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
# The SMS counters live in a cache shared by every test of a process; a test of
# the caps sets its own (portal/tests/test_sms.py).
SMS_LIMITS = {"PER_NUMBER_HOUR": 10_000, "PER_NUMBER_DAY": 10_000, "GLOBAL_PER_HOUR": 100_000}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
