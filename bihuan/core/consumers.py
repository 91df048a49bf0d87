"""Consumers of the event log: each reaction handled at least once, in batches, durably.

A consumer is registered for event verbs::

    @consumer("triage.classify", verbs=("ticket.created",), batch_size=200, atomic=False)
    def classify(events: Sequence[Event]) -> None: ...

``record_event`` inserts one ``Reaction`` row per matching consumer in the event's own
transaction (the outbox), so a committed event always has its pending reactions, whatever
happens to the process or the broker afterwards. Runners (``core.runner``) claim pending
reactions per consumer, oldest first, up to ``batch_size`` at a time, and call the handler
with the events in id order.

- ``atomic=True`` (default): the handler runs in the same transaction that marks its
  reactions done. A crash rolls both back; the batch is handled again, never half: exactly
  once for what the handler writes to the database.
- ``atomic=False``: for slow batches (classification, mail) that must not hold one long
  transaction. The handler commits its own work and must be idempotent (a unique constraint,
  a "done already?" check under a lock): after a crash the batch is handed out again.

A batch that raises is retried event by event at once, so one bad event never holds back
the others; the bad one is retried with backoff and parked after ``max_attempts`` (admins see
it with its error and can retry it by hand). ``accepts`` filters events at record time, so
no row is written for events the consumer would ignore.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bihuan.core.models import Event

BatchHandler = Callable[[Sequence[Event]], None]
EventHandler = Callable[[Event], None]


@dataclass(frozen=True)
class Consumer:
    """A registered reaction: which verbs, how to handle a batch, how to retry."""

    name: str
    verbs: frozenset[str]
    handle: BatchHandler
    batch_size: int = 100
    atomic: bool = True
    accepts: Callable[[Event], bool] | None = None
    max_attempts: int | None = None  # None: settings.BIHUAN_JOB_MAX_ATTEMPTS

    def wants(self, event: Event) -> bool:
        return event.verb in self.verbs and (self.accepts is None or self.accepts(event))


_consumers: dict[str, Consumer] = {}


def consumer(
    name: str,
    *,
    verbs: Sequence[str],
    batch_size: int = 100,
    atomic: bool = True,
    accepts: Callable[[Event], bool] | None = None,
    max_attempts: int | None = None,
) -> Callable[[BatchHandler], BatchHandler]:
    """Register ``handler(events)`` as the consumer ``name`` of ``verbs`` (see module doc).

    ``name`` is stored in every reaction row: keep it stable (``app.what_it_does``).
    """
    if len(name) > 64:
        raise ValueError("a consumer name has at most 64 characters")

    def register(handler: BatchHandler) -> BatchHandler:
        existing = _consumers.get(name)
        if existing is not None and existing.handle is not handler:
            raise ValueError(f"consumer {name!r} is registered twice")
        _consumers[name] = Consumer(
            name=name,
            verbs=frozenset(verbs),
            handle=handler,
            batch_size=max(1, batch_size),
            atomic=atomic,
            accepts=accepts,
            max_attempts=max_attempts,
        )
        return handler

    return register


def on_event(
    *verbs: str, name: str | None = None, accepts: Callable[[Event], bool] | None = None
) -> Callable[[EventHandler], EventHandler]:
    """Register a one-event handler as an atomic consumer (a batch is a loop over it)."""

    def register(handler: EventHandler) -> EventHandler:
        def handle(events: Sequence[Event]) -> None:
            for event in events:
                handler(event)

        consumer_name = name or f"{handler.__module__.removeprefix('bihuan.')}.{handler.__name__}"
        consumer(consumer_name, verbs=verbs, batch_size=50, accepts=accepts)(handle)
        return handler

    return register


def consumers_of(event: Event) -> list[Consumer]:
    """The consumers that want ``event`` (called by ``record_event``)."""
    return [c for c in _consumers.values() if c.wants(event)]


def registered_consumers() -> list[Consumer]:
    return sorted(_consumers.values(), key=lambda c: c.name)


def unregister_consumer(name: str) -> None:
    """Tests only: forget a consumer registered by a test module."""
    _consumers.pop(name, None)
