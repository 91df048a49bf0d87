"""A customer never reaches another customer's request or an internal note, by any portal URL
or API call (issue 16, customer portal: security)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from bihuan.api import api
from bihuan.customers.services import ContactDetails
from bihuan.portal import services as portal_services
from bihuan.portal.tests.conftest import OpenPortal, last_code
from bihuan.testing.asgi_client import AsgiClient
from bihuan.tickets import services
from bihuan.tickets.models import Message, Ticket
from tests.security.state import db_state

NOTE = "内部备注：这位客户上次退款被拒"
# Bodies valid in themselves, so that scope is the only reason to refuse.
BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/api/v1/portal/requests/{number}/messages"): {"body": "你好"},
    ("POST", "/api/v1/portal/requests/{number}/confirmation"): None,
    ("POST", "/api/v1/portal/requests/{number}/reopening"): {"body": "还没好"},
    ("POST", "/api/v1/portal/requests/{number}/rating"): {"score": 5},
}


def _portal_api_routes() -> list[tuple[str, str]]:
    paths = api.get_openapi_schema()["paths"]
    return [
        (method.upper(), path)
        for path, operations in paths.items()
        if path.startswith("/api/v1/portal/requests/{number}")
        for method in operations
    ]


@pytest.fixture
def noted(org: Any, customer_ticket: Ticket) -> Ticket:
    services.reply_to_customer(customer_ticket, body="已为您登记", actor=org.agent)
    services.add_internal_note(customer_ticket, body=NOTE, actor=org.agent)
    return customer_ticket


@pytest.mark.django_db
def test_the_ticket_page_shows_no_internal_note_and_no_internal_field(
    org: Any, noted: Ticket, open_portal: OpenPortal
) -> None:
    services.update_ticket(
        noted,
        services.TicketChanges(owner=org.other_agent, tags=["高风险客户"], priority=4),
        actor=org.admin,
    )
    client = open_portal(noted)

    html = client.get(f"/portal/requests/{noted.pk}/").content.decode()

    assert "已为您登记" in html
    for internal in (NOTE, "高风险客户", "售前咨询组", "李娜", "added an internal note"):
        assert internal not in html


@pytest.mark.django_db
def test_a_note_cannot_be_reached_as_a_file_of_the_ticket(
    noted: Ticket, open_portal: OpenPortal
) -> None:
    note = Message.objects.get(body=NOTE)
    client = open_portal(noted)

    response = client.get(f"/portal/requests/{noted.pk}/files/{note.pk}/")

    assert response.status_code == 404


@pytest.mark.django_db(transaction=True)
def test_every_api_route_refuses_another_customer_and_strangers(
    noted: Ticket, other_ticket: Ticket
) -> None:
    asked = portal_services.request_lookup_code(
        number=str(other_ticket.pk), contact="li.lei@example.cn", client_address="10.8.0.1"
    )
    other = portal_services.verify_code(challenge=asked.challenge, code=last_code()).token
    callers = {"another customer": (other, 404), "nobody": (None, 401)}
    callers["a forged token"] = ("bhp_" + "x" * 43, 401)
    routes = _portal_api_routes()
    failures = []

    for label, (token, expected) in callers.items():
        for method, template in routes:
            before = db_state()
            response = AsgiClient(token).request(
                method, template.format(number=noted.pk), json=BODIES.get((method, template))
            )
            if response.status_code != expected or NOTE in response.text or db_state() != before:
                failures.append((label, method, template, response.status_code))

    assert len(routes) == 5
    assert failures == []


@pytest.mark.django_db(transaction=True)
def test_the_api_timeline_has_no_internal_note(noted: Ticket) -> None:
    asked = portal_services.request_lookup_code(
        number=str(noted.pk), contact="13800138000", client_address="10.8.0.2"
    )
    token = portal_services.verify_code(challenge=asked.challenge, code=last_code()).token

    response = AsgiClient(token).get(f"/api/v1/portal/requests/{noted.pk}")

    assert response.status_code == 200
    assert NOTE not in response.text
    assert [e["verb"] for e in response.json()["timeline"]] == [
        "ticket.created",
        "ticket.message_added",
        "ticket.status_changed",
    ]


@pytest.mark.django_db
def test_a_lookup_session_does_not_open_the_customers_other_requests(
    noted: Ticket, open_portal: OpenPortal
) -> None:
    second = services.create_ticket(
        services.NewTicket(
            subject="第二个问题",
            body="另一件事",
            contact=ContactDetails(email="wang.fang@example.cn"),
        ),
        actor=None,
    )
    client = open_portal(noted)

    answers = [
        client.get(f"/portal/requests/{second.pk}/").status_code,
        client.post(f"/portal/requests/{second.pk}/reply/", {"body": "x"}).status_code,
    ]
    listed = client.get("/portal/requests/").content.decode()

    assert answers == [404, 404]
    assert "第二个问题" not in listed


@pytest.mark.django_db
def test_the_session_id_changes_when_a_code_is_verified(
    noted: Ticket, open_portal: OpenPortal
) -> None:
    client = Client(REMOTE_ADDR="10.8.0.3")
    client.get("/portal/")
    client.cookies["sessionid"] = "fixated-session-id-from-an-attacker"

    open_portal(noted, client=client)

    assert client.cookies["sessionid"].value != "fixated-session-id-from-an-attacker"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "cursor", ["%%%", "eyJ4IjogMX0", "WyJuIiwgMSwgMTE4MDU5MTYyMDcxNzQxMTMwMzQyNF0"]
)
def test_a_forged_cursor_answers_4xx_never_500(
    noted: Ticket, open_portal: OpenPortal, cursor: str
) -> None:
    client = open_portal(noted)

    answers = [
        client.get(path, {"cursor": cursor}).status_code
        for path in ("/portal/help/", "/portal/requests/", f"/portal/requests/{noted.pk}/")
    ]

    assert all(400 <= status < 500 for status in answers), answers


@pytest.mark.django_db
def test_portal_pages_carry_no_inline_script_or_style(
    noted: Ticket, open_portal: OpenPortal
) -> None:
    client = open_portal(noted)

    for path in (
        "/portal/",
        "/portal/help/",
        "/portal/requests/new/",
        f"/portal/requests/{noted.pk}/",
    ):
        html = client.get(path).content.decode()

        assert " style=" not in html
        assert "<style" not in html
        assert "<script>" not in html
