"""Opening a ticket by hand at /tickets/new/ for a caller or a walk-in customer."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from playwright.sync_api import Page, expect

from bihuan.accounts.choices import Role
from bihuan.core.models import Event
from bihuan.core.runner import Runner
from bihuan.customers.models import Customer
from bihuan.sla.defaults import install_default_policies
from bihuan.sla.models import SlaClock
from bihuan.testing.factories import PASSWORD, make_ticket, make_user
from bihuan.tickets.models import Ticket
from tests.journeys.conftest import browser, context, page, screenshot  # noqa: F401

URL = "/tickets/new/"


def _form(**changes: str) -> dict[str, str]:
    return {
        "name": "王芳",
        "phone": "138 0013 8000",
        "email": "",
        "channel": "phone",
        "kind": "complaint",
        "priority": "3",
        "team": "",
        "subject": "来电投诉：快递三天未送达",
        "body": "客户来电说订单 A1001 三天没有送到，要求今天给答复。",
        "tags": "来电, 加急",
        "assign_to_me": "on",
        **changes,
    }


def _counts() -> tuple[int, int, int]:
    return Ticket.objects.count(), Customer.objects.count(), Event.objects.count()


def test_the_page_shows_the_form(client: Client, org: Any) -> None:
    client.force_login(org.agent)

    shown = client.get(URL)

    assert shown.status_code == 200
    assert b'data-testid="new-ticket-form"' in shown.content
    assert f'<option value="{org.presales.pk}">'.encode() in shown.content


def test_an_agent_opens_a_phone_ticket_for_a_known_caller(client: Client, org: Any) -> None:
    earlier = make_ticket(phone="13800138000", name="王芳", channel="web")
    client.force_login(org.agent)

    answer = client.post(URL, _form(team=str(org.presales.pk)))

    ticket = Ticket.objects.exclude(pk=earlier.pk).get()
    assert answer.status_code == 302
    assert answer["Location"] == f"/tickets/{ticket.pk}/"
    assert (ticket.channel, ticket.kind, ticket.priority, ticket.team) == (
        "phone",
        "complaint",
        3,
        org.presales,
    )
    assert ticket.customer_id == earlier.customer_id  # found by phone, not duplicated
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["加急", "来电"]
    assert ticket.owner == org.agent
    created = Event.objects.get(verb="ticket.created", ticket_id=ticket.pk)
    assert created.actor == org.agent
    assert created.data["explicit"] == ["channel", "kind", "priority", "team"]


def test_a_walk_in_customer_without_a_phone_is_created_by_name(client: Client, org: Any) -> None:
    client.force_login(org.agent)

    answer = client.post(
        URL, _form(phone="", name="到店客户 陈先生", channel="web", assign_to_me="")
    )

    ticket = Ticket.objects.get()
    assert (answer.status_code, answer["Location"]) == (302, "/")  # not hers to see
    assert ticket.owner is None
    assert ticket.customer.name == "到店客户 陈先生"


def test_an_urgent_phone_ticket_gets_the_ten_minute_clock(client: Client, org: Any) -> None:
    install_default_policies()
    client.force_login(org.agent)

    client.post(URL, _form(priority="4", kind="inquiry"))
    Runner("test", raise_errors=True).run_until_idle()

    ticket = Ticket.objects.get()
    clock = SlaClock.objects.get(ticket=ticket, metric="first_response")
    assert clock.target_minutes == 10
    assert clock.due_at == ticket.created_at + timedelta(minutes=10)


def test_a_malformed_phone_is_refused_on_the_form_and_nothing_is_created(
    client: Client, org: Any
) -> None:
    client.force_login(org.agent)
    before = _counts()

    answer = client.post(URL, _form(phone="call me maybe"))

    assert answer.status_code == 422
    assert b'data-testid="form-errors"' in answer.content
    assert "来电投诉：快递三天未送达".encode() in answer.content  # the input is kept
    assert _counts() == before


def test_a_ticket_needs_a_customer_detail_and_a_subject(client: Client, org: Any) -> None:
    client.force_login(org.agent)
    before = _counts()

    no_customer = client.post(URL, _form(name="", phone="", email=""))
    no_subject = client.post(URL, _form(subject=""))

    assert (no_customer.status_code, no_subject.status_code) == (422, 422)
    assert _counts() == before


def test_a_department_member_cannot_open_a_ticket(client: Client, org: Any) -> None:
    client.force_login(org.tech_member)
    before = _counts()

    answer = client.post(URL, _form())

    assert answer.status_code == 403
    assert _counts() == before


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_agent_opens_a_ticket_for_a_caller_in_the_browser_and_logs_the_call(
    page: Page,  # noqa: F811  (the journeys' fixtures, imported above)
    live_server: Any,
    screenshot: Any,  # noqa: F811
) -> None:
    agent = make_user(Role.AGENT, username="desk", display_name="前台小李")
    base = str(live_server)
    page.goto(f"{base}/login/")
    page.locator("input[name=username]").fill(agent.username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").first.click()
    expect(page).to_have_url(f"{base}/")

    page.goto(f"{base}{URL}")
    page.locator("#id_phone").fill("139 0013 9000")
    page.locator("#id_name").fill("周女士")
    page.locator("#id_priority").select_option("4")
    page.locator("#id_subject").fill("来电：空调不制冷")
    page.locator("#id_body").fill("客户来电说新装的空调不制冷，希望今天上门。")
    screenshot(page, "new-ticket-page")
    page.get_by_test_id("create-ticket").click()

    ticket = Ticket.objects.get()
    expect(page).to_have_url(f"{base}/tickets/{ticket.pk}/")
    page.get_by_test_id("log-call").locator("summary").click()
    page.locator("#id_duration_minutes").fill("3")
    page.get_by_test_id("log-call-submit").click()
    expect(page.get_by_test_id("call-record")).to_have_count(1)
    screenshot(page, "ticket-with-logged-call")
    assert (ticket.channel, ticket.priority, ticket.customer.name) == ("phone", 4, "周女士")
