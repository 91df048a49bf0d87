"""Query budgets: list and detail endpoints cost the same number of queries for 1 row as for
many (no N+1)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bihuan.testing.factories import make_ticket
from bihuan.tickets import services

pytestmark = pytest.mark.django_db


def _queries(client: Client, path: str, token: str) -> int:
    client.get(path, headers={"Authorization": f"Bearer {token}"})  # warm: token last-used
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.content
    return len(captured)


def _rich_ticket(org: Any, index: int) -> Any:
    ticket = make_ticket(
        subject=f"问题 {index}", team=org.presales, phone=f"139{index:08d}", tags=["加急", "复购"]
    )
    services.update_ticket(
        ticket, services.TicketChanges(owner=org.agent, priority=3), actor=org.agent
    )
    return ticket


def test_the_ticket_list_costs_the_same_for_one_and_for_fifty_tickets(org: Any) -> None:
    client = Client()
    token = org.tokens["zhangwei"]
    _rich_ticket(org, 0)
    one = _queries(client, "/api/v1/tickets?limit=50", token)

    for i in range(1, 50):
        _rich_ticket(org, i)
    fifty = _queries(client, "/api/v1/tickets?limit=50", token)

    assert one == fifty


def test_the_customer_list_costs_the_same_for_one_and_for_thirty_customers(org: Any) -> None:
    client = Client()
    token = org.tokens["zhangwei"]
    _rich_ticket(org, 0)
    one = _queries(client, "/api/v1/customers?limit=50", token)

    for i in range(1, 30):
        _rich_ticket(org, i)
    thirty = _queries(client, "/api/v1/customers?limit=50", token)

    assert one == thirty


def test_the_timeline_costs_the_same_for_two_and_for_forty_messages(org: Any) -> None:
    client = Client()
    token = org.tokens["zhangwei"]
    ticket = _rich_ticket(org, 0)
    services.reply_to_customer(ticket, body="您好", actor=org.agent)
    path = f"/api/v1/tickets/{ticket.pk}/messages"
    few = _queries(client, path, token)
    detail_few = _queries(client, f"/api/v1/tickets/{ticket.pk}", token)

    for i in range(19):
        services.add_customer_message(ticket, body=f"追问 {i}")
        services.add_internal_note(ticket, body=f"@lina 备注 {i}", actor=org.agent)
    many = _queries(client, path, token)
    detail_many = _queries(client, f"/api/v1/tickets/{ticket.pk}", token)

    assert few == many
    assert detail_few == detail_many


def test_the_inbox_and_the_ticket_page_name_the_viewers_department_without_reading_it_again(
    org: Any,
) -> None:
    ticket = _rich_ticket(org, 1)
    client = Client()
    client.force_login(org.agent)
    for path in ("/?view=open", f"/tickets/{ticket.pk}/"):
        client.get(path)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        assert response.status_code == 200
        assert org.agent.department.name in response.content.decode()
        by_id = [
            q["sql"]
            for q in captured
            if 'FROM "accounts_department" WHERE "accounts_department"."id" =' in q["sql"]
        ]
        assert by_id == [], path
