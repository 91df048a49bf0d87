"""The search box finds customers by name, and a masked phone typed as shown as a phone."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from bihuan.testing.factories import make_ticket

pytestmark = pytest.mark.django_db


def _search(user: Any, query: str) -> str:
    client = Client()
    client.force_login(user)
    response = client.get("/search/", {"q": query})
    assert response.status_code == 200
    return response.content.decode()


def test_a_customer_is_found_by_name_with_her_tickets(org: Any) -> None:
    ticket = make_ticket(
        subject="耳机左边没声音",
        body="买的耳机左耳不响",
        name="郭文静",
        phone="18112349564",
        team=org.presales,
    )
    make_ticket(subject="发票", body="请开发票", name="王芳", phone="13800000000")

    html = _search(org.agent, "郭文静")

    assert 'data-testid="customer-results"' in html
    assert "郭文静" in html
    assert "181****9564" in html
    assert "18112349564" not in html
    assert ticket.subject in html
    assert "王芳" not in html


def test_a_masked_phone_typed_as_shown_finds_the_customer(org: Any) -> None:
    make_ticket(subject="耳机左边没声音", body="左耳不响", name="郭文静", phone="18112349564")
    make_ticket(subject="另一位", body="同号段", name="王芳", phone="18112340000")

    html = _search(org.agent, "181****9564")

    assert "郭文静" in html
    assert "王芳" not in html


def test_an_english_name_is_found_case_insensitively(org: Any) -> None:
    make_ticket(
        subject="Refund for a broken kettle",
        body="The kettle stopped working after two days.",
        name="Emily Carter",
        email="emily.carter@example.com",
        team=org.presales,
    )

    html = _search(org.agent, "emily carter")

    assert "Emily Carter" in html
    assert "Refund for a broken kettle" in html
