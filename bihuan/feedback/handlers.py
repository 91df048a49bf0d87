"""The feedback app's reactions: a solved ticket invites a CSAT survey; the channels' outcomes
of survey messages are recorded on them; an SMS "TD" opts out; due work sends, reminds, runs
the NPS schedule and reports missed analyses and rectifications.

Each handler is idempotent on its own (an invitation already sent, an analysis already
reported overdue is left alone), so an event or a due item handled twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from django.utils import timezone

from bihuan.core.consumers import consumer
from bihuan.core.due_work import due_work
from bihuan.core.models import DueItem, Event
from bihuan.feedback import services
from bihuan.tickets.choices import Channel, MessageKind, TicketStatus


def _row_id(item: DueItem) -> int:
    return int(item.key.rsplit(":", 1)[1])


@consumer(
    "feedback.invite_on_solved",
    verbs=("ticket.status_changed",),
    accepts=lambda event: event.get("to") == TicketStatus.SOLVED and event.ticket_id is not None,
)
def invite_on_solved(events: Sequence[Event]) -> None:
    for event in events:
        services.ticket_solved(int(event.ticket_id or 0), now=event.occurred_at)


@consumer("feedback.track_deliveries", verbs=services.OUTCOME_VERBS)
def track_deliveries(events: Sequence[Event]) -> None:
    # The channels' outcomes of every outbound SMS and platform reply; survey ones matter.
    services.track_deliveries(events)


def _customer_sms(event: Event) -> bool:
    if event.verb == "ticket.created":
        return bool(event.get("channel") == Channel.SMS)
    return bool(event.get("kind") == MessageKind.CUSTOMER)


@consumer(
    "feedback.opt_out_by_sms",
    verbs=("ticket.created", "ticket.message_added"),
    accepts=_customer_sms,
)
def opt_out_by_sms(events: Sequence[Event]) -> None:
    # An inbound SMS becomes a ticket message (the phone app); "TD" / "退订" to a survey text
    # is the customer's opt-out.
    services.opt_out_by_sms_replies(events)


# Mail leaves before the invitation is marked sent: not atomic, safe to run twice.
@due_work(services.SEND, atomic=False, lease=timedelta(minutes=5))
def send_survey(item: DueItem) -> None:
    services.send_invitation(_row_id(item), now=timezone.now())


@due_work(services.REMIND, atomic=False, lease=timedelta(minutes=5))
def remind_survey(item: DueItem) -> None:
    services.remind_invitation(_row_id(item), now=timezone.now())


@due_work(services.NPS)
def nps_due(item: DueItem) -> None:
    # "customers.customer:<id>:<due epoch>"
    services.open_nps_invitation(int(item.key.split(":")[1]), now=timezone.now())


@due_work(services.ANALYSIS_DUE)
def analysis_due(item: DueItem) -> None:
    services.fire_analysis_overdue(_row_id(item), now=timezone.now())


@due_work(services.RECTIFICATION_DUE)
def rectification_due(item: DueItem) -> None:
    services.fire_rectification_overdue(_row_id(item), now=timezone.now())


@due_work(services.CAMPAIGN)
def campaign_due(item: DueItem) -> None:
    services.launch_campaign(_row_id(item), now=timezone.now())
