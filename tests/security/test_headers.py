"""Security headers on every page and API answer, and body limits on pages (issue 9)."""

from __future__ import annotations

import re
from collections.abc import Sequence

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


def _pages_without_parameters() -> list[str]:
    from django.urls import URLPattern, URLResolver, get_resolver

    paths: list[str] = []

    def walk(patterns: Sequence[URLPattern | URLResolver], prefix: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                route = prefix + str(pattern.pattern)
                if (
                    "<" not in route
                    and "(" not in route
                    and not route.startswith(("api/", "admin/"))
                ):
                    paths.append("/" + route.lstrip("^").rstrip("$"))

    walk(get_resolver().url_patterns, "")
    return sorted(set(paths))


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/(?:ld\+)?json)[^>]*>")


def test_no_page_needs_unsafe_inline(org: Org) -> None:
    make_ticket(team=org.presales, phone="13800138000")
    client = Client()
    client.force_login(org.admin)
    offenders = []

    for path in _pages_without_parameters():
        response = client.get(path)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        if INLINE_SCRIPT.search(html) or "<style" in html or ' style="' in html:
            offenders.append(path)
        if re.search(r"\son[a-z]+=\"", html):
            offenders.append(f"{path} (event handler attribute)")

    assert offenders == []
