"""Reactions to events run in a real ``bihuan worker`` process, woken through real Redis."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from django.db import connection

from bihuan.celery import app as celery_app
from bihuan.core.models import DueItem, Reaction, WorkState
from bihuan.testing.factories import make_ticket
from bihuan.tickets.models import Category
from bihuan.triage.models import TriageDecision
from bihuan.triage.services import install_default_rules

BROKER = os.environ.get("BIHUAN_TEST_CELERY_BROKER_URL", "redis://127.0.0.1:6379/13")
# A queue of this test session's own: nothing else on the same Redis can take its wake-ups.
QUEUE = f"bihuan-test-wake-{os.getpid()}"


def _redis_answers() -> bool:
    try:
        return bool(redis.Redis.from_url(BROKER, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def worker(transactional_db: None, settings: Any) -> Iterator[subprocess.Popen[bytes]]:
    if not _redis_answers():
        pytest.fail(f"Redis must answer at {BROKER} (make services starts it)")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bihuan.settings_test",
        "BIHUAN_WORKER_DB_NAME": str(connection.settings_dict["NAME"]),
        "BIHUAN_TEST_CELERY_BROKER": BROKER,
        "BIHUAN_TEST_CELERY_QUEUE": QUEUE,
        "BIHUAN_TEST_WORKER": "1",
    }
    # A sweep far longer than the test: only a wake-up can make the worker start in time.
    process = subprocess.Popen(
        [sys.executable, "-m", "bihuan", "worker", "--sweep-seconds", "120"],
        env=env,
        cwd=Path(__file__).resolve().parents[3],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    settings.BIHUAN_REACTIONS_INLINE = False
    settings.BIHUAN_WAKE_VIA_BROKER = True
    settings.BIHUAN_WAKE_QUEUE = QUEUE
    previous = celery_app.conf.broker_url
    celery_app.conf.broker_url = BROKER
    _forget_connections()
    try:
        yield process
    finally:
        celery_app.conf.broker_url = previous
        _forget_connections()
        process.terminate()
        process.wait(timeout=20)
        redis.Redis.from_url(BROKER).delete(QUEUE)


def _forget_connections() -> None:
    """Drop the producer pool built from the earlier broker setting (memory:// in tests)."""
    celery_app._pool = None  # kombu keeps its pools per broker: nothing to close here
    celery_app.__dict__.pop("amqp", None)


def _wait_for(condition: Any, *, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_a_new_ticket_is_triaged_by_a_worker_woken_through_redis(
    org: Any, worker: subprocess.Popen[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    Category.objects.create(name="退款/退货")
    install_default_rules()

    def not_here(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("triage ran in the web process, not in the worker")

    monkeypatch.setattr("bihuan.triage.services.triage_message", not_here)
    # The worker is up and idle once it has created the periodic jobs and looked around.
    assert _wait_for(lambda: DueItem.objects.exists(), seconds=30)
    time.sleep(0.5)

    ticket = make_ticket(subject="申请退款", body="我要申请退款，质量太差了", team=org.presales)

    # Nothing ran in this process: the reaction row waited in the database, the wake-up went
    # through Redis and the worker did the work long before its two-minute sweep.
    done = _wait_for(
        lambda: TriageDecision.objects.filter(ticket_id=ticket.pk).count() >= 3, seconds=60
    )
    if not done:
        exited = worker.poll() is not None and worker.stderr is not None
        pytest.fail(
            worker.stderr.read().decode()[-4000:] if exited and worker.stderr else "timeout"
        )
    ticket.refresh_from_db()
    assert ticket.category is not None
    assert ticket.category.name == "退款/退货"
    assert _wait_for(
        lambda: not Reaction.objects.exclude(state=WorkState.DONE).exists(), seconds=10
    )
