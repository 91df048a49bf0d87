"""Portal fixtures: a customer's ticket, and the real way into it (a code by email)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from bihuan.testing.factories import make_ticket
from bihuan.tickets.models import Ticket

CODE = re.compile(r"\b(\d{6})\b")


def last_code() -> str:
    """The code in the last mail sent (the locmem mail backend of the tests)."""
    found = CODE.search(str(mail.outbox[-1].body))
    assert found is not None
    return found.group(1)


@pytest.fixture
def customer_ticket(org: Any) -> Ticket:
    return make_ticket(
        subject="耳机左耳没声音",
        team=org.presales,
        phone="13800138000",
        email="wang.fang@example.cn",
        name="王芳",
    )


@pytest.fixture
def other_ticket(org: Any) -> Ticket:
    """Another customer's ticket."""
    return make_ticket(
        subject="发票抬头开错了", team=org.presales, email="li.lei@example.cn", name="李雷"
    )


OpenPortal = Callable[..., Client]


@pytest.fixture
def open_portal(
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> OpenPortal:
    """A browser that followed ``ticket`` with its contact and the mailed code (or, with
    ``email`` alone, signed in); the mail is sent after commit as in life."""

    def open_(
        ticket: Ticket | None = None,
        *,
        contact: str = "13800138000",
        email: str = "",
        client: Client | None = None,
    ) -> Client:
        browser = client or Client(REMOTE_ADDR="10.0.0.7")
        with django_capture_on_commit_callbacks(execute=True):
            if ticket is not None:
                response = browser.post("/portal/", {"number": ticket.pk, "contact": contact})
            else:
                response = browser.post("/portal/sign-in/", {"email": email})
        assert response.status_code == 302, response.content
        response = browser.post("/portal/code/", {"code": last_code()})
        assert response.status_code == 302, response.content
        return browser

    return open_
