"""The automation app's reactions: rules run on the events of the log, time rules and the
complaint playbook's deadlines are due work.

Every consumer here is atomic: what it writes commits with the reactions it marks done, so a
batch handed out again after a crash changes nothing twice (a rule also runs at most once per
event, ``RuleRun`` being unique per rule and trigger).
"""

from __future__ import annotations

from collections.abc import Sequence

from bihuan.automation import services
from bihuan.automation.choices import TRIGGER_VERBS
from bihuan.automation.models import Complaint
from bihuan.core.consumers import consumer
from bihuan.core.due_work import due_work
from bihuan.core.models import DueItem, Event
from bihuan.tickets.choices import MessageKind, TicketType
from bihuan.tickets.models import Ticket


def _has_trigger(event: Event) -> bool:
    return event.ticket_id is not None and bool(services.triggers_of(event))


@consumer(
    "automation.run_rules",
    verbs=tuple(sorted(set(TRIGGER_VERBS.values()))),
    accepts=_has_trigger,
    batch_size=50,
)
def run_rules(events: Sequence[Event]) -> None:
    chains = services.chains_of(list(events))
    rules = services.event_rules()
    for event in events:
        services.run_rules_for_event(event, chain=list(chains.get(event.pk, [])), rules=rules)


@consumer(
    "automation.time_rule_timers",
    verbs=("ticket.created", "ticket.status_changed"),
    accepts=lambda event: event.ticket_id is not None,
    batch_size=100,
)
def time_rule_timers(events: Sequence[Event]) -> None:
    rules = services.time_rules()
    for event in events:
        services.track_status_for_time_rules(event, rules=rules)


@due_work(services.TIME_RULE)
def time_rule_due(item: DueItem) -> None:
    services.run_time_rule(
        rule_id=int(item.data["rule"]), ticket_id=int(item.data["ticket"]), timer_id=item.pk
    )


def _concerns_complaints(event: Event) -> bool:
    if event.ticket_id is None:
        return False
    if event.verb == "ticket.created":
        return bool(event.get("kind") == TicketType.COMPLAINT)
    if event.verb == "ticket.assigned":
        return event.get("to") is not None
    if event.verb == "ticket.updated":
        change = event.get("changes", {}).get("kind")
        return isinstance(change, list) and change[-1:] == [TicketType.COMPLAINT]
    return bool(event.get("kind") == MessageKind.REPLY)  # ticket.message_added


@consumer(
    "automation.complaint_playbook",
    verbs=("ticket.created", "ticket.updated", "ticket.message_added", "ticket.assigned"),
    accepts=_concerns_complaints,
    batch_size=50,
)
def complaint_playbook(events: Sequence[Event]) -> None:
    """A complaint opens its playbook; a reply after acceptance is its progress update; the
    ticket's new owner takes the stage nobody owned."""
    for event in events:
        ticket_id = int(event.ticket_id or 0)
        if event.verb == "ticket.assigned":
            services.follow_ticket_owner(ticket_id)
        elif event.verb == "ticket.message_added":
            # The tickets lock order: the ticket first, then its complaint.
            Ticket.objects.select_for_update().only("pk").filter(pk=ticket_id).first()
            complaint = (
                Complaint.objects.select_for_update()
                .select_related("ticket")
                .filter(ticket_id=ticket_id)
                .first()
            )
            if complaint is not None:
                services.record_progress(complaint, at=event.occurred_at, actor=event.actor)
        else:
            services.start_complaint(ticket_id, at=event.occurred_at)


@due_work(services.STAGE_DUE)
def stage_due(item: DueItem) -> None:
    services.mark_stage_overdue(int(item.data["step"]))


@due_work(services.PROGRESS_DUE)
def progress_due(item: DueItem) -> None:
    services.warn_progress_missing(int(item.data["complaint"]))
