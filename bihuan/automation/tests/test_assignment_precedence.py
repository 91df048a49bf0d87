"""One assignment service, one precedence whoever calls it: an agent's explicit choice, then
an automation rule, then the routing rules, then the queue's strategy."""

from __future__ import annotations

from typing import Any

import pytest

from bihuan.accounts.services import configure_queue, set_availability
from bihuan.automation.tests.conftest import make_rule, new_ticket, ticket_events
from bihuan.tickets import services as tickets
from bihuan.tickets.models import Ticket
from bihuan.triage import assignment
from bihuan.triage import services as triage

pytestmark = pytest.mark.django_db(transaction=True)


def _ticket(pk: int) -> Ticket:
    return Ticket.objects.select_related("customer", "team").get(pk=pk)


def test_a_rule_replaces_the_queues_pick_but_never_an_agents_choice(org: Any) -> None:
    set_availability(org.other_agent, availability="online", actor=org.other_agent)
    configure_queue(
        org.complaints,
        assignment_strategy="round_robin",
        offline_release_minutes=0,
        actor=org.admin,
    )
    make_rule(
        org.admin,
        "投诉给主管",
        "ticket.updated",
        [{"type": "assign", "value": org.supervisor.pk}],
        conditions={"tag": "升级"},
    )
    by_queue = new_ticket("complaint", team=org.complaints)
    by_agent = new_ticket("complaint", team=org.complaints)
    assert (_ticket(by_queue.pk).owner_id, _ticket(by_agent.pk).owner_id) == (
        org.other_agent.pk,
        org.other_agent.pk,
    )
    tickets.update_ticket(by_agent, tickets.TicketChanges(owner=org.agent), actor=org.other_agent)

    for ticket in (by_queue, by_agent):
        tickets.update_ticket(ticket, tickets.TicketChanges(tags=["升级"]), actor=org.other_agent)

    assert _ticket(by_queue.pk).owner_id == org.supervisor.pk
    assert _ticket(by_agent.pk).owner_id == org.agent.pk
    (refused,) = ticket_events(by_agent, "automation.rule_applied")
    assert refused.data["actions"][0]["done"] is False
    (assigned,) = [
        e
        for e in ticket_events(by_queue, "ticket.assigned")
        if e.data.get("reason") == "automation"
    ]
    assert (assigned.data["to"], assigned.data["rule_name"]) == (org.supervisor.pk, "投诉给主管")


def test_routing_and_the_queue_leave_an_owner_chosen_by_a_rule(org: Any) -> None:
    set_availability(org.other_agent, availability="online", actor=org.other_agent)
    ticket = new_ticket("complaint")
    triage.assign_owner(_ticket(ticket.pk), owner=org.supervisor, source="automation")
    tickets.update_ticket(ticket, tickets.TicketChanges(team=org.complaints), actor=org.admin)

    triage.route_and_assign(ticket.pk)
    chosen = triage.assign_owner(_ticket(ticket.pk))

    assert chosen is None
    assert _ticket(ticket.pk).owner_id == org.supervisor.pk
    assert assignment.current_level(ticket.pk) == assignment.AUTOMATION


def test_the_levels_follow_the_documented_order(org: Any) -> None:
    ticket = new_ticket()

    assert assignment.current_level(ticket.pk) is None
    assert assignment.may_assign(ticket.pk, source="queue")
    tickets.update_ticket(ticket, tickets.TicketChanges(owner=org.agent), actor=org.supervisor)

    assert assignment.current_level(ticket.pk) == assignment.AGENT
    assert [assignment.may_assign(ticket.pk, source=s) for s in assignment.PRECEDENCE] == [
        True,
        False,
        False,
        False,
    ]
    assert assignment.level_of(reason="vip_advisor", actor_id=None) == assignment.ROUTING
    assert assignment.level_of(reason="round_robin", actor_id=None) == assignment.QUEUE
    assert assignment.level_of(reason="first_reply", actor_id=org.agent.pk) == assignment.AGENT
