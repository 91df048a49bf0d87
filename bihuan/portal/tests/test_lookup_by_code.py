"""Following a request without an account: its number, the phone or email on it, and a
one-time code mailed to the customer's address (issue 16, customer portal)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from bihuan.core.models import Event
from bihuan.portal import services
from bihuan.portal.models import PortalCode, PortalSession
from bihuan.portal.tests.conftest import OpenPortal, last_code
from bihuan.testing.factories import make_ticket
from bihuan.tickets.models import Ticket

pytestmark = pytest.mark.django_db

Capture = Callable[..., Any]


def _ask(client: Client, number: object, contact: str, capture: Capture) -> Any:
    with capture(execute=True):
        return client.post("/portal/", {"number": number, "contact": contact})


def _error(response: Any) -> str:
    found = re.search(r'data-testid="form-error">([^<]*)<', response.content.decode())
    assert found is not None
    return found.group(1).strip()


def test_the_phone_on_a_ticket_mails_a_code_that_opens_its_page(
    customer_ticket: Ticket, django_capture_on_commit_callbacks: Capture
) -> None:
    client = Client(REMOTE_ADDR="10.0.0.1")

    asked = _ask(client, customer_ticket.pk, "138 0013 8000", django_capture_on_commit_callbacks)
    verify_page = client.get("/portal/code/")
    opened = client.post("/portal/code/", {"code": last_code()})
    page = client.get(opened["Location"])

    assert asked.status_code == 302
    assert asked["Location"] == "/portal/code/"
    assert [m.to for m in mail.outbox] == [["wang.fang@example.cn"]]
    assert b'data-testid="no-sms"' in verify_page.content
    assert opened["Location"] == f"/portal/requests/{customer_ticket.pk}/"
    assert page.status_code == 200
    assert "耳机左耳没声音" in page.content.decode()
    verbs = Event.objects.filter(verb__startswith="portal.").values_list("verb", flat=True)
    assert list(verbs) == [
        "portal.code_requested",
        "portal.session_started",
    ]


def test_the_email_on_a_ticket_works_as_well_as_the_phone(
    customer_ticket: Ticket, open_portal: OpenPortal
) -> None:
    client = open_portal(customer_ticket, contact="Wang.Fang@Example.cn")

    page = client.get(f"/portal/requests/{customer_ticket.pk}/")

    assert page.status_code == 200
    assert b'data-testid="timeline"' in page.content


def test_a_wrong_code_answers_the_same_whether_or_not_the_ticket_exists(
    customer_ticket: Ticket, django_capture_on_commit_callbacks: Capture
) -> None:
    existing, missing, mismatched = (Client(REMOTE_ADDR=f"10.0.1.{i}") for i in range(3))
    _ask(existing, customer_ticket.pk, "13800138000", django_capture_on_commit_callbacks)
    _ask(missing, customer_ticket.pk + 1000, "13800138000", django_capture_on_commit_callbacks)
    _ask(mismatched, customer_ticket.pk, "13900000000", django_capture_on_commit_callbacks)
    wrong = "000000" if last_code() != "000000" else "111111"

    answers = [c.post("/portal/code/", {"code": wrong}) for c in (existing, missing, mismatched)]

    assert len(mail.outbox) == 1  # only the matching request was sent a code
    assert {a.status_code for a in answers} == {422}
    assert len({_error(a) for a in answers}) == 1
    assert PortalSession.objects.count() == 0


def test_a_code_expires_after_ten_minutes(
    customer_ticket: Ticket, django_capture_on_commit_callbacks: Capture
) -> None:
    client = Client(REMOTE_ADDR="10.0.0.2")
    _ask(client, customer_ticket.pk, "13800138000", django_capture_on_commit_callbacks)

    with time_machine.travel(timezone.now() + timedelta(minutes=10, seconds=1)):
        response = client.post("/portal/code/", {"code": last_code()})

    assert response.status_code == 422
    assert PortalSession.objects.count() == 0


def test_a_code_works_once(
    customer_ticket: Ticket, django_capture_on_commit_callbacks: Capture
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        asked = services.request_lookup_code(
            number=str(customer_ticket.pk), contact="13800138000", client_address="10.0.0.3"
        )
    services.verify_code(challenge=asked.challenge, code=last_code())

    with pytest.raises(services.InvalidCode):
        services.verify_code(challenge=asked.challenge, code=last_code())

    assert PortalSession.objects.count() == 1


def test_five_wrong_guesses_use_a_code_up(
    customer_ticket: Ticket, django_capture_on_commit_callbacks: Capture
) -> None:
    client = Client(REMOTE_ADDR="10.0.0.4")
    _ask(client, customer_ticket.pk, "13800138000", django_capture_on_commit_callbacks)
    right = last_code()
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for _ in range(services.MAX_ATTEMPTS):
        assert client.post("/portal/code/", {"code": wrong}).status_code == 422

    response = client.post("/portal/code/", {"code": right})

    assert response.status_code == 422
    assert PortalCode.objects.get().attempts == services.MAX_ATTEMPTS
    assert PortalSession.objects.count() == 0


def test_codes_for_one_contact_are_rate_limited_and_refusals_write_nothing(
    customer_ticket: Ticket, django_capture_on_commit_callbacks: Capture
) -> None:
    for i in range(5):
        client = Client(REMOTE_ADDR=f"10.0.2.{i}")
        assert (
            _ask(client, customer_ticket.pk, "13800138000", django_capture_on_commit_callbacks)
        ).status_code == 302
    events = Event.objects.count()

    refused = _ask(
        Client(REMOTE_ADDR="10.0.2.99"),
        customer_ticket.pk,
        "13800138000",
        django_capture_on_commit_callbacks,
    )

    assert refused.status_code == 429
    assert PortalCode.objects.count() == 5
    assert len(mail.outbox) == 5
    assert Event.objects.count() == events


def test_codes_from_one_address_are_rate_limited(
    customer_ticket: Ticket, django_capture_on_commit_callbacks: Capture
) -> None:
    client = Client(REMOTE_ADDR="10.0.3.1")
    for i in range(10):
        _ask(client, customer_ticket.pk + i + 1, "13800138000", django_capture_on_commit_callbacks)

    refused = _ask(client, customer_ticket.pk, "13800138000", django_capture_on_commit_callbacks)

    assert refused.status_code == 429
    assert mail.outbox == []


def test_a_ticket_with_only_a_phone_gets_no_code_and_the_page_says_why(
    org: Any, django_capture_on_commit_callbacks: Capture
) -> None:
    ticket = make_ticket(team=org.presales, phone="13700001111")
    client = Client(REMOTE_ADDR="10.0.0.5")

    _ask(client, ticket.pk, "13700001111", django_capture_on_commit_callbacks)
    page = client.get("/portal/code/")

    assert mail.outbox == []
    assert PortalCode.objects.get().sent_to == ""
    assert b'data-testid="no-sms"' in page.content


@pytest.mark.parametrize("number", ["", "abc", "１２３", "9" * 30])
def test_a_malformed_number_is_refused_and_nothing_is_written(number: str, org: Any) -> None:
    response = Client(REMOTE_ADDR="10.0.0.6").post(
        "/portal/", {"number": number, "contact": "13800138000"}
    )

    assert response.status_code == 422
    assert PortalCode.objects.count() == 0


def test_a_lookup_session_sees_one_ticket_and_signing_in_sees_them_all(
    customer_ticket: Ticket, open_portal: OpenPortal
) -> None:
    second = make_ticket(subject="退款还没到账", email="wang.fang@example.cn")

    lookup = open_portal(customer_ticket)
    signed_in = open_portal(email="wang.fang@example.cn", client=Client(REMOTE_ADDR="10.0.4.1"))

    assert lookup.get(f"/portal/requests/{second.pk}/").status_code == 404
    listed = signed_in.get("/portal/requests/").content.decode()
    assert f'data-testid="ticket-{customer_ticket.pk}"' in listed
    assert f'data-testid="ticket-{second.pk}"' in listed
    assert signed_in.get(f"/portal/requests/{second.pk}/").status_code == 200


def test_signing_out_ends_the_session(customer_ticket: Ticket, open_portal: OpenPortal) -> None:
    client = open_portal(customer_ticket)

    client.post("/portal/sign-out/")
    response = client.get(f"/portal/requests/{customer_ticket.pk}/")

    assert response.status_code == 302
    assert response["Location"] == "/portal/"
    assert PortalSession.objects.get().ended_at is not None


def test_a_session_expires(customer_ticket: Ticket, open_portal: OpenPortal) -> None:
    client = open_portal(customer_ticket)

    with time_machine.travel(timezone.now() + timedelta(hours=services.SESSION_HOURS, seconds=1)):
        response = client.get(f"/portal/requests/{customer_ticket.pk}/")

    assert response.status_code == 302
    assert response["Location"] == "/portal/"


def test_codes_and_their_sessions_are_deleted_after_a_week(
    customer_ticket: Ticket, open_portal: OpenPortal
) -> None:
    open_portal(customer_ticket)

    with time_machine.travel(timezone.now() + timedelta(days=6)):
        kept = services.prune_portal_codes()
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        deleted = services.prune_portal_codes()

    assert (kept, deleted) == (0, 1)
    assert (PortalCode.objects.count(), PortalSession.objects.count()) == (0, 0)


@pytest.mark.parametrize(("query", "filled"), [("1234", "1234"), ("#1234", "1234"), ("<b>1", "1")])
def test_a_link_from_the_web_form_fills_in_the_number(query: str, filled: str) -> None:
    page = Client().get("/portal/", {"number": query}).content.decode()

    assert re.search(rf'name="number"[^>]*value="{filled}"', page)
    assert "<b>" not in page.split("<main", 1)[-1].split("</main>", 1)[0]
