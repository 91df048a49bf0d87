"""Background work of the core: running event handlers after commit."""

from __future__ import annotations

import logging

from celery import shared_task

from bihuan.core.events import handlers_for
from bihuan.core.models import Event

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)  # type: ignore[untyped-decorator]
def handle_event(event_id: int) -> int:
    """Run every handler registered for the event's verb. Handlers are idempotent."""
    event = Event.objects.filter(pk=event_id).first()
    if event is None:
        return 0
    handlers = handlers_for(event.verb)
    for handler in handlers:
        handler(event)
    return len(handlers)
