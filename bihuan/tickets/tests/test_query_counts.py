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


def test_creating_a_ticket_through_the_api_costs_a_fixed_number_of_statements(org: Any) -> None:
    # The SQL of one create for a new customer (token, queue, the identity looked up, the
    # customer with its identity and event, ticket, message, tag link, the ticket's event and
    # its reactions) and nothing that reads the new ticket back for the answer.
    client = Client()
    headers = {"Authorization": f"Bearer {org.tokens['zhangwei']}"}

    def create(phone: str) -> Any:
        payload = {
            "subject": "申请退款",
            "body": "我要申请退款，订单号 2024110512345。",
            "channel": "api",
            "team_id": org.presales.pk,
            "tags": ["加急"],
            "customer": {"name": "王芳", "phone": phone},
        }
        return client.post(
            "/api/v1/tickets", payload, content_type="application/json", headers=headers
        )

    create("13800000000")  # warm: the token's last use, the tag
    with CaptureQueriesContext(connection) as captured:
        response = create("13800000001")

    assert response.status_code == 201, response.content
    statements = [q["sql"] for q in captured]
    reads_back = [
        sql
        for sql in statements
        if sql.startswith("SELECT")
        and any(
            f'FROM "{table}"' in sql
            for table in ("tickets_ticket", "tickets_commitment", "tickets_ticketlink")
        )
    ]
    assert reads_back == []
    assert len(statements) == 16, "\n".join(statements)

    # The same customer writes again: found by the identity, nothing of theirs written, and
    # no savepoint around a customer resolution that has nothing to undo.
    with CaptureQueriesContext(connection) as captured:
        response = create("138 0000 0001")
    statements = [q["sql"] for q in captured]
    assert response.status_code == 201, response.content
    assert not [sql for sql in statements if 'INTO "customers_' in sql]
    assert len(statements) == 11, "\n".join(statements)


def test_the_ticket_page_reads_the_unread_count_departments_and_users_once(org: Any) -> None:
    ticket = _rich_ticket(org, 1)
    client = Client()
    client.force_login(org.agent)
    path = f"/tickets/{ticket.pk}/"
    client.get(path)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)

    assert response.status_code == 200
    statements = [q["sql"] for q in captured]

    def reading(table: str) -> list[str]:
        return [s for s in statements if s.startswith("SELECT") and f'FROM "{table}"' in s]

    assert len(reading("core_notification")) == 1
    lists = [s for s in statements if s.startswith('SELECT "accounts_department"."id"')]
    assert len(lists) == 1  # (the ticket's shared departments are a prefetch of their own)
    active_users = 'WHERE "accounts_user"."is_active"'
    assert len([s for s in reading("accounts_user") if active_users in s]) == 1
    newest_event = 'SELECT MAX("core_event"."id")'
    assert len([s for s in statements if s.startswith(newest_event)]) == 1
    assert len(statements) == 31, "\n".join(statements)
