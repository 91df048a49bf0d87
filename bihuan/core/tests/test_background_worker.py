"""Reactions to events run after commit in a real Celery worker, through real Redis."""

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
from bihuan.testing.factories import make_ticket
from bihuan.tickets.models import Category
from bihuan.triage.models import TriageDecision
from bihuan.triage.services import install_default_rules

BROKER = os.environ.get("BIHUAN_TEST_CELERY_BROKER_URL", "redis://127.0.0.1:6379/13")
# A queue of this test session's own: nothing else on the same Redis can take its tasks.
QUEUE = f"bihuan-test-{os.getpid()}"


def _redis_answers() -> bool:
    try:
        return bool(redis.Redis.from_url(BROKER, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def worker(transactional_db: None) -> Iterator[subprocess.Popen[bytes]]:
    if not _redis_answers():
        pytest.fail(f"Redis must answer at {BROKER} (make services starts it)")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bihuan.settings_test",
        "BIHUAN_WORKER_DB_NAME": str(connection.settings_dict["NAME"]),
        "BIHUAN_TEST_CELERY_BROKER": BROKER,
        "BIHUAN_TEST_CELERY_QUEUE": QUEUE,
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "bihuan",
            "worker",
            "--pool",
            "solo",
            "--concurrency",
            "1",
            "--queues",
            QUEUE,
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "WARNING",
        ],
        env=env,
        cwd=Path(__file__).resolve().parents[3],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    previous = {
        "eager": celery_app.conf.task_always_eager,
        "broker": celery_app.conf.broker_url,
        "queue": celery_app.conf.task_default_queue,
    }
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = BROKER
    celery_app.conf.task_default_queue = QUEUE
    _forget_connections()
    try:
        yield process
    finally:
        celery_app.conf.task_always_eager = previous["eager"]
        celery_app.conf.broker_url = previous["broker"]
        celery_app.conf.task_default_queue = previous["queue"]
        _forget_connections()
        process.terminate()
        process.wait(timeout=20)


def _forget_connections() -> None:
    """Drop what the app built from its earlier settings: since Celery 5.3 even an eager
    ``delay`` opens a producer pool on the configured broker (memory:// in tests), and the
    queues and router are computed once. Without this, a test run after another one in the
    same process would publish to the in-memory broker and the worker would never see it."""
    celery_app._pool = None  # kombu keeps its pools per broker: nothing to close here
    celery_app.__dict__.pop("amqp", None)


def _wait_for(condition: Any, *, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_a_new_ticket_is_triaged_by_a_celery_worker_after_commit(
    org: Any, worker: subprocess.Popen[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    Category.objects.create(name="退款/退货")
    install_default_rules()

    def not_here(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("triage ran in the web process, not in the worker")

    monkeypatch.setattr("bihuan.triage.services.triage_message", not_here)

    ticket = make_ticket(subject="申请退款", body="我要申请退款，质量太差了", team=org.presales)

    # Nothing ran in this process: the work went to Redis and the worker did it.
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
