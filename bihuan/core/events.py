"""Writing to the event log, with the reactions it owes, in the caller's transaction.

``record_event`` must be called inside the service's transaction: the event row commits or
rolls back with the change it describes, and so do the ``Reaction`` rows it inserts for every
consumer registered for its verb (``core.consumers``). After commit the runners are woken
(``core.wakeups``); they handle the reactions in the background, so no request waits for
one, and a lost wake-up or a killed process delays a reaction but never loses it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from bihuan.core import wakeups
from bihuan.core.consumers import consumer, consumers_of, on_event
from bihuan.core.models import Event, Notification, Reaction

__all__ = ["consumer", "notify", "on_event", "record_event", "subject_type_of"]


def subject_type_of(subject: models.Model | type[models.Model]) -> str:
    """The ``subject_type`` stored for a model: its label with the app ("tickets.ticket")."""
    return subject._meta.label_lower


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
    assert transaction.get_connection().in_atomic_block, "record_event needs a transaction"
    event = Event.objects.create(
        occurred_at=at or timezone.now(),
        actor=actor if actor is not None and getattr(actor, "pk", None) else None,
        verb=verb,
        subject_type=subject_type_of(subject),
        subject_id=int(subject.pk),
        ticket_id=ticket_id,
        customer_id=customer_id,
        data=data or {},
    )
    wanted = consumers_of(event)
    if wanted:
        now = timezone.now()
        Reaction.objects.bulk_create(
            Reaction(
                consumer=c.name,
                event=event,
                event_at=event.occurred_at,
                available_at=now,
            )
            for c in wanted
        )
        wakeups.wake_after_commit()
    return event


def notify(event: Event, recipients: Iterable[Any]) -> list[Notification]:
    """Create one notification per recipient for ``event`` (never twice for the same user)."""
    rows = [
        Notification(recipient=user, event=event, created_at=event.occurred_at)
        for user in {u.pk: u for u in recipients if u is not None}.values()
    ]
    return Notification.objects.bulk_create(rows, ignore_conflicts=True)
