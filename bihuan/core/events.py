"""Writing to the event log, and running reactions after commit.

``record_event`` must be called inside the service's transaction: the event row commits or
rolls back with the change it describes. Reactions (``on_event`` handlers) run only after the
commit, through Celery (in the embedded mode Celery runs tasks in-process), and must be
idempotent because a task may run twice.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from bihuan.core.models import Event, Notification

logger = logging.getLogger(__name__)
EventHandler = Callable[[Event], None]
_handlers: dict[str, list[EventHandler]] = defaultdict(list)


def on_event(*verbs: str) -> Callable[[EventHandler], EventHandler]:
    """Register a handler to run after commit for each event with one of ``verbs``."""

    def register(handler: EventHandler) -> EventHandler:
        for verb in verbs:
            _handlers[verb].append(handler)
        return handler

    return register


def handlers_for(verb: str) -> list[EventHandler]:
    return list(_handlers.get(verb, []))


def record_event(
    verb: str,
    subject: models.Model,
    *,
    actor: Any = None,
    data: dict[str, Any] | None = None,
    ticket_id: int | None = None,
    customer_id: int | None = None,
    at: Any = None,
) -> Event:
    """Append one event row in the current transaction and schedule its reactions."""
    assert transaction.get_connection().in_atomic_block, "record_event needs a transaction"
    event = Event.objects.create(
        occurred_at=at or timezone.now(),
        actor=actor if actor is not None and getattr(actor, "pk", None) else None,
        verb=verb,
        subject_type=subject._meta.model_name or "",
        subject_id=int(subject.pk),
        ticket_id=ticket_id,
        customer_id=customer_id,
        data=data or {},
    )
    if _handlers.get(verb):
        event_id = event.pk
        transaction.on_commit(lambda: _dispatch(event_id))
    return event


def _dispatch(event_id: int) -> None:
    from bihuan.core.tasks import handle_event

    try:
        handle_event.delay(event_id)
    except Exception:
        # The change itself is committed; a failing reaction must not turn the caller's
        # success into an error (a client would retry and duplicate). Log it loudly; tests
        # set BIHUAN_RAISE_HANDLER_ERRORS so that they see it.
        logger.exception("event handler failed for event %s", event_id)
        if getattr(settings, "BIHUAN_RAISE_HANDLER_ERRORS", False):
            raise


def notify(event: Event, recipients: Iterable[Any]) -> list[Notification]:
    """Create one notification per recipient for ``event`` (never twice for the same user)."""
    rows = [
        Notification(recipient=user, event=event, created_at=event.occurred_at)
        for user in {u.pk: u for u in recipients if u is not None}.values()
    ]
    return Notification.objects.bulk_create(rows, ignore_conflicts=True)
