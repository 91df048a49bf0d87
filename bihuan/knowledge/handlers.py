"""Automatic answers react to the event log (``core.consumers``), after the change committed.

- A new ticket (``ticket.created``, not a type other than inquiry chosen at creation): the
  answerer reads triage's decisions for the opening message and answers it or leaves it to
  the agents (``auto_answers.answer_automatically``). It commits per ticket (triage writes its
  decisions in their own transaction), and a ticket considered once is never considered again.
- A later customer message (``ticket.message_added``) on a ticket answered automatically:
  it goes to a person (``auto_answers.hand_over``), once.
"""

from __future__ import annotations

from collections.abc import Sequence

from bihuan.core.consumers import consumer
from bihuan.core.models import Event
from bihuan.knowledge import auto_answers
from bihuan.knowledge.choices import AutoAnswerOutcome
from bihuan.knowledge.models import AutoAnswer
from bihuan.tickets.choices import MessageKind, TicketType
from bihuan.tickets.models import Message


def _new_inquiry(event: Event) -> bool:
    return (
        event.ticket_id is not None
        and isinstance(event.data.get("message"), int)
        and event.data.get("kind", TicketType.INQUIRY) == TicketType.INQUIRY
    )


def _customer_message(event: Event) -> bool:
    return (
        event.ticket_id is not None
        and isinstance(event.data.get("message"), int)
        and event.data.get("kind") == MessageKind.CUSTOMER
    )


@consumer(
    "knowledge.answer_automatically",
    verbs=("ticket.created",),
    accepts=_new_inquiry,
    batch_size=20,
    atomic=False,
)
def answer_new_inquiries(events: Sequence[Event]) -> None:
    auto_answers.answer_new_tickets(
        [(int(event.ticket_id or 0), int(event.data["message"])) for event in events]
    )


@consumer(
    "knowledge.hand_over_auto_answers",
    verbs=("ticket.message_added",),
    accepts=_customer_message,
)
def hand_over_on_reply(events: Sequence[Event]) -> None:
    waiting = set(
        AutoAnswer.objects.filter(
            ticket_id__in={e.ticket_id for e in events},
            outcome=AutoAnswerOutcome.ANSWERED,
            handed_over_at__isnull=True,
        ).values_list("ticket_id", flat=True)
    )
    if not waiting:
        return
    bodies = dict(
        Message.objects.filter(
            pk__in=[int(e.data["message"]) for e in events if e.ticket_id in waiting]
        ).values_list("pk", "body")
    )
    for event in events:
        if event.ticket_id in waiting:
            text = bodies.get(int(event.data["message"]), "")
            auto_answers.hand_over(
                int(event.ticket_id or 0), reason=auto_answers.handover_reason(text)
            )
            waiting.discard(event.ticket_id)
