"""Writing to the event log, with the reactions it owes, in the caller's transaction.

``record_event`` must be called inside the service's transaction: the event row commits or
rolls back with the change it describes, and so do the ``Reaction`` rows it inserts for every
consumer registered for its verb (``core.consumers``). After commit the runners are woken
(``core.wakeups``); they handle the reactions in the background, so no request waits for
one, and a lost wake-up or a killed process delays a reaction but never loses it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import models, transaction
from django.db.models.signals import post_save
from django.utils import timezone

from bihuan.core import wakeups
from bihuan.core.consumers import consumer, consumers_of, on_event
from bihuan.core.models import Event, Notification, Reaction

__all__ = [
    "NewEvent",
    "consumer",
    "notify",
    "on_event",
    "record_event",
    "record_events",
    "subject_type_of",
]


def subject_type_of(subject: models.Model | type[models.Model]) -> str:
    """The ``subject_type`` stored for a model: its label with the app ("tickets.ticket")."""
    return subject._meta.label_lower


@dataclass(frozen=True)
class NewEvent:
    """One event to append with ``record_events`` (the arguments of ``record_event``)."""

    verb: str
    subject: models.Model
    actor: Any = None
    data: dict[str, Any] | None = None
    ticket_id: int | None = None
    customer_id: int | None = None
    at: datetime | None = None


def record_event(
    verb: str,
    subject: models.Model,
    *,
    actor: Any = None,
    data: dict[str, Any] | None = None,
    ticket_id: int | None = None,
    customer_id: int | None = None,
    at: datetime | None = None,
) -> Event:
    """Append one event row and its pending reactions in the current transaction."""
    new = NewEvent(verb, subject, actor, data, ticket_id, customer_id, at)
    return record_events([new])[0]


def record_events(new: Sequence[NewEvent]) -> list[Event]:
    """Append events and their pending reactions in the current transaction: one INSERT for
    the events and one for all their reactions, whatever their number (a consumer's batch
    records its events this way). The events keep the order given (ascending ids)."""
    assert transaction.get_connection().in_atomic_block, "events are recorded in a transaction"
    if not new:
        return []
    now = timezone.now()
    events = Event.objects.bulk_create(
        Event(
            occurred_at=item.at or now,
            actor=item.actor if getattr(item.actor, "pk", None) else None,
            verb=item.verb,
            subject_type=subject_type_of(item.subject),
            subject_id=int(item.subject.pk),
            ticket_id=item.ticket_id,
            customer_id=item.customer_id,
            data=item.data or {},
        )
        for item in new
    )
    reactions = [
        Reaction(consumer=c.name, event=event, event_at=event.occurred_at, available_at=now)
        for event in events
        for c in consumers_of(event)
    ]
    if reactions:
        Reaction.objects.bulk_create(reactions)
        wakeups.wake_after_commit()
    for event in events:
        # A bulk insert sends no ``post_save``: send it, as ``save`` would, for the apps
        # that follow new events (the live pages' publisher).
        post_save.send(
            sender=Event,
            instance=event,
            created=True,
            update_fields=None,
            raw=False,
            using=event._state.db,
        )
    return events


def notify(event: Event, recipients: Iterable[Any]) -> list[Notification]:
    """Create one notification per recipient for ``event`` (never twice for the same user)."""
    rows = [
        Notification(recipient=user, event=event, created_at=event.occurred_at)
        for user in {u.pk: u for u in recipients if u is not None}.values()
    ]
    return Notification.objects.bulk_create(rows, ignore_conflicts=True)
