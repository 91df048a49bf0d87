"""Odd input on the pages answers a 4xx or the normal page, never a 500 (issue 9)."""

from __future__ import annotations

import base64
import json

import pytest
from django.test import Client

from bihuan.testing.factories import make_ticket
from conftest import Org
from tests.security.state import db_state

pytestmark = pytest.mark.django_db


def _cursor(raw: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(raw).encode()).decode().rstrip("=")


FORGED = [
    "%%%",
    _cursor(["n", {"dt": "9999-12-31T23:00:00-05:00"}, 1]),
    _cursor(["n", 1, 2**70]),
    _cursor(["n", "x", 1]),
]


@pytest.fixture
def client(org: Org) -> Client:
    make_ticket(team=org.presales, phone="13800138000")
    client = Client()
    client.force_login(org.agent)
    return client


@pytest.mark.parametrize("query", ["²", "①②③", "#²", "١٢٣", "１３８００１３８０００", "⑫"])
def test_unicode_digits_in_the_search_box_never_fail(client: Client, query: str) -> None:
    response = client.get("/search/", {"q": query})

    assert response.status_code in (200, 302)


@pytest.mark.parametrize("value", ["²", "①", "١٢"])
def test_unicode_digits_in_posted_ids_change_nothing(client: Client, value: str) -> None:
    before = db_state()

    responses = [
        client.post("/notifications/read/", {"id": value}),
        client.post("/kanban/move/", {"number": value, "status": "open"}),
    ]

    # "١٢" is 12 to int(): the kanban may answer that ticket 12 does not exist.
    assert responses[0].status_code == 302
    assert responses[1].status_code in (302, 404)
    assert db_state() == before


@pytest.mark.parametrize("cursor", FORGED)
@pytest.mark.parametrize("path", ["/", "/customers/", "/notifications/"])
def test_a_forged_cursor_on_a_page_is_a_4xx(client: Client, cursor: str, path: str) -> None:
    page = client.get(path, {"cursor": cursor})
    fragment = client.get(
        path, {"cursor": cursor}, headers={"HX-Request": "true", "HX-Target": "ticket-list"}
    )

    assert page.status_code == 422
    assert fragment.status_code == 422


@pytest.mark.parametrize("field", ["category", "urgency"])
@pytest.mark.parametrize("value", ["²", "①", "⑫"])
def test_unicode_digits_in_a_triage_rule_value_are_refused(
    org: Org, field: str, value: str
) -> None:
    from bihuan.core.errors import ValidationFailed
    from bihuan.triage.services import RuleInput, validate_rule

    with pytest.raises(ValidationFailed):
        validate_rule(RuleInput(name="规则", field=field, value=value, patterns="退款"))
