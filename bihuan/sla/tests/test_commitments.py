"""Key commitments (关键承诺): the owner is reminded an hour before one is due, and a missed
one is escalated to the queue supervisor and the department head — once each, as due work."""

from __future__ import annotations

from typing import Any

import pytest

from bihuan.accounts.choices import Role
from bihuan.core.models import DueItem, Event, Notification, WorkState
from bihuan.sla.tests.conftest import Clock, at, open_ticket
from bihuan.testing.factories import make_user
from bihuan.tickets import services as tickets
from bihuan.tickets.models import Commitment, Ticket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("policies")]


def promised(org: Any, clock: Clock) -> tuple[Ticket, Commitment]:
    clock.travel("2026-03-02T10:00+08:00")
    ticket = open_ticket("complaint", team=org.complaints)
    tickets.update_ticket(ticket, tickets.TicketChanges(owner=org.agent), actor=org.supervisor)
    commitment = tickets.add_commitment(
        ticket,
        description="下午三点前回电告知退款结果",
        due_at=at("2026-03-02T15:00+08:00"),
        actor=org.agent,
    )
    return ticket, commitment


def told(verb: str) -> list[str]:
    return sorted(
        Notification.objects.filter(event__verb=verb).values_list("recipient__username", flat=True)
    )


def test_the_owner_is_reminded_an_hour_before_and_a_miss_is_escalated(
    org: Any, clock: Clock
) -> None:
    head = make_user(Role.SUPERVISOR, username="head", department=org.service)
    org.service.head = head
    org.service.save(update_fields=["head"])
    org.complaints.supervisor = org.supervisor
    org.complaints.save(update_fields=["supervisor"])
    ticket, _commitment = promised(org, clock)

    clock.run("2026-03-02T13:59+08:00")
    assert told("sla.commitment_due_soon") == []
    clock.run("2026-03-02T14:00+08:00")
    clock.run("2026-03-02T14:30+08:00")
    assert told("sla.commitment_due_soon") == ["zhangwei"]
    clock.run("2026-03-02T15:00+08:00")
    clock.run("2026-03-02T16:00+08:00")

    assert told("sla.commitment_missed") == ["head", "supervisor", "zhangwei"]
    verbs = Event.objects.filter(ticket_id=ticket.pk, verb__startswith="sla.commitment")
    assert [e.verb for e in verbs.order_by("id")] == [
        "sla.commitment_due_soon",
        "sla.commitment_missed",
    ]


def test_a_kept_commitment_is_neither_reminded_nor_escalated(org: Any, clock: Clock) -> None:
    ticket, commitment = promised(org, clock)
    clock.travel("2026-03-02T11:00+08:00")

    tickets.complete_commitment(commitment, actor=org.agent)
    clock.run("2026-03-02T18:00+08:00")

    assert not Event.objects.filter(ticket_id=ticket.pk, verb__startswith="sla.commitment")
    assert not DueItem.objects.filter(
        kind__startswith="sla.commitment", state=WorkState.PENDING
    ).exists()


def test_a_runner_late_past_the_due_time_sends_no_reminder_only_the_miss(
    org: Any, clock: Clock
) -> None:
    promised(org, clock)

    clock.run("2026-03-02T15:30+08:00")

    assert told("sla.commitment_due_soon") == []
    assert told("sla.commitment_missed") == ["zhangwei"]
