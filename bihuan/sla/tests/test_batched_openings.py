"""New tickets' clocks are started a batch at a time (``services.start_clocks``): the batch
must leave exactly what one ``apply_policy`` per ticket leaves — clocks, due work, events and
the tickets' SLA status — for every kind of ticket a batch can hold, and its cost must not
grow with the batch."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from bihuan.core.models import DueItem, Event, Reaction, WorkState
from bihuan.customers.models import Customer
from bihuan.sla.handlers import track_clocks
from bihuan.sla.models import SlaClock, SlaPolicy
from bihuan.sla.tests.conftest import Clock, condition_policies, open_ticket
from bihuan.tickets import services as tickets
from bihuan.tickets.models import Ticket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("policies")]

MONDAY_10 = "2026-03-02T10:00+08:00"


@pytest.fixture
def queued(settings: Any) -> None:
    """Reactions wait for a runner, as in production, so that a batch gathers."""
    settings.BIHUAN_REACTIONS_INLINE = False


def pending_events() -> list[Event]:
    ids = Reaction.objects.filter(consumer="sla.track_clocks", state=WorkState.PENDING).values(
        "event_id"
    )
    return list(Event.objects.filter(pk__in=ids).order_by("id"))


def varied_tickets(org: Any, clock: Clock) -> list[Ticket]:
    """Every case a batch of new tickets can hold, created before any reaction ran."""
    clock.travel(MONDAY_10)
    conditions = condition_policies()
    lost, company = conditions.lost, conditions.company
    parcel = SlaPolicy.objects.get(name="物流")
    parcel.targets.create(metric="resolution", minutes=600)
    SlaPolicy.objects.create(name="停用", position=0, is_active=False, calendar=parcel.calendar)

    made = [
        open_ticket("inquiry"),
        open_ticket("complaint", team=org.complaints, name="李雷"),
        open_ticket("inquiry", category=lost, name="韩梅梅"),
        open_ticket("complaint", priority=4, channel="phone", name="赵强"),
        open_ticket("request", name="冯涛"),  # a 24/7 calendar
        open_ticket("suggestion", name="陈晨"),
    ]
    vip_customer = open_ticket("inquiry", name="钱多多")
    Customer.objects.filter(pk=vip_customer.customer_id).update(tier="vip")
    company_ticket = open_ticket("inquiry", name="孙丽")
    Customer.objects.filter(pk=company_ticket.customer_id).update(organisation=company)
    clock.travel("2026-03-02T10:20+08:00")
    answered = open_ticket("complaint", team=org.complaints, name="周杰")
    tickets.reply_to_customer(answered, body="您好，已收到。", actor=org.agent)
    waiting = open_ticket("inquiry", name="吴敏")
    tickets.reply_to_customer(waiting, body="请提供订单号。", actor=org.agent)
    tickets.change_status(waiting, status="pending_customer", actor=org.agent)
    solved = open_ticket("inquiry", name="郑洁")
    tickets.reply_to_customer(solved, body="已处理。", actor=org.agent)
    tickets.change_status(solved, status="solved", actor=org.agent)
    return [*made, vip_customer, company_ticket, answered, waiting, solved]


def snapshot() -> dict[str, Any]:
    """What the clocks' reactions left, by ticket and metric (ids differ between runs)."""
    clocks = {c.pk: c for c in SlaClock.objects.all()}

    def by_clock(key: str) -> str:
        parts = key.split(":")
        found = clocks[int(parts[1])]
        return ":".join([str(found.ticket_id), found.metric, *parts[2:]])

    return {
        "clocks": sorted(
            (
                c.ticket_id,
                c.metric,
                c.policy_id,
                c.calendar_id,
                c.target_minutes,
                c.warn_at_percent,
                c.state,
                c.started_at,
                c.running_since,
                c.elapsed_seconds,
                c.due_at,
                c.completed_at,
            )
            for c in clocks.values()
        ),
        "due": sorted(
            (i.kind, by_clock(i.key), i.due_at, sorted(i.data.items()))
            for i in DueItem.objects.filter(state=WorkState.PENDING, kind__startswith="sla.")
        ),
        "tickets": sorted(
            Ticket.objects.values_list("pk", "sla_state", "sla_due_at", "sla_sort_key")
        ),
        "events": sorted(
            (e.ticket_id, e.verb, e.occurred_at, sorted(e.data.items()))
            for e in Event.objects.filter(verb__startswith="sla.")
        ),
        "reactions": sorted(
            Reaction.objects.filter(event__verb__startswith="sla.").values_list(
                "event__ticket_id", "consumer"
            )
        ),
    }


def outcome(handle: Any) -> dict[str, Any]:
    """``handle()``'s result, rolled back afterwards so that the next run starts the same."""
    with transaction.atomic():
        handle()
        seen = snapshot()
        transaction.set_rollback(True)
    return seen


@pytest.mark.usefixtures("queued")
def test_a_batch_leaves_what_one_ticket_at_a_time_leaves(org: Any, clock: Clock) -> None:
    made = varied_tickets(org, clock)
    events = pending_events()
    assert {e.verb for e in events} >= {"ticket.created", "ticket.message_added"}
    clock.travel("2026-03-02T10:40+08:00")

    one_by_one = outcome(lambda: [track_clocks([event]) for event in events])
    batched = outcome(lambda: track_clocks(events))

    assert batched == one_by_one
    states = {row[0]: row[1] for row in batched["tickets"]}
    # The cases are what they claim to be: running, answered, paused, solved (no clocks).
    assert states[made[0].pk] == "running"
    assert {row[1]: row[6] for row in batched["clocks"] if row[0] == made[-3].pk} == {
        "first_response": "met",
        "resolution": "running",
    }
    assert states[made[-2].pk] == "paused"
    assert states[made[-1].pk] == ""
    assert len({row[2] for row in batched["clocks"]}) >= 4  # four different policies chose


@pytest.mark.usefixtures("queued")
def test_an_opening_handled_twice_changes_nothing(org: Any, clock: Clock) -> None:
    varied_tickets(org, clock)
    events = [e for e in pending_events() if e.verb == "ticket.created"]
    clock.travel("2026-03-02T10:40+08:00")
    with transaction.atomic():
        track_clocks(events)
    once = snapshot()

    clock.travel("2026-03-02T11:00+08:00")
    with transaction.atomic():
        track_clocks(events[:3])  # a batch handed out again, in part
        track_clocks(events)

    assert snapshot() == once


@pytest.mark.usefixtures("queued")
def test_a_batch_costs_the_same_statements_for_two_or_twenty_tickets(
    org: Any, clock: Clock
) -> None:
    clock.travel(MONDAY_10)
    for index in range(22):
        open_ticket("complaint" if index % 2 else "inquiry", name=f"客户{index}")
    events = pending_events()
    clock.travel("2026-03-02T10:40+08:00")

    with transaction.atomic(), CaptureQueriesContext(connection) as two:
        track_clocks(events[:2])
    with transaction.atomic(), CaptureQueriesContext(connection) as twenty:
        track_clocks(events[2:])

    assert len(twenty) == len(two)
    assert SlaClock.objects.count() == 44
    assert DueItem.objects.filter(kind="sla.breach", state=WorkState.PENDING).count() == 44
