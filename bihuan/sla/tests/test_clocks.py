"""SLA clocks through the real entry points: tickets created, answered, paused and solved by
the tickets services; warnings, breaches and escalations fired by the engine's due work."""

from __future__ import annotations

from typing import Any

import pytest

from bihuan.accounts.choices import Role
from bihuan.core.models import Event, Notification
from bihuan.customers.models import Customer
from bihuan.sla.choices import ClockState, EscalationLevel
from bihuan.sla.handlers import track_clocks
from bihuan.sla.models import SlaPolicy
from bihuan.sla.tests.conftest import Clock, at, clocks_of, condition_policies, open_ticket
from bihuan.testing.factories import make_user
from bihuan.tickets import services as tickets
from bihuan.tickets.models import Ticket

# Reactions run after commit, so these tests commit for real.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("policies")]

MONDAY_10 = "2026-03-02T10:00+08:00"


def owned_complaint(org: Any, clock: Clock) -> Ticket:
    clock.travel(MONDAY_10)
    ticket = open_ticket("complaint", team=org.complaints)
    tickets.update_ticket(ticket, tickets.TicketChanges(owner=org.agent), actor=org.supervisor)
    return ticket


def verbs(ticket: Ticket) -> list[str]:
    return list(
        Event.objects.filter(ticket_id=ticket.pk, verb__startswith="sla.")
        .order_by("id")
        .values_list("verb", flat=True)
    )


def test_a_complaint_must_be_answered_within_one_business_hour(org: Any, clock: Clock) -> None:
    ticket = owned_complaint(org, clock)

    clocks = clocks_of(ticket)
    ticket.refresh_from_db()
    assert set(clocks) == {"first_response", "resolution"}
    assert clocks["first_response"].policy is not None
    assert clocks["first_response"].policy.name == "投诉"
    assert clocks["first_response"].due_at == at("2026-03-02T11:00+08:00")
    assert clocks["resolution"].due_at == at("2026-03-05T10:00+08:00")  # 24 business hours
    assert (ticket.sla_state, ticket.sla_due_at) == ("running", at("2026-03-02T11:00+08:00"))
    assert verbs(ticket) == ["sla.policy_applied"]


@pytest.mark.parametrize(
    ("kind", "extra", "policy", "due"),
    [
        ("inquiry", {}, "咨询", "2026-03-02T15:00+08:00"),  # 4 h across the lunch break
        ("complaint", {"channel": "phone", "priority": 4}, "紧急电话", "2026-03-02T10:10+08:00"),
        ("request", {}, "需求可行性", "2026-03-04T10:00+08:00"),  # 48 h, 24/7
        ("suggestion", {}, "默认", "2026-03-03T10:00+08:00"),  # 8 business hours
    ],
)
def test_the_first_matching_policy_in_admin_order_sets_the_targets(
    org: Any, clock: Clock, kind: str, extra: dict[str, Any], policy: str, due: str
) -> None:
    clock.travel(MONDAY_10)

    ticket = open_ticket(kind, **extra)

    first = clocks_of(ticket)["first_response"]
    assert first.policy is not None
    assert (first.policy.name, first.due_at) == (policy, at(due))


def test_moving_a_policy_up_makes_it_win(org: Any, clock: Clock) -> None:
    SlaPolicy.objects.filter(name="默认").update(position=0)
    clock.travel(MONDAY_10)

    ticket = open_ticket("complaint")

    policy = clocks_of(ticket)["first_response"].policy
    assert policy is not None
    assert policy.name == "默认"


def test_reclassifying_a_ticket_moves_its_due_times(org: Any, clock: Clock) -> None:
    clock.travel(MONDAY_10)
    ticket = open_ticket("inquiry")
    clock.travel("2026-03-02T10:20+08:00")

    tickets.update_ticket(ticket, tickets.TicketChanges(kind="complaint"), actor=org.supervisor)

    first = clocks_of(ticket)["first_response"]
    assert first.due_at == at("2026-03-02T11:00+08:00")  # still counted from creation
    assert verbs(ticket) == ["sla.policy_applied", "sla.policy_applied"]


def test_warning_and_breach_fire_once_each(org: Any, clock: Clock) -> None:
    ticket = owned_complaint(org, clock)

    clock.run("2026-03-02T10:44+08:00")
    assert verbs(ticket) == ["sla.policy_applied"]
    clock.run("2026-03-02T10:45+08:00")  # 75 % of the hour
    clock.run("2026-03-02T10:50+08:00")
    first = clocks_of(ticket)["first_response"]
    assert (first.state, first.warned_at) == ("warning", at("2026-03-02T10:45+08:00"))
    ticket.refresh_from_db()
    assert ticket.sla_state == "warning"

    clock.run("2026-03-02T11:00+08:00")
    clock.run("2026-03-02T11:01+08:00")

    first = clocks_of(ticket)["first_response"]
    assert (first.state, first.breached_at) == ("breached", at("2026-03-02T11:00+08:00"))
    assert verbs(ticket) == ["sla.policy_applied", "sla.warning", "sla.breached"]
    told = Notification.objects.filter(event__verb__in=("sla.warning", "sla.breached"))
    assert sorted(told.values_list("event__verb", "recipient__username")) == [
        ("sla.breached", "zhangwei"),
        ("sla.warning", "zhangwei"),
    ]
    ticket.refresh_from_db()
    assert ticket.sla_state == "breached"


def test_a_breach_escalates_to_the_supervisor_then_the_department_head(
    org: Any, clock: Clock
) -> None:
    head = make_user(Role.SUPERVISOR, username="head", department=org.service)
    org.service.head = head
    org.service.save(update_fields=["head"])
    org.complaints.supervisor = org.supervisor
    org.complaints.save(update_fields=["supervisor"])
    ticket = owned_complaint(org, clock)

    clock.run("2026-03-02T11:00+08:00")
    clock.run("2026-03-02T11:29+08:00")
    assert clocks_of(ticket)["first_response"].escalation_level == EscalationLevel.OWNER
    clock.run("2026-03-02T11:30+08:00")
    assert clocks_of(ticket)["first_response"].escalation_level == EscalationLevel.SUPERVISOR
    clock.run("2026-03-02T11:59+08:00")
    clock.run("2026-03-02T13:30+08:00")  # 30 business minutes later: the lunch break skipped
    clock.run("2026-03-03T09:00+08:00")

    escalations = Event.objects.filter(ticket_id=ticket.pk, verb="sla.escalated").order_by("id")
    assert [(e.data["level"], e.data["to"]) for e in escalations] == [
        (EscalationLevel.SUPERVISOR, org.supervisor.pk),
        (EscalationLevel.DEPARTMENT_HEAD, head.pk),
    ]
    assert [e.occurred_at for e in escalations] == [
        at("2026-03-02T11:30+08:00"),
        at("2026-03-02T13:30+08:00"),
    ]
    assert sorted(
        Notification.objects.filter(event__verb="sla.escalated").values_list(
            "recipient__username", flat=True
        )
    ) == ["head", "supervisor"]


def test_an_unowned_breach_goes_straight_to_the_next_person(org: Any, clock: Clock) -> None:
    org.complaints.supervisor = org.supervisor
    org.complaints.save(update_fields=["supervisor"])
    clock.travel(MONDAY_10)
    ticket = open_ticket("complaint", team=org.complaints)

    clock.run("2026-03-02T11:00+08:00")

    breach = Event.objects.get(ticket_id=ticket.pk, verb="sla.breached")
    assert (breach.data["level"], breach.data["to"]) == (
        EscalationLevel.SUPERVISOR,
        org.supervisor.pk,
    )


def test_answering_in_time_meets_the_target_and_cancels_its_timers(org: Any, clock: Clock) -> None:
    ticket = owned_complaint(org, clock)
    clock.travel("2026-03-02T10:30+08:00")

    tickets.reply_to_customer(ticket, body="您好，我们正在处理。", actor=org.agent)
    clock.run("2026-03-02T12:00+08:00")

    first = clocks_of(ticket)["first_response"]
    assert (first.state, first.completed_at) == ("met", at("2026-03-02T10:30+08:00"))
    assert first.elapsed_seconds == 30 * 60
    assert verbs(ticket) == ["sla.policy_applied"]
    ticket.refresh_from_db()
    assert (ticket.sla_state, ticket.sla_due_at) == ("running", at("2026-03-05T10:00+08:00"))


def test_waiting_for_the_customer_pauses_the_clocks_until_they_reply(
    org: Any, clock: Clock
) -> None:
    ticket = owned_complaint(org, clock)
    clock.travel("2026-03-02T10:05+08:00")
    tickets.reply_to_customer(ticket, body="请提供订单号。", actor=org.agent)
    clock.travel("2026-03-02T10:30+08:00")

    tickets.change_status(ticket, status="pending_customer", actor=org.agent)

    ticket.refresh_from_db()
    resolution = clocks_of(ticket)["resolution"]
    assert (resolution.state, resolution.due_at, resolution.elapsed_seconds) == (
        "paused",
        None,
        30 * 60,
    )
    assert (ticket.sla_state, ticket.sla_due_at) == ("paused", None)
    clock.run("2026-03-05T12:00+08:00")  # nothing fires while paused
    assert verbs(ticket) == ["sla.policy_applied"]

    clock.travel("2026-03-03T10:30+08:00")
    tickets.add_customer_message(ticket, body="订单号 20260301。")

    clocks = clocks_of(ticket)
    # 23.5 business hours left from Tuesday 10:30: Friday 10:00 (a business day later).
    assert (clocks["resolution"].state, clocks["resolution"].due_at) == (
        "running",
        at("2026-03-06T10:00+08:00"),
    )
    assert clocks["next_response"].due_at == at("2026-03-03T15:30+08:00")
    ticket.refresh_from_db()
    assert (ticket.sla_state, ticket.sla_due_at) == ("running", at("2026-03-03T15:30+08:00"))


def test_solving_completes_every_clock(org: Any, clock: Clock) -> None:
    ticket = owned_complaint(org, clock)
    clock.travel("2026-03-02T10:10+08:00")
    tickets.reply_to_customer(ticket, body="已为您退款。", actor=org.agent)

    tickets.change_status(ticket, status="solved", actor=org.agent)
    clock.run("2026-03-09T10:00+08:00")

    ticket.refresh_from_db()
    assert {m: c.state for m, c in clocks_of(ticket).items()} == {
        "first_response": "met",
        "resolution": "met",
    }
    assert (ticket.sla_state, ticket.sla_due_at) == ("met", None)
    assert verbs(ticket) == ["sla.policy_applied"]


def test_an_event_handled_twice_changes_nothing_the_second_time(org: Any, clock: Clock) -> None:
    ticket = owned_complaint(org, clock)
    clock.travel("2026-03-02T10:30+08:00")
    tickets.reply_to_customer(ticket, body="您好。", actor=org.agent)
    before = {m: (c.state, c.due_at, c.completed_at) for m, c in clocks_of(ticket).items()}
    events = list(Event.objects.filter(ticket_id=ticket.pk, verb__startswith="ticket."))
    count = Event.objects.count()

    clock.travel("2026-03-02T10:40+08:00")
    with pytest.MonkeyPatch.context():
        from django.db import transaction

        with transaction.atomic():
            track_clocks(events)

    after = {m: (c.state, c.due_at, c.completed_at) for m, c in clocks_of(ticket).items()}
    assert after == before
    assert Event.objects.count() == count
    assert after["first_response"][0] == ClockState.MET


def test_tier_organisation_and_parent_category_conditions_select_a_policy(
    org: Any, clock: Clock
) -> None:
    clock.travel(MONDAY_10)
    made = condition_policies()
    lost, company = made.lost, made.company

    vip_ticket = open_ticket("inquiry")
    Customer.objects.filter(pk=vip_ticket.customer_id).update(tier="vip")
    tickets.update_ticket(vip_ticket, tickets.TicketChanges(priority=3), actor=org.supervisor)
    lost_parcel = open_ticket("inquiry", category=lost, name="李雷")
    company_ticket = open_ticket("inquiry", name="韩梅梅")
    Customer.objects.filter(pk=company_ticket.customer_id).update(organisation=company)
    tickets.update_ticket(company_ticket, tickets.TicketChanges(priority=3), actor=org.supervisor)

    chosen = {
        name: clocks_of(t)["first_response"]
        for name, t in [("vip", vip_ticket), ("parcel", lost_parcel), ("company", company_ticket)]
    }
    assert {name: (c.policy.name if c.policy else "") for name, c in chosen.items()} == {
        "vip": "VIP 客户",
        "parcel": "物流",
        "company": "大客户",
    }
    assert chosen["parcel"].due_at == at("2026-03-02T12:00+08:00")


def test_an_inactive_policy_is_skipped(org: Any, clock: Clock) -> None:
    SlaPolicy.objects.filter(name="投诉").update(is_active=False)
    clock.travel(MONDAY_10)

    ticket = open_ticket("complaint")

    policy = clocks_of(ticket)["first_response"].policy
    assert policy is not None
    assert policy.name == "默认"


def test_a_breached_clock_paused_and_resumed_escalates_from_the_resumption(
    org: Any, clock: Clock
) -> None:
    org.complaints.supervisor = org.supervisor
    org.complaints.save(update_fields=["supervisor"])
    ticket = owned_complaint(org, clock)
    clock.run("2026-03-02T11:00+08:00")
    clock.travel("2026-03-02T11:10+08:00")
    tickets.change_status(ticket, status="open", actor=org.agent)
    tickets.change_status(ticket, status="pending_customer", actor=org.agent)
    clock.run("2026-03-02T16:00+08:00")  # paused: no escalation while waiting
    assert clocks_of(ticket)["first_response"].escalation_level == EscalationLevel.OWNER

    clock.travel("2026-03-03T09:00+08:00")
    tickets.add_customer_message(ticket, body="还没处理好吗？")
    clock.run("2026-03-03T09:29+08:00")
    assert clocks_of(ticket)["first_response"].escalation_level == EscalationLevel.OWNER
    clock.run("2026-03-03T09:30+08:00")

    first = clocks_of(ticket)["first_response"]
    assert (first.state, first.escalation_level) == ("breached", EscalationLevel.SUPERVISOR)
    assert verbs(ticket).count("sla.breached") == 1


def test_a_runner_late_past_the_due_time_records_the_breach_without_a_warning(
    org: Any, clock: Clock
) -> None:
    ticket = owned_complaint(org, clock)

    clock.run("2026-03-02T12:30+08:00")

    assert verbs(ticket) == ["sla.policy_applied", "sla.breached"]
    first = clocks_of(ticket)["first_response"]
    assert (first.state, first.breached_at) == ("breached", at("2026-03-02T11:00+08:00"))


def test_a_new_policy_without_a_target_drops_that_clock(org: Any, clock: Clock) -> None:
    clock.travel(MONDAY_10)
    ticket = open_ticket("complaint")
    clock.travel("2026-03-02T10:20+08:00")

    tickets.update_ticket(ticket, tickets.TicketChanges(kind="request"), actor=org.supervisor)
    tickets.update_ticket(ticket, tickets.TicketChanges(priority=3), actor=org.supervisor)

    clocks = clocks_of(ticket)
    assert set(clocks) == {"first_response"}
    assert clocks["first_response"].due_at == at("2026-03-04T10:00+08:00")  # 48 h, 24/7
    assert verbs(ticket) == ["sla.policy_applied", "sla.policy_applied"]
    clock.run("2026-03-09T10:00+08:00")
    assert verbs(ticket)[-1] == "sla.breached"  # only the remaining target fires
