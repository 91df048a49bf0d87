"""The sla REST API: a ticket's targets for whoever may see the ticket, the breach board for
supervisors only."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from bihuan.sla.tests.conftest import Clock, at, open_ticket
from bihuan.tickets import services as tickets

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("policies")]


def get(org: Any, username: str, path: str) -> Any:
    return Client().get(path, headers={"Authorization": f"Bearer {org.tokens[username]}"})


def test_a_tickets_targets_with_their_due_times(org: Any, clock: Clock) -> None:
    clock.travel("2026-03-02T10:00+08:00")
    ticket = open_ticket("complaint", team=org.presales)
    clock.run()

    response = get(org, "zhangwei", f"/api/v1/tickets/{ticket.pk}/sla")

    assert response.status_code == 200
    body = response.json()
    assert [(t["metric"], t["state"], at(t["due_at"])) for t in body] == [
        ("first_response", "running", at("2026-03-02T11:00+08:00")),
        ("resolution", "running", at("2026-03-05T10:00+08:00")),
    ]
    assert body[0]["policy"] == "投诉"
    assert body[0]["target_minutes"] == 60


def test_someone_who_may_not_see_the_ticket_gets_404(org: Any, clock: Clock) -> None:
    clock.travel("2026-03-02T10:00+08:00")
    ticket = open_ticket("complaint", team=org.complaints)
    tickets.update_ticket(ticket, tickets.TicketChanges(owner=org.other_agent), actor=org.admin)

    response = get(org, "wangqiang", f"/api/v1/tickets/{ticket.pk}/sla")

    assert response.status_code == 404


def test_the_breach_board_is_for_supervisors(org: Any, clock: Clock) -> None:
    clock.travel("2026-03-02T10:00+08:00")
    ticket = open_ticket("complaint", team=org.complaints)
    clock.run("2026-03-02T11:00+08:00")

    board = get(org, "supervisor", "/api/v1/sla/breaches")
    refused = get(org, "zhangwei", "/api/v1/sla/breaches")

    assert board.status_code == 200
    assert [(b["ticket"], b["metric"], b["state"]) for b in board.json()] == [
        (ticket.pk, "first_response", "breached")
    ]
    assert refused.status_code == 404
