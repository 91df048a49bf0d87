"""The runner: claims pending reactions and due items from the database and handles them.

The same code runs in three places: a thread inside ``bihuan serve`` (embedded mode), the
``bihuan worker`` processes (production, several at once, on several machines), and inline
after commit in tests. It never trusts a broker with work: it sleeps until a wake-up
(``core.wakeups``) or the next due instant, and sweeps every ``BIHUAN_SWEEP_SECONDS`` anyway.

Claiming: in a short transaction, pending rows whose ``available_at`` has passed are selected
with ``FOR UPDATE SKIP LOCKED`` (PostgreSQL; SQLite has one writer at a time, which gives the
same exclusion), and their ``available_at`` is moved one lease ahead with this claim's token.
A runner that dies loses its lease; another runner takes the rows once it expires. Finishing
is a conditional update on the token, so a runner that lost its lease cannot mark done what
another runner holds (for atomic handlers its work then rolls back).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import traceback
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from django.conf import settings
from django.db import IntegrityError, close_old_connections, connections, transaction
from django.db import connection as db_connection
from django.db.models import F, Min
from django.utils import timezone
from kombu.connection import Connection as _Connection
from kombu.entity import Exchange as _Exchange
from kombu.entity import Queue as _Queue

from bihuan.core import due_work, wakeups
from bihuan.core.consumers import Consumer, registered_consumers
from bihuan.core.models import DueItem, Event, Reaction, WorkState

logger = logging.getLogger(__name__)
# kombu is only partly typed: its objects are used as Any.
Connection: Any = _Connection
Exchange: Any = _Exchange
Queue: Any = _Queue


class LeaseLost(Exception):
    """Another runner took the rows after this runner's lease expired."""


def backoff(attempts: int) -> timedelta:
    """Wait before the next attempt: doubling from BIHUAN_JOB_RETRY_SECONDS, at most 1 h."""
    base = float(getattr(settings, "BIHUAN_JOB_RETRY_SECONDS", 10))
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 3600.0))


def lease(configured: timedelta | None = None) -> timedelta:
    """How long a claim holds its rows before another runner may take them."""
    return configured or timedelta(seconds=int(getattr(settings, "BIHUAN_LEASE_SECONDS", 300)))


def max_attempts(configured: int | None) -> int:
    return configured or int(getattr(settings, "BIHUAN_JOB_MAX_ATTEMPTS", 8))


def _error_text(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc))[-4000:]


@dataclass
class Round:
    """What one pass of the runner did."""

    reactions: int = 0
    due_items: int = 0

    @property
    def total(self) -> int:
        return self.reactions + self.due_items


def ready_consumers(moment: datetime) -> list[Consumer]:
    """The registered consumers with claimable reactions at ``moment``, in one round trip:
    one probe of the pending-reactions index per consumer, whatever the backlog."""
    consumers = registered_consumers()
    if not consumers:
        return []
    connection = connections[Reaction.objects.db]
    table = connection.ops.quote_name(Reaction._meta.db_table)
    probe = (
        f"SELECT %s WHERE EXISTS (SELECT 1 FROM {table} WHERE consumer = %s "  # noqa: S608
        "AND state = %s AND available_at <= %s)"
    )
    at = connection.ops.adapt_datetimefield_value(moment)
    params: list[Any] = []
    for c in consumers:
        params += [c.name, c.name, str(WorkState.PENDING), at]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join([probe] * len(consumers)), params)
        ready = {row[0] for row in cursor.fetchall()}
    return [c for c in consumers if c.name in ready]


class Runner:
    """Claims and handles work. ``raise_errors`` (tests) lets a handler's error through."""

    def __init__(
        self,
        name: str = "",
        *,
        raise_errors: bool = False,
        due_batch: int = 100,
        yield_seconds: float = 0.005,
        gather_seconds: float | None = None,
    ):
        self.name = (name or f"{socket.gethostname()}:{os.getpid()}")[:40]
        self.raise_errors = raise_errors
        self.due_batch = due_batch
        self.yield_seconds = yield_seconds
        self.gather_seconds = (
            float(getattr(settings, "BIHUAN_RUNNER_GATHER_SECONDS", 0.05))
            if gather_seconds is None
            else gather_seconds
        )

    def _token(self) -> str:
        return f"{self.name}:{uuid.uuid4().hex[:12]}"

    # --- Reactions -----------------------------------------------------------------------

    def run_reactions(
        self, consumer: Consumer, *, now: datetime | None = None, checked: bool = False
    ) -> int:
        """Claim and handle one batch of ``consumer``'s pending reactions; returns how many.
        ``checked``: the caller has just seen claimable ones (``ready_consumers``)."""
        moment = now or timezone.now()
        claimable = Reaction.objects.filter(
            consumer=consumer.name, state=WorkState.PENDING, available_at__lte=moment
        )
        # A read first: an idle tick takes no write lock (SQLite has only one).
        if not checked and not claimable.exists():
            return 0
        token = self._token()
        with transaction.atomic():
            claimed = list(
                claimable.select_for_update(skip_locked=True)
                .order_by("available_at", "id")
                .values_list("pk", "event_id")[: consumer.batch_size]
            )
            if not claimed:
                return 0
            Reaction.objects.filter(pk__in=[pk for pk, _event in claimed]).update(
                available_at=moment + lease(),
                claimed_by=token,
                attempts=F("attempts") + 1,
            )
        events = {e.pk: e for e in Event.objects.filter(pk__in=[e for _pk, e in claimed])}
        pairs = [(pk, events[event_id]) for pk, event_id in claimed if event_id in events]
        pairs.sort(key=lambda pair: pair[1].pk)
        try:
            self._handle_reactions(consumer, pairs, token)
        except LeaseLost:
            logger.warning("consumer %s lost its lease on %s reactions", consumer.name, len(pairs))
        except Exception as exc:
            if self.raise_errors:
                raise
            if len(pairs) == 1:
                self._fail(Reaction, pairs[0][0], token, exc, consumer.max_attempts)
            else:
                # Find the bad event(s): the others must not wait behind them.
                for pair in pairs:
                    try:
                        self._handle_reactions(consumer, [pair], token)
                    except LeaseLost:
                        continue
                    except Exception as single:
                        self._fail(Reaction, pair[0], token, single, consumer.max_attempts)
        return len(claimed)

    def _handle_reactions(
        self, consumer: Consumer, pairs: Sequence[tuple[int, Event]], token: str
    ) -> None:
        ids = [pk for pk, _event in pairs]
        events = [event for _pk, event in pairs]
        if consumer.atomic:
            with transaction.atomic():
                consumer.handle(events)
                if self._finish_reactions(ids, token) != len(ids):
                    raise LeaseLost  # rolls the handler's work back: the new holder does it
        else:
            consumer.handle(events)
            with transaction.atomic():
                self._finish_reactions(ids, token)

    def _finish_reactions(self, ids: list[int], token: str) -> int:
        return Reaction.objects.filter(
            pk__in=ids, claimed_by=token, state=WorkState.PENDING
        ).update(state=WorkState.DONE, finished_at=timezone.now(), claimed_by="", last_error="")

    # --- Due work ------------------------------------------------------------------------

    def run_due(self, *, now: datetime | None = None) -> int:
        """Claim and handle up to ``due_batch`` due items; returns how many were claimed."""
        moment = now or timezone.now()
        kinds = {k.name: k for k in due_work.registered_kinds()}
        if not kinds:
            return 0
        claimable = DueItem.objects.filter(
            state=WorkState.PENDING, available_at__lte=moment, kind__in=list(kinds)
        )
        if not claimable.exists():
            return 0
        token = self._token()
        with transaction.atomic():
            claimed = list(
                claimable.select_for_update(skip_locked=True).order_by("available_at", "id")[
                    : self.due_batch
                ]
            )
            for kind_name in {item.kind for item in claimed}:
                DueItem.objects.filter(
                    pk__in=[i.pk for i in claimed if i.kind == kind_name]
                ).update(
                    available_at=moment + lease(kinds[kind_name].lease),
                    claimed_by=token,
                    attempts=F("attempts") + 1,
                )
        for item in claimed:
            self._let_writers_in()
            kind = kinds[item.kind]
            item.attempts += 1
            item.claimed_by = token
            try:
                if kind.atomic:
                    with transaction.atomic():
                        kind.handle(item)
                        if not self._finish_due(item, kind, token):
                            raise LeaseLost
                else:
                    kind.handle(item)
                    with transaction.atomic():
                        self._finish_due(item, kind, token)
            except LeaseLost:
                logger.warning("due item %s: lease lost or rescheduled while running", item.pk)
            except Exception as exc:
                if self.raise_errors:
                    raise
                self._fail(DueItem, item.pk, token, exc, kind.max_attempts)
        return len(claimed)

    def _finish_due(self, item: DueItem, kind: due_work.DueKind, token: str) -> bool:
        now = timezone.now()
        # Unchanged due instant: an item moved while it ran stays pending at its new time.
        finished = DueItem.objects.filter(
            pk=item.pk, claimed_by=token, state=WorkState.PENDING, due_at=item.due_at
        ).update(state=WorkState.DONE, finished_at=now, claimed_by="", last_error="")
        if finished and kind.repeat is not None:
            following = due_work.next_occurrence(kind, item.due_at, now)
            try:
                with transaction.atomic():
                    DueItem.objects.create(
                        kind=item.kind,
                        key=item.key,
                        due_at=following,
                        available_at=following,
                        data=item.data,
                        created_at=now,
                    )
            except IntegrityError:
                pass  # someone scheduled the next occurrence already
        return bool(finished)

    # --- Failures ------------------------------------------------------------------------

    def _fail(
        self,
        model: type[Reaction] | type[DueItem],
        pk: int,
        token: str,
        exc: BaseException,
        configured_attempts: int | None,
    ) -> None:
        logger.warning("%s %s failed", model.__name__, pk, exc_info=exc)
        with transaction.atomic():
            row = (
                model.objects.select_for_update()
                .filter(pk=pk, claimed_by=token, state=WorkState.PENDING)
                .first()
            )
            if row is None:
                return
            row.last_error = _error_text(exc)
            row.claimed_by = ""
            if row.attempts >= max_attempts(configured_attempts):
                row.state = WorkState.PARKED
            else:
                row.available_at = timezone.now() + backoff(row.attempts)
            row.save(update_fields=["last_error", "claimed_by", "state", "available_at"])

    # --- Loops ---------------------------------------------------------------------------

    def _let_writers_in(self) -> None:
        """SQLite has one writer at a time and its busy handler is not a queue: a runner going
        from one write transaction straight to the next would starve the web requests (and
        other runners) waiting for the lock. A short pause between transactions lets them in.
        """
        if self.yield_seconds and db_connection.vendor == "sqlite":
            time.sleep(self.yield_seconds)

    def run_once(
        self, *, now: datetime | None = None, reactions: bool = True, due: bool = True
    ) -> Round:
        """One batch per consumer, one batch of due items."""
        done = Round()
        if reactions:
            moment = now or timezone.now()
            for consumer in ready_consumers(moment):
                handled = self.run_reactions(consumer, now=moment, checked=True)
                if handled:
                    done.reactions += handled
                    self._let_writers_in()
        if due:
            done.due_items += self.run_due(now=now)
        return done

    def run_until_idle(
        self,
        *,
        now: datetime | None = None,
        reactions: bool = True,
        due: bool = True,
        max_rounds: int = 10_000,
    ) -> Round:
        """Run batches until nothing claimable is left (work created by handlers included)."""
        total = Round()
        for _ in range(max_rounds):
            done = self.run_once(now=now, reactions=reactions, due=due)
            total.reactions += done.reactions
            total.due_items += done.due_items
            if not done.total:
                break
        return total

    def seconds_until_next(self, *, now: datetime | None = None) -> float | None:
        """Seconds until the earliest pending reaction or due item becomes claimable."""
        moment = now or timezone.now()
        instants: list[datetime] = []
        # Pending reactions that are not claimable yet are few (retries backing off): one
        # query for all consumers.
        first = Reaction.objects.filter(
            state=WorkState.PENDING, consumer__in=[c.name for c in registered_consumers()]
        ).aggregate(first=Min("available_at"))["first"]
        if first is not None:
            instants.append(first)
        kinds = [k.name for k in due_work.registered_kinds()]
        if kinds:
            first = (
                DueItem.objects.filter(state=WorkState.PENDING, kind__in=kinds)
                .order_by("available_at")
                .values_list("available_at", flat=True)
                .first()
            )
            if first is not None:
                instants.append(first)
        if not instants:
            return None
        return max(0.0, (min(instants) - moment).total_seconds())

    def serve(self, stop: threading.Event, wake: WakeSource, *, sweep_seconds: float) -> None:
        """Work until ``stop`` is set: handle what is claimable, then sleep until a wake-up,
        the next due instant or the sweep, whichever comes first. Survives a database or
        broker outage (logs, waits, reconnects)."""
        failures = 0
        while not stop.is_set():
            wait: float | None = sweep_seconds
            try:
                close_old_connections()
                if self.run_once().total:
                    failures = 0
                    continue
                following = self.seconds_until_next()
                wait = sweep_seconds if following is None else min(following, sweep_seconds)
                failures = 0
            except Exception:
                failures += 1
                logger.exception("runner %s: pass failed (attempt %s)", self.name, failures)
                for conn in connections.all(initialized_only=True):
                    conn.close_if_unusable_or_obsolete()
                    if conn.errors_occurred or conn.connection is None:
                        conn.close()
                wait = min(sweep_seconds, 0.2 * 2 ** min(failures, 5))
            finally:
                close_old_connections()
            if wait and wait > 0 and wake.wait(wait) and self.gather_seconds:
                # Woken by a commit after an idle pass: let the other commits of the same
                # burst arrive, so that one pass handles them as one batch per consumer
                # rather than one pass (a claim and a finish per consumer) for each.
                stop.wait(self.gather_seconds)


class WakeSource(Protocol):
    def wait(self, timeout: float) -> bool: ...


class LocalWake:
    """Woken by commits made in this process (the embedded runner in ``bihuan serve``)."""

    def __init__(self) -> None:
        self.event = threading.Event()
        wakeups.listen_locally(self.event)

    def wait(self, timeout: float) -> bool:
        woken = self.event.wait(timeout)
        self.event.clear()
        return woken

    def close(self) -> None:
        wakeups.stop_listening_locally(self.event)


class BrokerWake:
    """Woken by wake-up messages on the broker (``bihuan worker``). When the broker does not
    answer, it sleeps for the timeout and tries again later: the sweep carries on."""

    def __init__(self, url: str, queue: str, stop: threading.Event) -> None:
        self.url = url
        self.queue = Queue(queue, Exchange(queue, type="direct"), routing_key=queue)
        self.stop = stop
        self._connection: Any = None
        self._last_warning = -1e9

    def _on_message(self, body: object, message: Any) -> None:
        message.ack()

    def _ensure(self) -> Any:
        if self._connection is None:
            connection = Connection(self.url, connect_timeout=2, transport_options={})
            connection.ensure_connection(max_retries=1)
            consumer = connection.Consumer([self.queue], callbacks=[self._on_message])
            consumer.consume()
            self._connection = connection
        return self._connection

    def wait(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        try:
            connection = self._ensure()
            while True:
                # In slices of a second: a blocking read would not see a stop request.
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self.stop.is_set():
                    return False
                try:
                    connection.drain_events(timeout=min(1.0, remaining))
                    break
                except TimeoutError:
                    continue
            # Take every wake-up already waiting: one pass handles them all.
            while True:
                try:
                    connection.drain_events(timeout=0.001)
                except TimeoutError:
                    return True
        except Exception:
            now = time.monotonic()
            if now - self._last_warning > 60:  # once a minute, not every sweep
                self._last_warning = now
                logger.warning("wake-up listener: broker unavailable, sweeping only", exc_info=True)
            self.close()
            self.stop.wait(timeout)
            return False

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.release()
            except Exception:
                logger.debug("closing the broker connection failed", exc_info=True)
            self._connection = None


_inline = threading.local()


def run_inline() -> None:
    """After commit, in the inline (test) mode: handle every pending reaction now."""
    if getattr(_inline, "running", False):
        return  # a handler's own commit: the outer loop picks its reactions up
    _inline.running = True
    try:
        Runner(
            "inline",
            raise_errors=getattr(settings, "BIHUAN_RAISE_HANDLER_ERRORS", False),
            yield_seconds=0,
        ).run_until_idle(due=False)
    finally:
        _inline.running = False


wakeups.set_inline_runner(run_inline)


def start_embedded_runner(*, sweep_seconds: float) -> tuple[threading.Thread, threading.Event]:
    """Run the engine in a daemon thread of this process (``bihuan serve``)."""
    stop = threading.Event()
    wake = LocalWake()

    def work() -> None:
        try:
            due_work.ensure_recurring()
        except Exception:
            logger.exception("embedded runner: could not create the periodic jobs")
        Runner(f"embedded:{os.getpid()}").serve(stop, wake, sweep_seconds=sweep_seconds)

    thread = threading.Thread(target=work, name="bihuan-runner", daemon=True)
    thread.start()
    return thread, stop
