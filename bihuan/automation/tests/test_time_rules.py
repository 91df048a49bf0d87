"""Time-based rules are due work: a ticket waiting for the customer is reminded after three
days and solved after seven, counted from when it started waiting, never by scanning."""

from __future__ import annotations

from typing import Any

import pytest

from bihuan.automation import services
from bihuan.automation.services import TIME_RULE
from bihuan.automation.tests.conftest import Clock, make_rule, new_ticket, ticket_events
from bihuan.core.models import DueItem, WorkState
from bihuan.knowledge import services as knowledge
from bihuan.tickets import services as tickets
from bihuan.tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db(transaction=True)


def waiting_rules(org: Any) -> None:
    reminder = knowledge.create_template(
        knowledge.TemplateFields(
            title="催回复",
            body="{{ customer.name }}您好，工单 {{ ticket.number }} 还在等您的回复。",
            shared=True,
        ),
        actor=org.admin,
    )
    make_rule(
        org.admin,
        "等待客户 3 天提醒",
        "time.in_status",
        [{"type": "send_template", "value": reminder.pk}],
        wait_status="pending_customer",
        wait_hours=72,
    )
    make_rule(
        org.admin,
        "等待客户 7 天解决",
        "time.in_status",
        [{"type": "set_status", "value": "solved"}],
        wait_status="pending_customer",
        wait_hours=168,
    )


def replies(ticket: Ticket) -> list[str]:
    return list(
        Message.objects.filter(ticket=ticket, kind="reply")
        .order_by("id")
        .values_list("body", flat=True)
    )


def test_a_waiting_ticket_is_reminded_after_three_days_and_solved_after_seven(
    org: Any, clock: Clock
) -> None:
    clock.travel("2026-03-02T10:00+08:00")
    waiting_rules(org)
    ticket = new_ticket(team=org.presales, name="王芳")
    tickets.reply_to_customer(ticket, body="请提供订单号。", actor=org.agent)
    tickets.change_status(ticket, status="pending_customer", actor=org.agent)

    clock.run("2026-03-05T09:59+08:00")
    assert replies(ticket) == ["请提供订单号。"]
    clock.run("2026-03-05T10:00+08:00")
    assert replies(ticket) == ["请提供订单号。", f"王芳您好，工单 {ticket.pk} 还在等您的回复。"]
    clock.run("2026-03-09T09:59+08:00")
    assert Ticket.objects.get(pk=ticket.pk).status == "pending_customer"
    clock.run("2026-03-09T10:00+08:00")

    assert Ticket.objects.get(pk=ticket.pk).status == "solved"
    names = [e.data["name"] for e in ticket_events(ticket, "automation.rule_applied")]
    assert names == ["等待客户 3 天提醒", "等待客户 7 天解决"]
    assert DueItem.objects.filter(kind=TIME_RULE, state=WorkState.PENDING).count() == 0


def test_the_customers_reply_stops_the_timers_and_waiting_again_starts_them_anew(
    org: Any, clock: Clock
) -> None:
    clock.travel("2026-03-02T10:00+08:00")
    waiting_rules(org)
    ticket = new_ticket(team=org.presales)
    tickets.reply_to_customer(ticket, body="请提供订单号。", actor=org.agent)
    tickets.change_status(ticket, status="pending_customer", actor=org.agent)

    clock.travel("2026-03-04T10:00+08:00")
    tickets.add_customer_message(ticket, body="订单号 123")
    clock.run("2026-03-06T10:00+08:00")
    assert replies(ticket) == ["请提供订单号。"]
    tickets.change_status(ticket, status="pending_customer", actor=org.agent)
    clock.run("2026-03-09T09:59+08:00")
    assert len(replies(ticket)) == 1
    clock.run("2026-03-09T10:00+08:00")

    assert len(replies(ticket)) == 2
    assert Ticket.objects.get(pk=ticket.pk).status == "pending_customer"


def test_a_new_time_rule_counts_from_when_waiting_tickets_started_waiting(
    org: Any, clock: Clock
) -> None:
    clock.travel("2026-03-02T10:00+08:00")
    ticket = new_ticket(team=org.presales)
    tickets.reply_to_customer(ticket, body="请提供订单号。", actor=org.agent)
    tickets.change_status(ticket, status="pending_customer", actor=org.agent)
    clock.travel("2026-03-03T10:00+08:00")

    make_rule(
        org.admin,
        "等待 2 天加标签",
        "time.in_status",
        [{"type": "add_tag", "value": "久等"}],
        wait_status="pending_customer",
        wait_hours=48,
    )

    (item,) = DueItem.objects.filter(kind=TIME_RULE, state=WorkState.PENDING)
    assert item.due_at.isoformat() == "2026-03-04T02:00:00+00:00"
    clock.run("2026-03-04T10:00+08:00")
    assert list(Ticket.objects.get(pk=ticket.pk).tags.values_list("name", flat=True)) == ["久等"]


def test_editing_a_time_rule_does_not_remind_the_same_ticket_twice(org: Any, clock: Clock) -> None:
    clock.travel("2026-03-02T10:00+08:00")
    rule = make_rule(
        org.admin,
        "等待 1 天加标签",
        "time.in_status",
        [{"type": "notify", "value": "owner"}],
        wait_status="pending_customer",
        wait_hours=24,
    )
    ticket = new_ticket(team=org.presales)
    tickets.reply_to_customer(ticket, body="请提供订单号。", actor=org.agent)
    tickets.change_status(ticket, status="pending_customer", actor=org.agent)
    clock.run("2026-03-03T10:00+08:00")
    assert len(ticket_events(ticket, "automation.rule_applied")) == 1

    services.save_rule(
        services.RuleInput(
            name="等待 1 天通知",
            trigger="time.in_status",
            actions=[{"type": "notify", "value": "owner"}],
            wait_status="pending_customer",
            wait_hours=24,
        ),
        actor=org.admin,
        rule=rule,
    )
    clock.run("2026-03-04T10:00+08:00")

    assert len(ticket_events(ticket, "automation.rule_applied")) == 1


def test_re_saving_a_time_rule_dates_its_last_run_by_the_timers_due_time_not_the_clock(
    org: Any, clock: Clock
) -> None:
    # The ticket entered the status at the demo's "now" (2 March), while the worker that ran
    # the timer read an earlier wall clock (1 March): the run is still for this stay.
    clock.travel("2026-03-02T10:00+08:00")
    rule = make_rule(
        org.admin,
        "等待 1 天通知",
        "time.in_status",
        [{"type": "notify", "value": "owner"}],
        wait_status="pending_customer",
        wait_hours=24,
    )
    ticket = new_ticket(team=org.presales)
    tickets.reply_to_customer(ticket, body="请提供订单号。", actor=org.agent)
    tickets.change_status(ticket, status="pending_customer", actor=org.agent)
    (item,) = DueItem.objects.filter(kind=TIME_RULE, state=WorkState.PENDING)
    clock.travel("2026-03-01T10:00+08:00")
    services.run_time_rule(rule_id=rule.pk, ticket_id=ticket.pk, timer_id=item.pk)
    DueItem.objects.filter(pk=item.pk).update(state=WorkState.DONE)
    assert len(ticket_events(ticket, "automation.rule_applied")) == 1

    clock.travel("2026-03-03T12:00+08:00")
    services.save_rule(
        services.RuleInput(
            name="等待 1 天通知（改）",
            trigger="time.in_status",
            actions=[{"type": "notify", "value": "owner"}],
            wait_status="pending_customer",
            wait_hours=24,
        ),
        actor=org.admin,
        rule=rule,
    )
    clock.run("2026-03-05T10:00+08:00")

    assert len(ticket_events(ticket, "automation.rule_applied")) == 1
    assert DueItem.objects.filter(kind=TIME_RULE, state=WorkState.PENDING).count() == 0
