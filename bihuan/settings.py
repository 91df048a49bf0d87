"""Bihuan settings.

One settings module for both ways to run. Defaults are the embedded mode (SQLite in ./data,
in-process background work, local-memory cache); production sets only URLs and secrets through
``BIHUAN_*`` / ``DATABASE_URL`` / ``REDIS_URL`` environment variables. Every helper fails loudly
on a value it cannot parse, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
PACKAGE_DIR = Path(__file__).resolve().parent


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DATA_DIR = Path(env_str("BIHUAN_DATA_DIR", str(BASE_DIR / "data")))
DEBUG = env_bool("BIHUAN_DEBUG", False)
_DEV_SECRET = "bihuan-embedded-insecure-key-change-me-in-production"  # noqa: S105
SECRET_KEY = env_str("BIHUAN_SECRET_KEY", _DEV_SECRET)
# Old keys still accepted for signatures and for opening encrypted mailbox passwords (rotation).
SECRET_KEY_FALLBACKS = env_list("BIHUAN_SECRET_KEY_FALLBACKS", [])
PRODUCTION = bool(os.environ.get("DATABASE_URL"))
if PRODUCTION and SECRET_KEY == _DEV_SECRET:
    raise ImproperlyConfigured("BIHUAN_SECRET_KEY must be set when DATABASE_URL is set")
ALLOWED_HOSTS = env_list("BIHUAN_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("BIHUAN_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",
    "ninja",
    "bihuan.core",
    "bihuan.accounts",
    "bihuan.customers",
    "bihuan.tickets",
    "bihuan.triage",
    "bihuan.channels",
    "bihuan.channels.chat",
    "bihuan.channels.messaging",
    "bihuan.channels.phone",
    "bihuan.sla",
    "bihuan.knowledge",
    "bihuan.automation",
    "bihuan.feedback",
    "bihuan.portal",
    "bihuan.live",
    "bihuan.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "bihuan.core.api_errors.ApiErrorShapeMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "bihuan.core.security.SecurityHeadersMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "bihuan.urls"
ASGI_APPLICATION = "bihuan.asgi.application"
WSGI_APPLICATION = "bihuan.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "bihuan.core.context_processors.chrome",
            ],
        },
    },
]

# --- Database: SQLite (WAL) in the data folder unless DATABASE_URL names PostgreSQL.


def database_pool(config: Mapping[str, Any]) -> dict[str, Any]:
    """Give a PostgreSQL database a connection pool per process (psycopg_pool).

    Under ASGI every request runs its sync view in a thread of its own: persistent
    connections would be one per thread and exhaust PostgreSQL (bench/, finding 2), and a new
    connection per request costs its set-up every time. A small pool per worker process
    bounds the connections and reuses them; Django returns a connection to the pool at the
    end of each request.
    """
    settings_dict = dict(config)
    if settings_dict["ENGINE"] == "django.db.backends.postgresql" and env_bool(
        "BIHUAN_DB_POOL", True
    ):
        settings_dict["CONN_MAX_AGE"] = 0  # the pool keeps the connections, not the threads
        settings_dict.setdefault("OPTIONS", {})["pool"] = {
            "min_size": env_int("BIHUAN_DB_POOL_MIN", 2),
            "max_size": env_int("BIHUAN_DB_POOL_MAX", 8),
            "timeout": env_int("BIHUAN_DB_POOL_TIMEOUT", 10),
        }
    return settings_dict


def database_session(config: Mapping[str, Any]) -> dict[str, Any]:
    """Session settings of every PostgreSQL connection the app opens.

    JIT compilation off (unless ``BIHUAN_DB_JIT``): the app's queries are short, index-driven
    and bounded, but their cost estimates (a scope subquery, a bounded count over several
    indexes) pass ``jit_above_cost`` and PostgreSQL then spends 90–180 ms compiling a query that
    runs in 10–30 ms (docs/performance.md). Set here, so that every deployment and the bench
    run the same way whatever the server's postgresql.conf says.
    """
    settings_dict = dict(config)
    if settings_dict["ENGINE"] == "django.db.backends.postgresql" and not env_bool(
        "BIHUAN_DB_JIT", False
    ):
        options = settings_dict.setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c jit=off".strip()
    return settings_dict


if PRODUCTION:
    DATABASES = {
        "default": database_session(
            database_pool(
                dj_database_url.parse(
                    os.environ["DATABASE_URL"],
                    # Without the pool (BIHUAN_DB_POOL=false): 0, for the same reason.
                    conn_max_age=env_int("BIHUAN_DB_CONN_MAX_AGE", 0),
                    conn_health_checks=True,
                )
            )
        )
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "bihuan.sqlite3"),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA busy_timeout=20000;"
                    "PRAGMA foreign_keys=ON;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, background work, live updates.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "bihuan",
        }
    }
    CELERY_BROKER_URL = env_str("BIHUAN_CELERY_BROKER_URL", REDIS_URL)
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = False
# Agents' replies on SMS tickets go out by SMS only when this is on (as email replies need
# outbound mail): each text costs money, so an admin switches it on with a provider.
BIHUAN_SMS_REPLIES = env_bool("BIHUAN_SMS_REPLIES", False)

# The chat widget: a demo shop page at /chat/demo/ (always on with DEBUG), and each visitor's
# limits (messages a minute, characters a message).
BIHUAN_CHAT_DEMO = env_bool("BIHUAN_CHAT_DEMO", False)
BIHUAN_CHAT_MESSAGES_PER_MINUTE = env_int("BIHUAN_CHAT_MESSAGES_PER_MINUTE", 20)
BIHUAN_CHAT_MAX_MESSAGE_CHARS = env_int("BIHUAN_CHAT_MAX_MESSAGE_CHARS", 2000)

# Live updates and chat (Django Channels): one process's memory in the embedded default; Redis
# in production, so that a message published by one ASGI worker reaches a browser connected to
# another.
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": "bihuan:live:"},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
CELERY_TASK_ACKS_LATE = True
CELERY_TIMEZONE = "Asia/Shanghai"
# A broker that does not answer must not hold up the request that sends a wake-up.
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 2}

# --- Background work (bihuan/core/runner.py): reactions to events and due work are rows in
# the database, handled by a runner thread inside `bihuan serve` (embedded) or by
# `bihuan worker` processes (production). The broker only carries wake-ups.
BIHUAN_EMBEDDED_RUNNER = env_bool("BIHUAN_EMBEDDED_RUNNER", not PRODUCTION)
BIHUAN_WAKE_VIA_BROKER = env_bool("BIHUAN_WAKE_VIA_BROKER", bool(REDIS_URL))
BIHUAN_WAKE_QUEUE = env_str("BIHUAN_WAKE_QUEUE", "bihuan-wake")
# A runner looks for work at least this often, whatever wake-ups it got (or lost).
BIHUAN_SWEEP_SECONDS = env_int("BIHUAN_SWEEP_SECONDS", 5 if PRODUCTION else 2)
# Woken after an idle pass, a runner waits this long (milliseconds) for the rest of a burst
# of commits, so that one pass handles them as one batch per consumer.
BIHUAN_RUNNER_GATHER_SECONDS = env_int("BIHUAN_RUNNER_GATHER_MS", 50) / 1000
# A process sends at most one wake-up message per this interval (the commits in between are
# woken by that message too: the runner reads everything claimable).
BIHUAN_WAKE_INTERVAL_SECONDS = env_int("BIHUAN_WAKE_INTERVAL_MS", 20) / 1000
BIHUAN_JOB_MAX_ATTEMPTS = env_int("BIHUAN_JOB_MAX_ATTEMPTS", 8)
BIHUAN_JOB_RETRY_SECONDS = env_int("BIHUAN_JOB_RETRY_SECONDS", 10)
# A runner that dies holds its claimed work this long; then another runner takes it.
BIHUAN_LEASE_SECONDS = env_int("BIHUAN_LEASE_SECONDS", 300)
BIHUAN_REACTIONS_INLINE = False  # tests: reactions handled right after commit, in-thread

# --- Auth.
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("BIHUAN_PASSWORD_MIN_LENGTH", 10)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "tickets:inbox"
LOGOUT_REDIRECT_URL = "accounts:login"
# Failed sign-ins: after 5 failures an account is locked for 15 minutes whatever address
# the attempts come from, and so is an address whatever accounts it tries.
AXES_FAILURE_LIMIT = env_int("BIHUAN_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 0.25
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
# Our page, and a notification to the account's owner when the account itself is locked.
AXES_LOCKOUT_CALLABLE = "bihuan.accounts.views.locked_out"
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
SESSION_COOKIE_HTTPONLY = True
BEHIND_PROXY = env_bool("BIHUAN_BEHIND_PROXY", False)
if BEHIND_PROXY:
    # The proxy terminates TLS and says so in X-Forwarded-Proto (see deploy/nginx.conf).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # The client's address is the last one the proxy appended; earlier ones are whatever
    # the client sent, so they never decide a lock-out.
    AXES_IPWARE_PROXY_COUNT = 1
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
else:
    # Without a proxy an X-Forwarded-For header is the client's own invention.
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]
SESSION_COOKIE_SECURE = env_bool("BIHUAN_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# --- Security headers (HTTPS settings follow BIHUAN_SECURE_COOKIES: the site is on HTTPS).
SECURE_SSL_REDIRECT = env_bool("BIHUAN_SSL_REDIRECT", SESSION_COOKIE_SECURE)
SECURE_HSTS_SECONDS = env_int("BIHUAN_HSTS_SECONDS", 31_536_000 if SESSION_COOKIE_SECURE else 0)
# Sent from the help desk's own host name, these cover only its subdomains (a help desk at
# helpdesk.example.com says nothing about example.com), and the preload list admits only
# registrable domains: safe defaults once the site is on HTTPS.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("BIHUAN_HSTS_INCLUDE_SUBDOMAINS", SECURE_HSTS_SECONDS > 0)
SECURE_HSTS_PRELOAD = env_bool("BIHUAN_HSTS_PRELOAD", SECURE_HSTS_SECONDS > 0)
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# No inline script or style anywhere (bihuan.core.security.SecurityHeadersMiddleware).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
# Request bodies: a form or JSON body up to 2.5 MB, a file upload up to 25 MB; larger → 413.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("BIHUAN_MAX_BODY_BYTES", 2_621_440)
BIHUAN_MAX_UPLOAD_BYTES = env_int("BIHUAN_MAX_UPLOAD_BYTES", 26_214_400)

# --- Internationalisation.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale", PACKAGE_DIR / "locale"]
TIME_ZONE = env_str("BIHUAN_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static files: installed by npm at set-up, collected into STATIC_ROOT, served by whitenoise.
STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
if not PRODUCTION:
    # The embedded mode keeps its database and collected files here; create it on first run.
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION

BIHUAN_PAGE_SIZE = env_int("BIHUAN_PAGE_SIZE", 25)
# Triage decisions at or above this confidence are applied; below, they are suggestions.
BIHUAN_TRIAGE_THRESHOLD = float(env_str("BIHUAN_TRIAGE_THRESHOLD", "0.6"))
BIHUAN_API_PAGE_SIZE_MAX = 100
# The counts beside the inbox views may be this many seconds old (one aggregate, cached).
BIHUAN_VIEW_COUNTS_SECONDS = env_int("BIHUAN_VIEW_COUNTS_SECONDS", 10)

# --- Email channel (docs/channels.md). Uploaded and received files go through the default
# storage: the filesystem under MEDIA_ROOT unless STORAGES names an S3-compatible backend.
MEDIA_ROOT = Path(env_str("BIHUAN_MEDIA_ROOT", str(DATA_DIR / "media")))
MEDIA_URL = "media/"
BIHUAN_MAIL_DOMAIN = env_str("BIHUAN_MAIL_DOMAIN", "bihuan.localhost")  # our Message-IDs' host
BIHUAN_MAIL_MAX_BYTES = env_int("BIHUAN_MAIL_MAX_BYTES", 40 * 1024 * 1024)
BIHUAN_MAIL_ATTACHMENT_MAX_BYTES = env_int("BIHUAN_MAIL_ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024)
# Outbound mail goes through Django's SMTP backend; email is offered as a reply channel only
# when BIHUAN_MAIL_FROM names our From address ("闭环客服 <support@example.cn>").
BIHUAN_MAIL_FROM = env_str("BIHUAN_MAIL_FROM", "")
# The address customers and agents reach Bihuan at, for links in mail (surveys, notifications).
BIHUAN_PUBLIC_URL = env_str(
    "BIHUAN_PUBLIC_URL",
    CSRF_TRUSTED_ORIGINS[0] if CSRF_TRUSTED_ORIGINS else "http://127.0.0.1:8000",
)
DEFAULT_FROM_EMAIL = BIHUAN_MAIL_FROM or "bihuan@localhost"
EMAIL_HOST = env_str("BIHUAN_SMTP_HOST", "localhost")
EMAIL_PORT = env_int("BIHUAN_SMTP_PORT", 25)
EMAIL_HOST_USER = env_str("BIHUAN_SMTP_USER", "")
EMAIL_HOST_PASSWORD = env_str("BIHUAN_SMTP_PASSWORD", "")
EMAIL_USE_TLS = env_bool("BIHUAN_SMTP_STARTTLS", False)
EMAIL_USE_SSL = env_bool("BIHUAN_SMTP_SSL", False)
EMAIL_TIMEOUT = 30

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("BIHUAN_LOG_LEVEL", "WARNING")},
}
