"""The 24-hour call-back (回访) and the closing rule: a solved ticket gets a call-back due a
day later; its outcome closes, reopens or retries; a ticket closes only after a satisfied
call-back or with a recorded reason, never with an open commitment or task."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
import time_machine

from bihuan.core.errors import Conflict, ValidationFailed
from bihuan.core.models import DueItem, Event, Notification, WorkState
from bihuan.core.runner import Runner
from bihuan.testing.factories import make_ticket
from bihuan.tickets import closing, collaboration, services
from bihuan.tickets.choices import CallBackOutcome, TicketStatus
from bihuan.tickets.models import CallBack, Ticket
from conftest import Org
from tests.security.state import db_state

# The call-back is a reaction to the solve: it runs after commit, so these tests commit.
pytestmark = pytest.mark.django_db(transaction=True)

SOLVED_AT = datetime.fromisoformat("2026-03-02T10:00+08:00")


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(SOLVED_AT, tick=False) as traveller:
        yield traveller


def run() -> None:
    Runner("test", raise_errors=True).run_until_idle()


def solved(org: Org) -> Ticket:
    org.presales.supervisor = org.supervisor
    org.presales.save(update_fields=["supervisor"])
    ticket = make_ticket(team=org.presales)
    services.reply_to_customer(ticket, body="已为您处理。", actor=org.agent)
    services.change_status(ticket, status=TicketStatus.SOLVED, actor=org.agent)
    run()
    ticket.refresh_from_db()
    return ticket


def told(verb: str) -> list[str]:
    return sorted(
        Notification.objects.filter(event__verb=verb).values_list("recipient__username", flat=True)
    )


def test_solving_schedules_one_call_back_due_a_day_later(
    org: Org, clock: time_machine.Traveller
) -> None:
    ticket = solved(org)
    run()

    call_backs = list(ticket.call_backs.all())
    assert [(c.attempt, c.due_at, c.is_open) for c in call_backs] == [
        (1, SOLVED_AT + timedelta(hours=24), True)
    ]
    assert Event.objects.filter(ticket_id=ticket.pk, verb="ticket.call_back_scheduled").count() == 1


def test_the_owner_is_reminded_and_an_overdue_call_back_is_escalated(
    org: Org, clock: time_machine.Traveller
) -> None:
    ticket = solved(org)

    clock.move_to(SOLVED_AT + timedelta(hours=21, minutes=59))
    run()
    assert told("ticket.call_back_due_soon") == []
    clock.move_to(SOLVED_AT + timedelta(hours=22))
    run()
    assert told("ticket.call_back_due_soon") == ["zhangwei"]
    clock.move_to(SOLVED_AT + timedelta(hours=24))
    run()
    run()

    assert told("ticket.call_back_overdue") == ["supervisor", "zhangwei"]
    assert Event.objects.filter(ticket_id=ticket.pk, verb="ticket.call_back_overdue").count() == 1


def test_a_solved_ticket_closes_only_after_a_satisfied_call_back(
    org: Org, clock: time_machine.Traveller
) -> None:
    ticket = solved(org)
    before = db_state()
    with pytest.raises(Conflict) as refused:
        closing.close_ticket(ticket, actor=org.agent)
    assert refused.value.code == "call_back_needed"
    assert db_state() == before
    call_back = ticket.call_backs.get()

    clock.move_to(SOLVED_AT + timedelta(hours=3))
    closing.record_call_back(
        call_back, outcome=CallBackOutcome.SATISFIED, note="客户表示满意", actor=org.agent
    )
    closed = closing.close_ticket(ticket, actor=org.agent)

    assert (closed.status, closed.close_reason) == (TicketStatus.CLOSED, "")
    assert not DueItem.objects.filter(
        key=call_back.key, state=WorkState.PENDING
    ).exists()  # no reminder for a call-back made


def test_closing_without_a_call_back_needs_a_reason_that_is_kept(
    org: Org, clock: time_machine.Traveller
) -> None:
    ticket = solved(org)

    closed = closing.close_ticket(ticket, actor=org.agent, reason="客户明确表示无需回访")

    call_back = ticket.call_backs.get()
    assert (closed.status, closed.close_reason) == (TicketStatus.CLOSED, "客户明确表示无需回访")
    assert call_back.cancelled_at is not None
    event = Event.objects.filter(ticket_id=ticket.pk, verb="ticket.status_changed").latest("id")
    assert event.data["close_reason"] == "客户明确表示无需回访"


def test_a_dissatisfied_customer_reopens_the_ticket(
    org: Org, clock: time_machine.Traveller
) -> None:
    ticket = solved(org)

    closing.record_call_back(
        ticket.call_backs.get(),
        outcome=CallBackOutcome.NOT_SATISFIED,
        note="退款金额不对",
        actor=org.agent,
    )
    run()

    ticket.refresh_from_db()
    assert (ticket.status, ticket.solved_at) == (TicketStatus.OPEN, None)
    assert not ticket.call_backs.filter(done_at__isnull=True, cancelled_at__isnull=True).exists()


def test_a_customer_not_reached_is_called_again_later(
    org: Org, clock: time_machine.Traveller
) -> None:
    ticket = solved(org)
    retry_at = SOLVED_AT + timedelta(hours=6)

    closing.record_call_back(
        ticket.call_backs.get(),
        outcome=CallBackOutcome.NOT_REACHED,
        actor=org.agent,
        retry_at=retry_at,
    )

    assert [(c.attempt, c.outcome, c.due_at) for c in ticket.call_backs.order_by("id")] == [
        (1, CallBackOutcome.NOT_REACHED, SOLVED_AT + timedelta(hours=24)),
        (2, "", retry_at),
    ]
    with pytest.raises(Conflict):
        closing.close_ticket(ticket, actor=org.agent)


def test_a_customer_reopening_the_ticket_cancels_the_call_back(
    org: Org, clock: time_machine.Traveller
) -> None:
    ticket = solved(org)

    services.add_customer_message(ticket, body="还是不行")
    run()

    call_back = ticket.call_backs.get()
    assert call_back.cancelled_at is not None
    assert not DueItem.objects.filter(key=call_back.key, state=WorkState.PENDING).exists()


@pytest.mark.parametrize(
    ("outcome", "retry_hours"),
    [("maybe", None), (CallBackOutcome.SATISFIED, 5), (CallBackOutcome.NOT_REACHED, -1)],
)
def test_a_bad_call_back_record_changes_nothing(
    org: Org, clock: time_machine.Traveller, outcome: str, retry_hours: int | None
) -> None:
    ticket = solved(org)
    call_back = ticket.call_backs.get()
    before = db_state()

    with pytest.raises(ValidationFailed):
        closing.record_call_back(
            call_back,
            outcome=outcome,
            actor=org.agent,
            retry_at=SOLVED_AT + timedelta(hours=retry_hours) if retry_hours else None,
        )

    assert db_state() == before
    assert CallBack.objects.get(pk=call_back.pk).is_open


def test_never_closed_with_an_open_commitment_even_with_a_reason(
    org: Org, clock: time_machine.Traveller
) -> None:
    ticket = make_ticket(team=org.presales)
    services.add_commitment(
        ticket, description="明天回电", due_at=SOLVED_AT + timedelta(days=1), actor=org.agent
    )
    services.change_status(ticket, status=TicketStatus.SOLVED, actor=org.agent)

    with pytest.raises(Conflict) as refused:
        closing.close_ticket(ticket, actor=org.agent, reason="客户说不用回访")

    assert refused.value.code == "commitments_open"


def test_never_closed_with_an_open_task(org: Org, clock: time_machine.Traveller) -> None:
    ticket = make_ticket(team=org.presales)
    collaboration.open_task(ticket, department=org.tech, description="查原因", actor=org.agent)

    with pytest.raises(Conflict) as refused:
        services.change_status(ticket, status=TicketStatus.SOLVED, actor=org.agent)

    assert refused.value.code == "tasks_open"
