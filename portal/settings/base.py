"""Settings shared by every way Jiayuan runs.

Everything that differs between the embedded default (one machine, SQLite,
in-memory channel layer, tasks in-process) and production (PostgreSQL, Redis,
several ASGI processes, S3 media) is read from the environment, so the same
code runs in both. See ``dev.py`` and ``production.py``.
"""

import os
import secrets
from pathlib import Path

import dj_database_url

from portal.staticfiles import cache_hashed_files_a_year

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


def secret_key_kept(path: Path) -> str:
    """The key in ``path``, made there on first use (random, readable by its owner only).

    Several processes may start at once: the first to link its file in wins
    and the others read what it wrote.
    """
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_urlsafe(50) + "\n")
    try:
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    return path.read_text().strip()


SECRET_KEY = env("SECRET_KEY", "dev-only-insecure-key-change-me")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# Where a browser may open a WebSocket from; empty: ALLOWED_HOSTS (never "*", see portal.sockets).
WEBSOCKET_ALLOWED_ORIGINS = env_list("WEBSOCKET_ALLOWED_ORIGINS")

INSTALLED_APPS = [
    "daphne",
    # Our apps first, so their templates override the ones of the libraries.
    "portal",
    "buildings",
    "community",
    "community.liaison",
    "community.open311",
    "notices",
    "volunteers",
    "buildings.patrols",
    "community.county",
    # Wagtail
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "portal.users_app.JiayuanUsersAppConfig",  # wagtail.users with our user forms
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    # Accounts
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.weixin",
    # Live parts and background work
    "channels",
    "django_tasks",
    "django_tasks_db",
    "rules.apps.AutodiscoverRulesConfig",
    "csp",
    # Django
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "portal.middleware.UserLanguageMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "portal.middleware.RefuseNulMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A service's refusal that a view let go: 403 with its message, or 400 (portal.errors).
    "portal.errors.RefusedMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "portal.middleware.RateLimitedMiddleware",
    "portal.middleware.JiayuanCSPMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "portal.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "portal" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "portal.context_processors.shell",
            ],
            "builtins": ["portal.templatetags.jiayuan_dates"],
        },
    },
]

ASGI_APPLICATION = "portal.asgi.application"

# --- Database -------------------------------------------------------------
# The embedded default is SQLite in WAL mode; DATABASE_URL switches to PostgreSQL.
SQLITE_PATH = Path(env("SQLITE_PATH", str(BASE_DIR / "var" / "jiayuan.sqlite3")))
# No persistent connections: under ASGI every request runs in a thread of its
# own, so a kept connection is left behind in a finished thread until garbage
# collection; scripts/load ran PostgreSQL out of connection slots (100) at 25
# users that way. Django's documentation: "When using ASGI, persistent
# connections should be disabled."
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{SQLITE_PATH}"),
        conn_max_age=0,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers and one writer work side by side; IMMEDIATE makes a
        # writing transaction take its lock at BEGIN, so two writers queue
        # instead of one failing half-way ("database is locked").
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "portal.User"

# --- Cache, channel layer, tasks -------------------------------------------


def redis_layer_host(url: str) -> dict:
    """The channel layer's connection options for the Redis at ``url``.

    - redis-py 8 reads with a 5 s socket timeout by default, the same 5 s that
      channels_redis blocks in BZPOPMIN: an idle socket's receive then times out and
      takes its consumer down (channels_redis #422). Read longer than the pop.
    - Its pool stops at 100 connections, which hundreds of sockets joining at once
      exceed: allow a larger pool.
    - After Redis restarts, every connection the pool kept is closed at the other end,
      and redis-py's asyncio connections do not retry: the first broadcast on one was
      lost ("Connection closed by server"). One retry, on a fresh connection, at once.
    """
    from redis.asyncio.retry import Retry  # noqa: PLC0415 (only where Redis is configured)
    from redis.backoff import NoBackoff  # noqa: PLC0415 (only where Redis is configured)

    return {"address": url, "socket_timeout": 20, "max_connections": 1000,
            "retry": Retry(NoBackoff(), 1)}


REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "portal.cache.RedisCache", "LOCATION": REDIS_URL}
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [redis_layer_host(REDIS_URL)],
                       # A socket joins its groups again every 20 s (portal.sockets);
                       # the members of a process that died age out after this.
                       "group_expiry": int(env("CHANNEL_GROUP_EXPIRY", "120"))},
        }
    }
else:
    # One process: the rate limits of allauth need a cache that really
    # counts, so this is a real (process-local) cache, not a dummy.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

TASKS = {
    "default": {
        "BACKEND": env("TASKS_BACKEND", "django_tasks.backends.immediate.ImmediateBackend"),
    }
}

# --- Who is asking (portal.clientip) ---------------------------------------
# Addresses (or networks) of the proxies we run in front of Daphne. Only a
# request that comes from one of them may tell us the client's address, in
# X-Forwarded-For (read from the right) or X-Real-IP. The embedded default has
# no proxy: empty, and those headers are ignored.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")

# --- Authentication (allauth, phone first) --------------------------------
AUTHENTICATION_BACKENDS = [
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
ACCOUNT_ADAPTER = "portal.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "portal.adapters.SocialAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"phone"}
ACCOUNT_SIGNUP_FIELDS = ["phone*", "password1"]  # a password is optional
ACCOUNT_FORMS = {
    "login": "portal.auth_forms.PhoneLoginForm",
    "signup": "portal.auth_forms.PhoneSignupForm",
    "confirm_login_code": "portal.auth_forms.PhoneConfirmLoginCodeForm",
    "verify_phone": "portal.auth_forms.PhoneVerifyForm",
}
ACCOUNT_USER_DISPLAY = "portal.adapters.user_display"
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_PHONE_VERIFICATION_ENABLED = True
ACCOUNT_PHONE_VERIFICATION_SUPPORTS_RESEND = True
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_SUPPORTS_RESEND = True
ACCOUNT_LOGIN_BY_CODE_TIMEOUT = 5 * 60
ACCOUNT_PREVENT_ENUMERATION = False
ACCOUNT_SESSION_REMEMBER = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_USER_MODEL_USERNAME_FIELD = "username"
ACCOUNT_RATE_LIMITS = {
    # Codes cost money and can be abused: one a minute per number, ten an hour per address.
    "request_login_code": "10/h/ip,1/m/key",
    "verify_phone": "1/m/key,10/h/ip",
    "login_failed": "10/m/ip,5/300s/key",
    "signup": "20/h/ip",
}
SOCIALACCOUNT_PROVIDERS = {}
WEIXIN_APP_ID = env("WEIXIN_APP_ID")
if WEIXIN_APP_ID:
    SOCIALACCOUNT_PROVIDERS["weixin"] = {
        "APPS": [{"client_id": WEIXIN_APP_ID, "secret": env("WEIXIN_APP_SECRET")}],
        "SCOPE": ["snsapi_login"],
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# --- SMS ------------------------------------------------------------------
# "outbox" stores every message in the database (readable in the admin) and
# prints it; "aliyun" sends through Alibaba Cloud SMS.
SMS_BACKEND = env("SMS_BACKEND", "outbox")
SMS_ALIYUN = {
    "ACCESS_KEY_ID": env("SMS_ALIYUN_ACCESS_KEY_ID"),
    "ACCESS_KEY_SECRET": env("SMS_ALIYUN_ACCESS_KEY_SECRET"),
    "SIGN_NAME": env("SMS_ALIYUN_SIGN_NAME", "仫佬家园"),
    "TEMPLATE_CODE": env("SMS_ALIYUN_TEMPLATE_CODE"),
    "ENDPOINT": env("SMS_ALIYUN_ENDPOINT", "https://dysmsapi.aliyuncs.com/"),
}

# What SMS may cost (portal.sms.sms_quota_take): messages to one number in an
# hour and in a day, and all messages in an hour. Over the budget nothing more
# is sent until the next hour, and the community admins are told.
SMS_LIMITS = {
    "PER_NUMBER_HOUR": int(env("SMS_PER_NUMBER_HOUR", "5")),
    "PER_NUMBER_DAY": int(env("SMS_PER_NUMBER_DAY", "10")),
    "GLOBAL_PER_HOUR": int(env("SMS_GLOBAL_PER_HOUR", "300")),
}

# --- Languages ------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
WAGTAIL_CONTENT_LANGUAGES = [("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "var" / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
# Behind nginx: the internal location that sends a file once portal.media has
# checked who asks ("/protected-media/"); empty: Django streams it itself.
MEDIA_ACCEL_REDIRECT = env("MEDIA_ACCEL_REDIRECT")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Hashed names, gzip and brotli (the brotli package) files beside them, kept a year.
WHITENOISE_ADD_HEADERS_FUNCTION = cache_hashed_files_a_year
if env("MEDIA_STORAGE") == "s3":
    STORAGES["default"] = {
        "BACKEND": "portal.s3.MediaS3Storage",
        "OPTIONS": {
            "bucket_name": env("S3_BUCKET"),
            "endpoint_url": env("S3_ENDPOINT_URL") or None,
            "access_key": env("S3_ACCESS_KEY"),
            "secret_key": env("S3_SECRET_KEY"),
            "region_name": env("S3_REGION") or None,
            "querystring_auth": True,
            # Pages link /media/<name>; portal.media checks who asks, then
            # redirects to a signed URL that lives this many seconds.
            "querystring_expire": int(env("S3_URL_EXPIRE", "300")),
            "file_overwrite": False,
        },
    }
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 4 * 1024 * 1024

# --- Wagtail --------------------------------------------------------------
WAGTAIL_SITE_NAME = "仫佬家园"
WAGTAILADMIN_BASE_URL = env("BASE_URL", "http://127.0.0.1:8000")
WAGTAIL_I18N_ENABLED = False
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
# Approved notices are published by their approver (a grid worker without Wagtail page
# permissions): see notices/workflows.py.
WAGTAIL_FINISH_WORKFLOW_ACTION = "notices.workflows.publish_workflow_state"
WAGTAILIMAGES_MAX_IMAGE_PIXELS = 50_000_000

# --- Security -------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
# Sessions read from the cache (Redis in production), written through to the
# database: one query less on every page, and nobody is signed out on a restart.
SESSION_ENGINE = "portal.sessions"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 60  # residents should not have to sign in every week
X_FRAME_OPTIONS = "SAMEORIGIN"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "media-src": ["'self'", "blob:"],
        "connect-src": ["'self'", "ws:", "wss:"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'self'"],
        "form-action": ["'self'"],
        "worker-src": ["'self'"],
        "manifest-src": ["'self'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "jiayuan": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    },
}

# Open311: a reported point is matched to the nearest building or public place
# within this many metres; farther away, the case is registered 待定位 (unplaced).
OPEN311_MATCH_METRES = int(env("OPEN311_MATCH_METRES", "150"))

# Jiayuan's own knobs
JIAYUAN = {
    "COMMUNITY_NAME": "仫佬家园",
}

# Six digits, no dash: what every phone in China shows for an SMS code, and
# what the keyboard offers with inputmode=numeric.
ALLAUTH_USER_CODE_FORMAT = {"numeric": True, "length": 6, "dashed": False}
