"""The sla app's reactions: ticket events move clocks, due work fires warnings, breaches and
escalations.

The consumer is atomic (its writes commit with the reactions it marks done), and each step is
idempotent on its own: a clock already met, warned or escalated to a level is left alone, so
an event or a due item handled twice changes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.utils import timezone

from bihuan.core.consumers import consumer
from bihuan.core.due_work import due_work
from bihuan.core.models import DueItem, Event
from bihuan.sla import services
from bihuan.tickets.choices import MessageKind


def _moves_clocks(event: Event) -> bool:
    if event.ticket_id is None:
        return False
    if event.verb == "ticket.updated":
        return bool(services.POLICY_FIELDS & set(event.get("changes", {})))
    if event.verb == "ticket.message_added":
        return event.get("kind") in (MessageKind.REPLY, MessageKind.CUSTOMER)
    return True


@consumer(
    "sla.track_clocks",
    verbs=("ticket.created", "ticket.updated", "ticket.message_added", "ticket.status_changed"),
    accepts=_moves_clocks,
    batch_size=100,
)
def track_clocks(events: Sequence[Event]) -> None:
    # New tickets in one go (``start_clocks``); the batch's order is kept for each ticket:
    # the new tickets gathered so far are handled before any other event.
    openings: list[tuple[int, datetime]] = []
    for event in events:
        if event.verb == "ticket.created":
            openings.append((int(event.ticket_id or 0), event.occurred_at))
            continue
        if openings:
            services.start_clocks(openings)
            openings = []
        ticket = services.lock_ticket(int(event.ticket_id or 0))
        if ticket is None:
            continue
        at = event.occurred_at
        if event.verb == "ticket.updated":
            services.apply_policy(ticket, at=at)
        elif event.verb == "ticket.message_added":
            if event.get("kind") == MessageKind.REPLY:
                services.record_response(ticket, at=at)
            else:
                services.record_customer_message(ticket, at=at)
        else:
            services.record_status(
                ticket, before=str(event.get("from")), after=str(event.get("to")), at=at
            )
    if openings:
        services.start_clocks(openings)


def _clock_id(item: DueItem) -> int:
    # "sla.clock:<id>" (warning, breach) or "sla.clock:<id>:<level>" (escalation)
    return int(item.key.split(":")[1])


@due_work(services.WARN)
def warn(item: DueItem) -> None:
    services.fire_warning(_clock_id(item), now=timezone.now())


@due_work(services.BREACH)
def breach(item: DueItem) -> None:
    services.fire_breach(_clock_id(item), now=timezone.now())


@due_work(services.ESCALATE)
def escalate(item: DueItem) -> None:
    services.fire_escalation(
        _clock_id(item), level=int(item.data.get("level", 2)), now=timezone.now()
    )


@consumer(
    "sla.commitment_timers",
    verbs=(
        "ticket.commitment_added",
        "ticket.commitment_moved",
        "ticket.commitment_done",
        "ticket.commitment_cancelled",
    ),
    accepts=lambda event: isinstance(event.get("commitment"), int),
)
def commitment_timers(events: Sequence[Event]) -> None:
    for event in events:
        services.schedule_commitment(int(event.get("commitment")))


def _commitment_id(item: DueItem) -> int:
    return int(item.key.rsplit(":", 1)[1])


@due_work(services.REMIND)
def remind_commitment(item: DueItem) -> None:
    services.remind_commitment(_commitment_id(item), now=timezone.now())


@due_work(services.MISSED)
def commitment_missed(item: DueItem) -> None:
    services.miss_commitment(_commitment_id(item), now=timezone.now())


@consumer(
    "sla.task_deadlines",
    verbs=("ticket.task_opened", "ticket.task_answered", "ticket.task_cancelled"),
    accepts=lambda event: isinstance(event.get("task"), int),
)
def task_deadlines(events: Sequence[Event]) -> None:
    for event in events:
        services.schedule_task(int(event.get("task")))


@due_work(services.TASK_OVERDUE)
def task_overdue(item: DueItem) -> None:
    services.escalate_task(int(item.key.rsplit(":", 1)[1]), now=timezone.now())
