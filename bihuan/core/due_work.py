"""Due work: one durable timer engine for everything that must happen at a given instant.

A kind of due work is registered with its handler::

    @due_work("sla.warn")
    def warn(item: DueItem) -> None: ...          # item.key, item.data, item.due_at

and items are scheduled, moved and cancelled as service calls, inside the caller's
transaction (so a timer exists exactly when the change that needs it commits)::

    schedule("sla.warn", key=f"tickets.ticket:{ticket.pk}", due_at=when, data={...})
    schedule(...)  # again with the same kind and key: moves the pending item (reschedule)
    cancel("sla.warn", key=f"tickets.ticket:{ticket.pk}")

There is at most one pending item per kind and key (a partial unique constraint). Runners
(``core.runner``) claim items whose ``available_at`` has passed, found by an index on it, with
``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two workers never take the same item.

- ``atomic=True`` (default): the handler runs in the transaction that marks the item done:
  once, even if the process dies (then it rolls back and runs again later).
- ``atomic=False`` for long work (retraining): the handler commits its own work, may report
  progress with ``report_progress``, and must be idempotent; ``lease`` must exceed its run time.
- ``repeat``: a periodic job. After an item is done, the next one is scheduled in the same
  transaction at ``repeat(due_at)`` (occurrences missed while nothing ran are skipped, not
  fired in a burst). ``ensure_recurring`` creates the first ones; runners call it at start.

A failing handler is retried with backoff and parked after ``max_attempts``; admins see parked
items with their error and retry them by hand (``retry_parked``). No timer ever lives only in a
broker: a Celery message only wakes a runner up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from bihuan.core import wakeups
from bihuan.core.models import DueItem, WorkState

DueHandler = Callable[[DueItem], None]
Repeat = Callable[[datetime], datetime]


@dataclass(frozen=True)
class DueKind:
    """A registered kind of due work."""

    name: str
    handle: DueHandler
    atomic: bool = True
    lease: timedelta | None = None  # None: settings.BIHUAN_LEASE_SECONDS
    repeat: Repeat | None = None
    max_attempts: int | None = None  # None: settings.BIHUAN_JOB_MAX_ATTEMPTS


_kinds: dict[str, DueKind] = {}


def due_work(
    kind: str,
    *,
    atomic: bool = True,
    lease: timedelta | None = None,
    repeat: Repeat | None = None,
    max_attempts: int | None = None,
) -> Callable[[DueHandler], DueHandler]:
    """Register ``handler(item)`` for due items of ``kind`` (see module doc)."""
    if len(kind) > 64:
        raise ValueError("a kind has at most 64 characters")

    def register(handler: DueHandler) -> DueHandler:
        existing = _kinds.get(kind)
        if existing is not None and existing.handle is not handler:
            raise ValueError(f"due-work kind {kind!r} is registered twice")
        _kinds[kind] = DueKind(kind, handler, atomic, lease, repeat, max_attempts)
        return handler

    return register


def registered_kinds() -> list[DueKind]:
    return sorted(_kinds.values(), key=lambda k: k.name)


def unregister_kind(name: str) -> None:
    """Tests only: forget a kind registered by a test module."""
    _kinds.pop(name, None)


def every(interval: timedelta) -> Repeat:
    """Repeat at a fixed interval after each due instant."""
    return lambda previous: previous + interval


def weekly(*, weekday: int, hour: int, minute: int = 0, zone: str = "Asia/Shanghai") -> Repeat:
    """Repeat every week on ``weekday`` (Monday 0 … Sunday 6) at ``hour:minute`` in ``zone``."""
    tz = ZoneInfo(zone)

    def following(previous: datetime) -> datetime:
        local = previous.astimezone(tz)
        candidate = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
        candidate += timedelta(days=(weekday - candidate.weekday()) % 7)
        if candidate <= local:
            candidate += timedelta(days=7)
        return candidate

    return following


def schedule(
    kind: str, *, due_at: datetime, key: str = "", data: dict[str, Any] | None = None
) -> DueItem:
    """Make ``kind``/``key`` due at ``due_at``: create the pending item, or move it (and
    replace its data) if one is pending already. Runs in the caller's transaction."""
    if kind not in _kinds:
        raise ValueError(f"unknown due-work kind {kind!r}")
    # In the caller's transaction, without a savepoint of its own (two round trips each
    # time); only the insert that may collide has one.
    with transaction.atomic(savepoint=False):
        item = (
            DueItem.objects.select_for_update()
            .filter(kind=kind, key=key, state=WorkState.PENDING)
            .first()
        )
        if item is None:
            try:
                with transaction.atomic():
                    item = DueItem.objects.create(
                        kind=kind,
                        key=key,
                        due_at=due_at,
                        available_at=due_at,
                        data=data or {},
                        created_at=timezone.now(),
                    )
            except IntegrityError:
                # A concurrent transaction created it between our read and our insert.
                item = DueItem.objects.select_for_update().get(
                    kind=kind, key=key, state=WorkState.PENDING
                )
        if item.due_at != due_at or (data is not None and item.data != data):
            item.due_at = due_at
            # A claimed item keeps its lease: the runner holding it finishes it (and its
            # done-marking then fails, the item stays pending at the new instant).
            item.available_at = max(due_at, item.available_at) if item.claimed_by else due_at
            fields = ["due_at", "available_at"]
            if data is not None:
                item.data = data
                fields.append("data")
            item.save(update_fields=fields)
        wakeups.wake_after_commit()
    return item


reschedule = schedule


def schedule_new(items: Sequence[tuple[str, str, datetime, dict[str, Any] | None]]) -> None:
    """Create pending items ``(kind, key, due_at, data)`` in one INSERT, for keys the caller
    knows have none: keys of rows inserted in this very transaction (a batch of new SLA
    clocks). A key that has one after all fails the INSERT, and the caller's transaction with
    it; ``schedule`` is the call that moves an existing item."""
    unknown = {kind for kind, *_rest in items} - set(_kinds)
    if unknown:
        raise ValueError(f"unknown due-work kind {sorted(unknown)[0]!r}")
    if not items:
        return
    now = timezone.now()
    DueItem.objects.bulk_create(
        DueItem(
            kind=kind, key=key, due_at=due_at, available_at=due_at, data=data or {}, created_at=now
        )
        for kind, key, due_at, data in items
    )
    wakeups.wake_after_commit()


def cancel(kind: str, *, key: str = "") -> int:
    """Cancel the pending item of ``kind``/``key``; returns how many were cancelled (0 or 1)."""
    return cancel_many([(kind, key)])


def cancel_many(pairs: Iterable[tuple[str, str]]) -> int:
    """Cancel the pending items of several ``(kind, key)`` pairs in one UPDATE; returns how
    many were cancelled."""
    wanted = Q()
    for kind, key in pairs:
        wanted |= Q(kind=kind, key=key)
    if not wanted:
        return 0
    return DueItem.objects.filter(wanted, state=WorkState.PENDING).update(
        state=WorkState.CANCELLED, finished_at=timezone.now(), claimed_by=""
    )


def report_progress(item: DueItem, *, done: int, total: int, note: str = "") -> None:
    """Long work (``atomic=False``) tells admins how far it got (shown by ``jobs status``)."""
    item.progress = {"done": done, "total": total, "note": note, "at": timezone.now().isoformat()}
    DueItem.objects.filter(pk=item.pk).update(progress=item.progress)


def ensure_recurring(*, now: datetime | None = None) -> int:
    """Create the first pending item of every periodic kind that has none; returns how many."""
    moment = now or timezone.now()
    rows = [
        DueItem(
            kind=k.name,
            key="",
            due_at=k.repeat(moment),
            available_at=k.repeat(moment),
            created_at=moment,
        )
        for k in _kinds.values()
        if k.repeat is not None
    ]
    pending = set(
        DueItem.objects.filter(
            kind__in=[r.kind for r in rows], key="", state=WorkState.PENDING
        ).values_list("kind", flat=True)
    )
    missing = [r for r in rows if r.kind not in pending]
    if missing:
        with transaction.atomic():
            # The partial unique constraint makes a concurrent start harmless.
            DueItem.objects.bulk_create(missing, ignore_conflicts=True)
    return len(missing)


def next_occurrence(kind: DueKind, previous: datetime, now: datetime) -> datetime:
    """The first repetition after ``now`` (missed ones are skipped)."""
    assert kind.repeat is not None
    following = kind.repeat(previous)
    for _ in range(100_000):
        if following > now:
            return following
        following = kind.repeat(following)
    return kind.repeat(now)


def retry_parked(ids: list[int]) -> int:
    """Put parked items back in the queue, due now, with their attempts reset (an item whose
    subject has been given a new pending item meanwhile stays parked)."""
    now = timezone.now()
    changed = 0
    with transaction.atomic():
        for pk in ids:
            try:
                with transaction.atomic():
                    changed += DueItem.objects.filter(pk=pk, state=WorkState.PARKED).update(
                        state=WorkState.PENDING, available_at=now, attempts=0, claimed_by=""
                    )
            except IntegrityError:
                continue
        wakeups.wake_after_commit()
    return changed
