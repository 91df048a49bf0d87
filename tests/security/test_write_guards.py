"""Every write checks the role before anything is written, and identities never link to a
customer the caller may not see (issue 9: personal data and scope)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from bihuan.core.errors import PermissionDenied
from bihuan.customers.models import CustomerIdentity
from bihuan.customers.services import ContactDetails, create_customer, resolve_customer
from bihuan.testing.factories import make_ticket
from bihuan.tickets import services
from conftest import Org
from tests.security.state import db_state

pytestmark = pytest.mark.django_db(transaction=True)

DUE = (timezone.now() + timedelta(days=3)).isoformat()


@pytest.fixture
def shared(org: Org) -> Any:
    """A ticket shared with the tech department, whose members may only add notes."""
    ticket = make_ticket(team=org.presales, phone="13800138000", name="王芳")
    services.update_ticket(
        ticket, services.TicketChanges(shared_departments=[org.tech]), actor=org.admin
    )
    commitment = services.add_commitment(
        ticket, description="明天回电", due_at=timezone.now() + timedelta(days=1), actor=org.agent
    )
    return ticket, commitment


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        (
            "POST",
            "/api/v1/tickets",
            {"subject": "新问题", "body": "内容", "customer": {"name": "甲"}},
        ),
        (
            "POST",
            "/api/v1/tickets",
            {"subject": "冒充", "body": "内容", "customer": {"phone": "13800138000"}},
        ),
        (
            "POST",
            "/api/v1/tickets",
            {
                "subject": "加邮箱",
                "body": "内容",
                "customer": {"phone": "13800138000", "email": "attacker@example.com"},
            },
        ),
        ("POST", "/api/v1/customers", {"name": "新客户", "phone": "13900001111"}),
        ("POST", "/api/v1/customers", {"name": "探号", "phone": "13800138000"}),
        ("PATCH", "/api/v1/tickets/{number}", {"priority": "urgent"}),
        ("POST", "/api/v1/tickets/{number}/messages", {"kind": "reply", "body": "您好"}),
        ("POST", "/api/v1/tickets/{number}/messages", {"kind": "customer", "body": "您好"}),
        ("POST", "/api/v1/tickets/{number}/commitments", {"description": "回电", "due_at": DUE}),
        ("POST", "/api/v1/tickets/{number}/commitments/{commitment}/complete", None),
        ("POST", "/api/v1/tickets/{number}/commitments/{commitment}/cancel", {"reason": "不做"}),
    ],
)
def test_a_notes_only_role_is_refused_every_write_and_nothing_changes(
    org: Org, shared: Any, method: str, path: str, body: Any
) -> None:
    ticket, commitment = shared
    before = db_state()

    response = org.client("wangqiang").request(
        method, path.format(number=ticket.pk, commitment=commitment.pk), json=body
    )

    assert response.status_code == 403, response.text
    assert response.json()["code"] == "read_only_role"
    assert "13800138000" not in response.text
    assert str(ticket.customer_id) not in response.json()["message"]
    assert db_state() == before


def test_a_notes_only_role_may_still_add_a_note(org: Org, shared: Any) -> None:
    ticket, _commitment = shared

    response = org.client("wangqiang").post(
        f"/api/v1/tickets/{ticket.pk}/messages", json={"kind": "note", "body": "日志已查"}
    )

    assert response.status_code == 201


@pytest.mark.parametrize(
    "details",
    [
        ContactDetails(phone="13800138000"),
        ContactDetails(phone="+86 138 0013 8000", email="other@example.com"),
        ContactDetails(name="新人", email="new@example.com"),
    ],
)
def test_services_refuse_customer_writes_by_a_notes_only_role(
    org: Org, shared: Any, details: ContactDetails
) -> None:
    before = db_state()

    with pytest.raises(PermissionDenied):
        resolve_customer(details, actor=org.tech_member)
    with pytest.raises(PermissionDenied):
        create_customer(details=details, actor=org.tech_head)

    assert db_state() == before


def test_a_new_identity_typed_by_a_person_links_but_never_becomes_primary(
    org: Org, shared: Any
) -> None:
    ticket, _commitment = shared

    response = org.client("zhangwei").post(
        "/api/v1/tickets",
        json={
            "subject": "再次咨询",
            "body": "内容",
            "customer": {"phone": "13800138000", "email": "someone@example.com"},
        },
    )

    assert response.status_code == 201, response.text
    assert response.json()["customer"]["id"] == ticket.customer_id
    assert list(
        CustomerIdentity.objects.filter(customer_id=ticket.customer_id)
        .order_by("kind")
        .values_list("kind", "value", "is_primary")
    ) == [("email", "someone@example.com", False), ("phone", "+8613800138000", True)]


def test_a_channel_senders_first_email_becomes_primary(org: Org, shared: Any) -> None:
    ticket, _commitment = shared

    customer, created = resolve_customer(
        ContactDetails(phone="13800138000", email="wangfang@example.com"), actor=None
    )

    assert (customer.pk, created) == (ticket.customer_id, False)
    assert CustomerIdentity.objects.get(value="wangfang@example.com").is_primary


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/tickets/{number}/reply/", {"body": "您好"}),
        ("/tickets/{number}/properties/", {"status": "open", "priority": "4", "kind": "inquiry"}),
        ("/tickets/{number}/handling/", {"need_statement": "退款", "solution": "退款"}),
        ("/tickets/{number}/commitments/", {"description": "回电", "due_at": "2030-01-01T10:00"}),
        ("/tickets/{number}/commitments/{commitment}/done/", {}),
        ("/tickets/{number}/commitments/{commitment}/cancel/", {"reason": "不做"}),
        ("/kanban/move/", {"number": "{number}", "status": "open"}),
    ],
)
def test_the_pages_refuse_every_write_of_a_notes_only_role(
    org: Org, shared: Any, path: str, data: dict[str, str]
) -> None:
    ticket, commitment = shared
    client = Client()
    client.force_login(org.tech_member)
    before = db_state()

    response = client.post(
        path.format(number=ticket.pk, commitment=commitment.pk),
        {k: v.format(number=ticket.pk) for k, v in data.items()},
    )

    assert response.status_code in (302, 403)
    assert db_state() == before


@pytest.mark.parametrize("query", ["13800138000", "138 0013 8000", "+8613800138000"])
def test_a_notes_only_role_cannot_learn_whose_phone_number_it_is(
    org: Org, shared: Any, query: str
) -> None:
    client = Client()
    client.force_login(org.tech_member)

    search = client.get("/search/", {"q": query})
    customers = client.get("/customers/", {"q": query})
    api = org.client("wangqiang").get("/api/v1/customers", params={"q": query})

    assert search.context["customers"] == []
    assert customers.context["rows"] == []
    assert api.json()["items"] == []
