"""The portal API: a code, a token, and the request it opens (issue 16, customer portal)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from bihuan.portal.models import PortalCode
from bihuan.portal.tests.conftest import last_code
from bihuan.testing.asgi_client import AsgiClient
from bihuan.tickets import services
from bihuan.tickets.choices import MessageKind, TicketStatus
from bihuan.tickets.models import Message, Ticket

# The ASGI client runs the application in its own thread and connection.
pytestmark = pytest.mark.django_db(transaction=True)


def _token(payload: dict[str, str]) -> str:
    anonymous = AsgiClient(None)
    asked = anonymous.post("/api/v1/portal/codes", json=payload)
    assert asked.status_code == 202, asked.json()
    opened = anonymous.post(
        "/api/v1/portal/sessions",
        json={"challenge": asked.json()["challenge"], "code": last_code()},
    )
    assert opened.status_code == 201, opened.json()
    return str(opened.json()["token"])


def test_a_code_opens_the_request_and_the_customer_replies(
    org: Any, customer_ticket: Ticket
) -> None:
    services.reply_to_customer(customer_ticket, body="请提供订单号", actor=org.agent)
    services.add_internal_note(customer_ticket, body="内部备注：老客户", actor=org.agent)
    token = _token({"number": str(customer_ticket.pk), "contact": "13800138000"})
    client = AsgiClient(token)

    detail = client.get(f"/api/v1/portal/requests/{customer_ticket.pk}")
    written = client.post(
        f"/api/v1/portal/requests/{customer_ticket.pk}/messages", json={"body": "订单号 A123"}
    )

    assert detail.status_code == 200
    body = detail.json()
    assert (body["number"], body["status"]) == (customer_ticket.pk, TicketStatus.OPEN)
    assert [(e["from_customer"], e["body"]) for e in body["timeline"] if e["body"]] == [
        (True, "我上周下的订单到现在还没发货，请帮忙查一下。"),
        (False, "请提供订单号"),
    ]
    assert "内部备注" not in detail.content.decode()
    assert not {"owner", "priority", "tags", "team", "emotion", "sla_due_at"} & set(body)
    assert written.status_code == 201
    message = Message.objects.get(pk=written.json()["id"])
    assert (message.kind, message.body) == (MessageKind.CUSTOMER, "订单号 A123")


def test_signing_in_by_email_lists_every_request_of_the_customer(
    customer_ticket: Ticket, other_ticket: Ticket
) -> None:
    token = _token({"email": "wang.fang@example.cn"})

    listed = AsgiClient(token).get("/api/v1/portal/requests")

    assert [r["number"] for r in listed.json()] == [customer_ticket.pk]


def test_a_solved_request_is_confirmed_or_reopened(org: Any, customer_ticket: Ticket) -> None:
    services.change_status(customer_ticket, status=TicketStatus.SOLVED, actor=org.agent)
    client = AsgiClient(_token({"email": "wang.fang@example.cn"}))

    confirmed = client.post(f"/api/v1/portal/requests/{customer_ticket.pk}/confirmation")
    again = client.post(f"/api/v1/portal/requests/{customer_ticket.pk}/confirmation")
    reopened = client.post(
        f"/api/v1/portal/requests/{customer_ticket.pk}/reopening", json={"body": "还是不行"}
    )

    assert confirmed.status_code == 200
    assert (again.status_code, again.json()["code"]) == (409, "confirmed")
    assert reopened.status_code == 201
    assert Ticket.objects.get(pk=customer_ticket.pk).status == TicketStatus.OPEN


def test_asking_for_a_code_answers_the_same_for_a_request_that_does_not_exist(
    customer_ticket: Ticket,
) -> None:
    anonymous = AsgiClient(None)
    real = anonymous.post(
        "/api/v1/portal/codes",
        json={"number": str(customer_ticket.pk), "contact": "13800138000"},
    )
    fake = anonymous.post(
        "/api/v1/portal/codes", json={"number": "99999", "contact": "13800138000"}
    )

    assert real.status_code == fake.status_code == 202
    assert {k for k in real.json() if real.json()[k] != fake.json()[k]} == {"challenge"}
    assert len(mail.outbox) == 1


def test_a_request_without_number_or_email_is_refused(org: Any) -> None:
    response = AsgiClient(None).post("/api/v1/portal/codes", json={"contact": "13800138000"})

    assert (response.status_code, response.json()["code"]) == (422, "validation_failed")
    assert PortalCode.objects.count() == 0


def test_a_signed_out_token_stops_working(customer_ticket: Ticket) -> None:
    client = AsgiClient(_token({"email": "wang.fang@example.cn"}))

    assert client.request("DELETE", "/api/v1/portal/sessions/current").status_code == 204
    assert client.get("/api/v1/portal/requests").status_code == 401
