"""Production: every secret and every server address comes from the environment.

Required: SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL. Usually also REDIS_URL
(channel layer and cache for several ASGI processes), MEDIA_STORAGE=s3 with
S3_*, SMS_BACKEND=aliyun with SMS_ALIYUN_*. ``deploy/jiayuan.env.example``
lists them all; ``manage.py check --deploy`` with these settings and a real
HTTPS setup reports no warning.

The layout this expects (``deploy/``): nginx in front terminates TLS, serves
``/static/`` itself, sends uploads only after Django's check
(``MEDIA_ACCEL_REDIRECT``, see ``portal.media``) and passes everything else,
WebSockets under ``/ws/`` included, to two or more ASGI processes
(``manage.py serve --no-ticker``, the server named by ``ASGI_SERVER``); one ``manage.py ticker`` and one or more
``manage.py db_worker`` run the background work.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F401,F403
from .base import DATABASES, env, env_bool, env_list

DEBUG = False
if not os.environ.get("SECRET_KEY"):
    raise ImproperlyConfigured("SECRET_KEY must be set in production")

# nginx says which scheme the browser used, and the client's address: it
# overwrites X-Forwarded-For with $remote_addr. Only nginx on this machine is
# believed (portal.clientip); list other proxies' addresses in TRUSTED_PROXIES.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", "127.0.0.1,::1")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
USE_X_FORWARDED_HOST = False
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# Secure cookies follow HTTPS. Only a loopback test without TLS
# (scripts/prod-up) turns both off; a real server never does.
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", SECURE_SSL_REDIRECT)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS") or [
    f"https://{host}" for host in env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
]

# Wagtail's page preview and the image chooser show our own pages in an
# iframe, so X-Frame-Options stays SAMEORIGIN (base.py, and the CSP's
# frame-ancestors 'self'); DENY would break the editors' preview.
SILENCED_SYSTEM_CHECKS = ["security.W019"]

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A connection pool per process (psycopg_pool, Django's "pool" option): under
    # ASGI every request runs in a thread of its own, so connections cannot be
    # kept per thread (CONN_MAX_AGE stays 0, see base.py); a request borrows one
    # from the pool and gives it back when it ends, and no new connection is
    # opened per request. DATABASE_POOL_MAX connections at most per process
    # (processes × this must stay under PostgreSQL's max_connections); 0 turns
    # pooling off.
    pool_max = int(env("DATABASE_POOL_MAX", "8"))
    if pool_max:
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": 1, "max_size": pool_max, "timeout": 10,
        }

TASKS = {
    "default": {"BACKEND": env("TASKS_BACKEND", "django_tasks_db.DatabaseBackend")}
}

# The whole county's logs go to journald through stdout/stderr.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "jiayuan": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO"),
                    "propagate": False},
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}
