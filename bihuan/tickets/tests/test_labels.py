"""The ticket pages speak in translated labels, never in stored codes."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from bihuan.testing.factories import make_ticket
from bihuan.tickets.models import Category, Ticket

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_status_the_ticket_cannot_take_is_refused_by_its_label(org: Any) -> None:
    ticket = make_ticket(team=org.presales, kind="after_sales")
    client = _client(org.agent)

    response = client.post(
        f"/tickets/{ticket.pk}/properties/",
        {"status": "closed", "priority": "2", "kind": "after_sales"},
        follow=True,
    )

    html = response.content.decode()
    assert "“已闭环”" in html
    assert "closed 不在" not in html
    assert "closed is not one" not in html
    assert Ticket.objects.get(pk=ticket.pk).status == "new"


def test_an_english_category_name_shows_in_the_english_interface(org: Any) -> None:
    refunds = Category.objects.create(name="退款/退货", name_en="Refunds and returns")
    ticket = make_ticket(team=org.presales, category=refunds, kind="inquiry")
    client = _client(org.agent)

    chinese = client.get("/").content.decode()
    client.cookies["django_language"] = "en"
    english = client.get("/").content.decode()

    assert "退款/退货" in chinese
    assert "Refunds and returns" in english
    assert "退款/退货" not in english.split('data-testid="ticket-table"')[1]
    with translation.override("en"):
        assert ticket.get_kind_display() == "Inquiry"
    assert ">inquiry<" not in english
