"""Triage reacts to new tickets, new customer messages and agents' corrections.

These are consumers of the event log (``core.consumers``): each event is handled at least
once, in the background, after the change committed. Classification takes events in batches
(rules compiled and models asked once per batch, one vectorised call per field) and commits
per ticket; a message already triaged is not triaged again (its decisions are unique per
message and field), so a batch handed out twice changes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Sequence

from bihuan.core.consumers import consumer
from bihuan.core.models import Event
from bihuan.tickets.choices import MessageKind
from bihuan.triage import services
from bihuan.triage.engine import ALL_FIELDS
from bihuan.triage.services import FOLLOW_UP_FIELDS, MessageToTriage


def needs_triage(event: Event) -> bool:
    """A new ticket's opening message, or a later message from the customer."""
    if event.ticket_id is None or not isinstance(event.data.get("message"), int):
        return False
    return event.verb == "ticket.created" or event.data.get("kind") == MessageKind.CUSTOMER


@consumer(
    "triage.classify",
    verbs=("ticket.created", "ticket.message_added"),
    accepts=needs_triage,
    # Big enough to share the rules, the models and one vectorised call per field; small
    # enough that a burst is spread over all the workers rather than queued behind one.
    batch_size=50,
    atomic=False,
)
def classify_messages(events: Sequence[Event]) -> None:
    services.triage_messages(
        [
            MessageToTriage(
                ticket_id=int(event.ticket_id or 0),
                message_id=int(event.data["message"]),
                fields=ALL_FIELDS if event.verb == "ticket.created" else FOLLOW_UP_FIELDS,
            )
            for event in events
        ]
    )


@consumer(
    "triage.learn_from_corrections",
    verbs=("ticket.updated",),
    accepts=lambda event: event.actor_id is not None,
)
def learn_from_corrections(events: Sequence[Event]) -> None:
    for event in events:
        services.record_corrections(event)
