"""Test settings: a fast password hasher, a file SQLite (shared by the ASGI and live-server
threads) or the PostgreSQL named by BIHUAN_TEST_DATABASE_URL."""

from __future__ import annotations

import os

import dj_database_url

from bihuan.settings import *  # noqa: F403
from bihuan.settings import DATA_DIR, database_pool, database_session

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DEBUG = False
AXES_ENABLED = True
_test_db = os.environ.get("BIHUAN_TEST_DATABASE_URL", "")
if _test_db:
    # The same pool as production, so that the suite runs the configuration that ships.
    DATABASES = {"default": database_session(database_pool(dj_database_url.parse(_test_db)))}
    # One test database per session, so that concurrent runs never share (or drop) one.
    DATABASES["default"]["TEST"] = {"NAME": f"test_bihuan_{os.getpid()}"}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "test.sqlite3"),
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
            "TEST": {"NAME": str(DATA_DIR / f"test-db-{os.getpid()}.sqlite3")},
        }
    }
_test_redis = os.environ.get("BIHUAN_TEST_REDIS_URL", "")
_xdist_worker = os.environ.get("PYTEST_XDIST_WORKER", "")  # gw0, gw1…
if _test_redis and _xdist_worker.startswith("gw"):
    # One Redis database per test worker: a test's cache.clear() (FLUSHDB) or a rate-limit
    # counter must not reach the tests the other worker runs at the same time. Database 13 is
    # the background-worker tests' broker (bihuan/core/tests/test_background_worker.py).
    _base, _sep, _db = _test_redis.rpartition("/")
    if _sep and _db.isdigit():
        _spare = [n for n in range(int(_db), -1, -1) if n != 13]
        _test_redis = f"{_base}/{_spare[int(_xdist_worker[2:] or 0) % len(_spare)]}"
if _test_redis:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _test_redis,
            "KEY_PREFIX": "bihuan-test",
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [_test_redis], "prefix": "bihuan-test:live:"},
        }
    }
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Every test client builds its own middleware chain, and WhiteNoise (serving from the finders,
# as in the embedded mode) scanned and stat-ed every static file each time it was built: about
# 80 ms per client, most of the access matrix's time. Looked up per static request instead.
WHITENOISE_AUTOREFRESH = True
BIHUAN_RAISE_HANDLER_ERRORS = True
# Reactions to events run right after commit in the committing thread (the same runner code
# as `bihuan serve` and `bihuan worker`), so a test can assert them after the service call.
BIHUAN_REACTIONS_INLINE = True
BIHUAN_EMBEDDED_RUNNER = False
BIHUAN_WAKE_VIA_BROKER = False
BIHUAN_VIEW_COUNTS_SECONDS = 0  # tests read counts right after changing tickets

# A real `bihuan worker` started by a test (bihuan/core/tests/) runs with these set: it opens
# the test session's database and reads wake-ups from the test's own Redis queue.
_worker_db = os.environ.get("BIHUAN_WORKER_DB_NAME", "")
if _worker_db:
    DATABASES["default"]["NAME"] = _worker_db
_broker = os.environ.get("BIHUAN_TEST_CELERY_BROKER", "")
if _broker:
    CELERY_BROKER_URL = _broker
    BIHUAN_WAKE_VIA_BROKER = True
    BIHUAN_WAKE_QUEUE = os.environ.get("BIHUAN_TEST_CELERY_QUEUE", "bihuan-wake")
if os.environ.get("BIHUAN_TEST_WORKER"):
    BIHUAN_REACTIONS_INLINE = False
    BIHUAN_RAISE_HANDLER_ERRORS = False
