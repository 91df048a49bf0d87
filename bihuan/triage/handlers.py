"""Triage reacts to new tickets, new customer messages and agents' corrections.

These run after commit (Celery; in-process in the embedded mode) and are idempotent: a
message already triaged is not triaged again, a correction already recorded stays as it is.
"""

from __future__ import annotations

from bihuan.core.events import on_event
from bihuan.core.models import Event
from bihuan.tickets.choices import MessageKind
from bihuan.triage import services
from bihuan.triage.services import FOLLOW_UP_FIELDS


@on_event("ticket.created")
def triage_new_ticket(event: Event) -> None:
    message_id = event.data.get("message")
    if event.ticket_id is not None and isinstance(message_id, int):
        services.triage_message(event.ticket_id, message_id=message_id)


@on_event("ticket.message_added")
def triage_customer_message(event: Event) -> None:
    message_id = event.data.get("message")
    if (
        event.ticket_id is not None
        and event.data.get("kind") == MessageKind.CUSTOMER
        and isinstance(message_id, int)
    ):
        services.triage_message(event.ticket_id, message_id=message_id, fields=FOLLOW_UP_FIELDS)


@on_event("ticket.updated")
def learn_from_corrections(event: Event) -> None:
    services.record_corrections(event)
