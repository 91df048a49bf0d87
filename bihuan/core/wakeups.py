"""Wake-ups: telling runners that work is waiting, after commit, without ever carrying it.

A wake-up is only a hint. The work is already in the database (reaction rows, due items);
a lost wake-up delays it until the next sweep, never loses it. So:

- in the process that committed, runners started here (the embedded runner inside
  ``bihuan serve``) are woken through a ``threading.Event``: nothing crosses a broker;
- with ``BIHUAN_WAKE_VIA_BROKER`` (production, Redis set) a Celery message
  ``bihuan.core.tasks.wake`` goes to the ``BIHUAN_WAKE_QUEUE`` queue, read by
  ``bihuan worker``. It is sent by a background thread, coalesced, so a request never waits
  for the broker and a broker that is down costs the request nothing;
- tests set ``BIHUAN_REACTIONS_INLINE``: reactions are handled right after commit, in the
  committing thread, by the same runner code (so assertions can follow the service call).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.db import transaction

from bihuan.celery import app as celery_app

logger = logging.getLogger(__name__)
WAKE_TASK = "bihuan.core.tasks.wake"

_local_events: list[threading.Event] = []
_inline_runner: list[Callable[[], None]] = []


def listen_locally(event: threading.Event) -> None:
    """A runner of this process wants to be woken by commits made in this process."""
    _local_events.append(event)


def stop_listening_locally(event: threading.Event) -> None:
    if event in _local_events:
        _local_events.remove(event)


def set_inline_runner(run: Callable[[], None]) -> None:
    """``core.runner`` installs the function run after commit in the inline (test) mode."""
    _inline_runner[:] = [run]


def wake_after_commit() -> None:
    """Wake the runners once the current transaction commits (once per transaction)."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        wake_now()
        return
    # One wake-up per transaction, however many events it records.
    if any(entry[1] is wake_now for entry in connection.run_on_commit):
        return
    transaction.on_commit(wake_now)


def wake_now() -> None:
    for event in list(_local_events):
        event.set()
    if getattr(settings, "BIHUAN_REACTIONS_INLINE", False) and _inline_runner:
        _inline_runner[0]()
    if getattr(settings, "BIHUAN_WAKE_VIA_BROKER", False):
        _sender.request()


def send_wake() -> None:
    """Publish one wake-up message on the broker (raises when the broker does not answer)."""
    celery_app.send_task(
        WAKE_TASK,
        queue=settings.BIHUAN_WAKE_QUEUE,
        # A stale wake-up is worthless: the sweep has found the work by then.
        expires=max(60, 10 * settings.BIHUAN_SWEEP_SECONDS),
        retry=False,
        ignore_result=True,
    )


class _Sender:
    """One daemon thread per process that sends coalesced wake-ups to the broker."""

    def __init__(self) -> None:
        self._wanted = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._last_failure_logged = 0.0

    def request(self) -> None:
        self._wanted.set()
        if self._thread is None or not self._thread.is_alive():
            with self._lock:
                if self._thread is None or not self._thread.is_alive():
                    self._thread = threading.Thread(
                        target=self._run, name="bihuan-wake-sender", daemon=True
                    )
                    self._thread.start()

    def _run(self) -> None:
        while True:
            self._wanted.wait()
            # Cleared before sending: a commit after this point asks for another message.
            self._wanted.clear()
            try:
                send_wake()
                # A runner woken gathers the rest of a burst before it claims anything
                # (``BIHUAN_RUNNER_GATHER_MS``): more than one message per interval would only
                # cost this process the broker round trips (a message per commit is ≈ 9 % of
                # a web worker's CPU when tickets arrive at 60 a second).
                time.sleep(getattr(settings, "BIHUAN_WAKE_INTERVAL_SECONDS", 0.02))
            except Exception:
                now = time.monotonic()
                if now - self._last_failure_logged > 60:
                    self._last_failure_logged = now
                    logger.warning("wake-up not sent (the sweep will find the work)", exc_info=True)
                time.sleep(1)


_sender = _Sender()
