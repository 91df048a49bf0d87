"""The customer access matrix: every portal route as an anonymous visitor, as another
customer, and after an expired or a reused code — built from the URL resolver, so a new
portal route that this file does not know fails ``test_every_portal_route_is_in_the_matrix``.

Expected: a ticket's pages send a visitor without a live session to the lookup form, and
answer another customer 404 (existence is never revealed); nothing in the database changes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import get_resolver
from django.urls.resolvers import URLPattern, URLResolver
from django.utils import timezone

from bihuan.feedback.models import SurveyResponse
from bihuan.portal.models import PortalCode, PortalFile, PortalSession
from bihuan.portal.tests.conftest import OpenPortal, last_code
from bihuan.tickets.models import Ticket
from tests.security.state import db_state

pytestmark = pytest.mark.django_db

# Routes of one ticket: (method, POST data or None).
TICKET_ROUTES: dict[str, tuple[str, dict[str, str] | None]] = {
    "portal:ticket": ("GET", None),
    "portal:file": ("GET", None),
    "portal:reply": ("POST", {"body": "你好"}),
    "portal:confirm": ("POST", {}),
    "portal:not_solved": ("POST", {"body": "还没好"}),
    "portal:rate": ("POST", {"score": "5"}),
}
# Pages anyone may open (they show nothing of any ticket).
PUBLIC_ROUTES = {
    "portal:home",
    "portal:sign_in",
    "portal:verify",
    "portal:sign_out",
    "portal:tickets",
    "portal:new_request",
    "portal:articles",
    "portal:article",
}


def _portal_routes() -> dict[str, str]:
    """URL name → path template of every route under /portal/."""
    found: dict[str, str] = {}

    def walk(patterns: list[Any], prefix: str, namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern), pattern.namespace or "")
            elif isinstance(pattern, URLPattern):
                route = "/" + prefix + str(pattern.pattern)
                if route.startswith("/portal/"):
                    found[f"{namespace}:{pattern.name}"] = re.sub(
                        r"<(?:\w+:)?(\w+)>", r"{\1}", route
                    )

    walk(get_resolver().url_patterns, "", "")
    return found


def test_every_portal_route_is_in_the_matrix() -> None:
    assert set(_portal_routes()) == set(TICKET_ROUTES) | PUBLIC_ROUTES


@pytest.fixture
def victim(customer_ticket: Ticket, settings: Any, tmp_path: Any, open_portal: OpenPortal) -> Any:
    """The customer's ticket with a file they added (through their own portal session)."""
    settings.MEDIA_ROOT = tmp_path
    own = open_portal(customer_ticket, client=Client(REMOTE_ADDR="10.9.0.1"))
    own.post(
        f"/portal/requests/{customer_ticket.pk}/reply/",
        {"body": "发票", "files": [SimpleUploadedFile("发票.pdf", b"%PDF", "application/pdf")]},
    )
    return customer_ticket, PortalFile.objects.get()


def _state() -> dict[str, Any]:
    state = db_state()
    state["portal"] = (
        PortalFile.objects.count(),
        PortalSession.objects.count(),
        SurveyResponse.objects.count(),
    )
    return state


def _ticket_requests(ticket: Ticket, portal_file: PortalFile) -> list[tuple[str, str, Any]]:
    routes = _portal_routes()
    values = {"number": ticket.pk, "file_id": portal_file.pk}
    return [
        (method, routes[name].format(**values), data)
        for name, (method, data) in TICKET_ROUTES.items()
    ]


def _check(
    client: Client, requests: list[tuple[str, str, Any]], expect: Callable[[Any], bool]
) -> list[Any]:
    failures = []
    for method, path, data in requests:
        before = _state()
        response = client.post(path, data) if method == "POST" else client.get(path)
        if not expect(response) or _state() != before:
            failures.append((method, path, response.status_code))
    return failures


def _to_lookup(response: Any) -> bool:
    return bool(response.status_code == 302 and response["Location"] == "/portal/")


def test_an_anonymous_visitor_is_sent_to_the_lookup_form(victim: Any) -> None:
    failures = _check(Client(), _ticket_requests(*victim), _to_lookup)

    assert failures == []


def test_a_signed_in_staff_member_without_a_code_is_a_stranger_too(org: Any, victim: Any) -> None:
    staff = Client()
    staff.force_login(org.admin)

    assert _check(staff, _ticket_requests(*victim), _to_lookup) == []


def test_another_customer_finds_nothing(
    victim: Any, other_ticket: Ticket, open_portal: OpenPortal
) -> None:
    for other in (
        open_portal(other_ticket, contact="li.lei@example.cn"),
        open_portal(email="li.lei@example.cn", client=Client(REMOTE_ADDR="10.9.0.2")),
    ):
        failures = _check(other, _ticket_requests(*victim), lambda r: r.status_code == 404)
        listed = other.get("/portal/requests/").content.decode()

        assert failures == []
        assert f'data-testid="ticket-{victim[0].pk}"' not in listed


def test_an_expired_code_opens_nothing(
    victim: Any, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    client = Client(REMOTE_ADDR="10.9.0.3")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/portal/", {"number": victim[0].pk, "contact": "13800138000"})
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        refused = client.post("/portal/code/", {"code": last_code()})

        failures = _check(client, _ticket_requests(*victim), _to_lookup)

    assert refused.status_code == 422
    assert failures == []


def test_a_reused_code_opens_nothing(
    victim: Any, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    owner, thief = Client(REMOTE_ADDR="10.9.0.4"), Client(REMOTE_ADDR="10.9.0.5")
    with django_capture_on_commit_callbacks(execute=True):
        owner.post("/portal/", {"number": victim[0].pk, "contact": "13800138000"})
    code = last_code()
    challenge = owner.session["bihuan_portal_challenge"]
    assert owner.post("/portal/code/", {"code": code}).status_code == 302
    session = thief.session
    session["bihuan_portal_challenge"] = challenge  # the thief has the link and the code
    session.save()

    refused = thief.post("/portal/code/", {"code": code})
    failures = _check(thief, _ticket_requests(*victim), _to_lookup)

    assert refused.status_code == 422
    assert failures == []
    assert PortalCode.objects.get(challenge=challenge).session.pk  # only the owner's session


def test_a_forged_session_token_opens_nothing(victim: Any) -> None:
    client = Client()
    session = client.session
    session["bihuan_portal_token"] = "bhp_" + "A" * 43
    session.save()

    assert _check(client, _ticket_requests(*victim), _to_lookup) == []


def test_public_pages_answer_everyone(victim: Any) -> None:
    client = Client()

    answers = {
        path: client.get(path).status_code
        for path in ("/portal/", "/portal/sign-in/", "/portal/help/", "/portal/requests/new/")
    }

    assert answers == dict.fromkeys(answers, 200)
    assert client.get("/portal/code/")["Location"] == "/portal/"  # no code asked for
    assert client.get("/portal/requests/")["Location"] == "/portal/"
