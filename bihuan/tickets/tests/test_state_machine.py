"""Every allowed and every forbidden status transition, through the service."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from bihuan.core.errors import Conflict
from bihuan.core.models import Event
from bihuan.testing.factories import make_ticket
from bihuan.tickets import collaboration, services
from bihuan.tickets.choices import TicketStatus as S
from bihuan.tickets.models import Ticket
from bihuan.tickets.state_machine import ALLOWED_TRANSITIONS

ALLOWED = sorted((a, b) for a, targets in ALLOWED_TRANSITIONS.items() for b in targets)
# 等待协作 is entered by opening a task, never by hand (test_moving_to_pending_collaboration_*).
BY_HAND = [(a, b) for a, b in ALLOWED if b != S.PENDING_COLLABORATION]
FORBIDDEN = sorted(
    (a, b) for a, b in itertools.product(S.values, S.values) if (a, b) not in ALLOWED
)
# How to bring a fresh ticket into each status through allowed steps.
PATH_TO: dict[str, list[str]] = {
    S.NEW: [],
    S.OPEN: [S.OPEN],
    S.PENDING_CUSTOMER: [S.PENDING_CUSTOMER],
    S.PENDING_COLLABORATION: [],  # as the demo's history leaves it: no task (see _ticket_in)
    S.SOLVED: [S.SOLVED],
    S.CLOSED: [S.SOLVED, S.CLOSED],
}


def _reason(target: str) -> str:
    # Closing without a call-back needs a reason (closing rules: test_call_backs.py).
    return "客户已在电话中确认" if target == S.CLOSED else ""


def _ticket_in(status: str, org: Any) -> Ticket:
    ticket = make_ticket(team=org.presales)
    for step in PATH_TO[status]:
        services.change_status(ticket, status=step, actor=org.agent, close_reason=_reason(step))
    if status == S.PENDING_COLLABORATION:
        # A ticket the demo's history (or an older version) left waiting without a task: no
        # service puts it there any more, and it must still be able to move out.
        Ticket.objects.filter(pk=ticket.pk).update(status=status)
    ticket.refresh_from_db()
    assert ticket.status == status
    return ticket


def test_the_table_matches_the_documented_rules() -> None:
    assert ALLOWED_TRANSITIONS[S.CLOSED] == frozenset()
    assert [a for a, b in ALLOWED if b == S.CLOSED] == [S.SOLVED]
    assert len(ALLOWED) == 15
    assert len(FORBIDDEN) == 36 - 15


@pytest.mark.django_db
@pytest.mark.parametrize(("current", "target"), BY_HAND)
def test_allowed_transition_changes_status_and_records_an_event(
    org: Any, current: str, target: str
) -> None:
    ticket = _ticket_in(current, org)
    events_before = Event.objects.filter(ticket_id=ticket.pk).count()

    services.change_status(ticket, status=target, actor=org.agent, close_reason=_reason(target))

    ticket.refresh_from_db()
    assert ticket.status == target
    last = Event.objects.filter(ticket_id=ticket.pk).latest("id")
    assert (last.verb, last.data["from"], last.data["to"]) == (
        "ticket.status_changed",
        current,
        target,
    )
    assert Event.objects.filter(ticket_id=ticket.pk).count() == events_before + 1
    assert (ticket.solved_at is not None) == (target in (S.SOLVED, S.CLOSED))
    assert (ticket.closed_at is not None) == (target == S.CLOSED)


@pytest.mark.django_db
@pytest.mark.parametrize(("current", "target"), FORBIDDEN)
def test_forbidden_transition_is_refused_and_changes_nothing(
    org: Any, current: str, target: str
) -> None:
    ticket = _ticket_in(current, org)
    events_before = Event.objects.count()
    updated_before = ticket.updated_at

    with pytest.raises(Conflict):
        services.change_status(ticket, status=target, actor=org.agent)

    ticket.refresh_from_db()
    assert (ticket.status, ticket.updated_at) == (current, updated_before)
    assert Event.objects.count() == events_before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("current", "after"),
    [
        (S.NEW, S.NEW),
        (S.OPEN, S.OPEN),
        (S.PENDING_CUSTOMER, S.OPEN),
        (S.PENDING_COLLABORATION, S.PENDING_COLLABORATION),
        (S.SOLVED, S.OPEN),
    ],
)
def test_a_customer_message_moves_the_ticket_as_the_rules_say(
    org: Any, current: str, after: str
) -> None:
    ticket = _ticket_in(current, org)

    services.add_customer_message(ticket, body="请问进度如何？")

    ticket.refresh_from_db()
    assert ticket.status == after
    if current == S.SOLVED:
        event = Event.objects.filter(ticket_id=ticket.pk, verb="ticket.status_changed").latest("id")
        assert event.data["reopened"] is True
        assert ticket.solved_at is None


@pytest.mark.django_db
def test_a_closed_ticket_refuses_customer_messages_replies_and_changes(org: Any) -> None:
    ticket = _ticket_in(S.CLOSED, org)
    before = Event.objects.count()

    with pytest.raises(Conflict):
        services.add_customer_message(ticket, body="还有个问题")
    with pytest.raises(Conflict):
        services.reply_to_customer(ticket, body="好的", actor=org.agent)
    with pytest.raises(Conflict):
        services.update_ticket(ticket, services.TicketChanges(priority=4), actor=org.agent)

    assert Event.objects.count() == before
    assert ticket.messages.count() == 1


@pytest.mark.django_db
def test_the_first_reply_opens_a_new_ticket_and_makes_the_agent_its_owner(org: Any) -> None:
    ticket = make_ticket(team=org.presales)

    services.reply_to_customer(ticket, body="您好，我来帮您处理", actor=org.agent)

    ticket.refresh_from_db()
    assert (ticket.status, ticket.owner_id) == (S.OPEN, org.agent.pk)
    assert ticket.first_response_at is not None
    verbs = list(
        Event.objects.filter(ticket_id=ticket.pk).order_by("id").values_list("verb", flat=True)
    )
    assert verbs == [
        "ticket.created",
        "ticket.message_added",
        "ticket.status_changed",
        "ticket.assigned",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("current", [S.NEW, S.OPEN, S.PENDING_CUSTOMER])
def test_moving_to_pending_collaboration_by_hand_without_an_open_task_is_refused(
    org: Any, current: str
) -> None:
    ticket = _ticket_in(current, org)
    events_before = Event.objects.count()

    with pytest.raises(Conflict) as refused:
        services.change_status(ticket, status=S.PENDING_COLLABORATION, actor=org.agent)

    assert refused.value.code == "no_open_task"
    assert Ticket.objects.get(pk=ticket.pk).status == current
    assert Event.objects.count() == events_before


@pytest.mark.django_db
def test_opening_a_task_is_the_way_into_pending_collaboration(org: Any) -> None:
    ticket = _ticket_in(S.PENDING_CUSTOMER, org)

    collaboration.open_task(
        ticket, department=org.tech, description="请查支付回调", actor=org.agent
    )

    assert Ticket.objects.get(pk=ticket.pk).status == S.PENDING_COLLABORATION
