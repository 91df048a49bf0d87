"""The customer pages: contacts masked in the list, full on the audited profile page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from bihuan.accounts.models import User
from bihuan.core.models import Event
from bihuan.testing.factories import make_ticket
from bihuan.tickets.models import Ticket
from conftest import Org

pytestmark = pytest.mark.django_db


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def ticket(org: Org) -> Ticket:
    return make_ticket(
        subject="快递显示已签收但没收到",
        team=org.presales,
        name="王芳",
        phone="13800138001",
        email="wangfang@example.com",
    )


def test_customer_page_shows_full_contacts_and_writes_a_viewed_event(
    org: Org, ticket: Ticket
) -> None:
    response = signed_in(org.agent).get(
        reverse("customers:detail", kwargs={"customer_id": ticket.customer_id})
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert "13800138001" in body
    assert "wangfang@example.com" in body
    assert [t.number for t in response.context["history"]] == [ticket.pk]
    event = Event.objects.get(verb="customer.viewed")
    assert event.actor_id == org.agent.pk
    assert event.customer_id == ticket.customer_id
    assert event.data == {"via": "web"}


def test_customer_outside_a_department_members_scope_is_not_found_and_not_audited(
    org: Org, ticket: Ticket
) -> None:
    response = signed_in(org.tech_member).get(
        reverse("customers:detail", kwargs={"customer_id": ticket.customer_id})
    )

    assert response.status_code == 404
    assert not Event.objects.filter(verb="customer.viewed").exists()


def test_customer_list_masks_contacts_and_is_not_audited(org: Org, ticket: Ticket) -> None:
    response = signed_in(org.agent).get(reverse("customers:list") + "?q=wangfang@example.com")

    body = response.content.decode()
    assert response.status_code == 200
    assert [c.pk for c, _contact in response.context["rows"]] == [ticket.customer_id]
    assert "138****8001" in body
    assert ">13800138001<" not in body
    assert not Event.objects.filter(verb="customer.viewed").exists()
