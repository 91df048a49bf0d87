"""Security headers on every page and API answer, and body limits on pages (issue 9)."""

from __future__ import annotations

import pytest
from django.test import Client

from bihuan.testing.factories import make_ticket
from conftest import Org
from tests.security.state import db_state

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/", "/customers/", "/login/", "/api/v1/tickets"])
def test_every_answer_has_a_strict_csp_permissions_policy_and_no_store(org: Org, path: str) -> None:
    client = Client()
    client.force_login(org.agent)

    response = client.get(path)

    policy = response["Content-Security-Policy"]
    assert "unsafe-inline" not in policy
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "camera=()" in response["Permissions-Policy"]
    assert "no-store" in response["Cache-Control"]


def test_pages_carry_no_inline_script_or_style(org: Org) -> None:
    ticket = make_ticket(team=org.presales, phone="13800138000")
    client = Client()
    client.force_login(org.agent)

    pages = [
        client.get(path)
        for path in ["/", f"/tickets/{ticket.pk}/", f"/customers/{ticket.customer_id}/"]
    ]
    pages.append(Client().get("/login/"))

    for page in pages:
        html, path = page.content.decode(), page.wsgi_request.path
        assert "<style" not in html, path
        assert ' style="' not in html, path
        assert "<script>" not in html, path
        assert '"includeIndicatorStyles":false' in html, path


@pytest.mark.parametrize("size", [3_000_000, 5_000_000])
def test_a_page_post_over_the_body_limit_answers_413_and_changes_nothing(
    org: Org, size: int
) -> None:
    ticket = make_ticket(team=org.presales)
    client = Client()
    client.force_login(org.agent)
    before = db_state()

    response = client.post(f"/tickets/{ticket.pk}/reply/", {"body": "x" * size})

    assert response.status_code == 413
    assert db_state() == before
