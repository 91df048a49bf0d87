"""Two agents on the live workspace, in two browsers, over the production ASGI stack
(uvicorn, Channels, the event log): one replies and changes the status, the other sees it
without reloading, sees the colleague viewing and typing, and gets an unread marker and count
in the inbox (opening a ticket clears it: ``bihuan/live/tests``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Browser, BrowserContext, Page, expect

from bihuan.accounts.models import User
from bihuan.testing.factories import make_ticket
from bihuan.tickets import services as ticket_services
from conftest import Org

pytestmark = pytest.mark.browser

Screenshot = Callable[[Page, str], Path]


def _signed_in(browser: Browser, base: str, user: User) -> BrowserContext:
    """A browser profile with ``user``'s session (the sign-in page has its own tests)."""
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    context = browser.new_context(
        viewport={"width": 1440, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    context.set_default_timeout(15_000)
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base}])
    return context


def test_a_colleagues_typing_reply_and_status_change_appear_live_and_mark_the_inbox(
    browser: Browser, asgi_server: str, org: Org, screenshot: Screenshot
) -> None:
    base = asgi_server
    ticket = make_ticket(subject="订单还没发货", team=org.presales, phone="13912345678")
    other = make_ticket(subject="发票抬头开错了", team=org.presales, phone="13912345679")
    ticket_services.update_ticket(
        ticket, ticket_services.TicketChanges(owner=org.agent), actor=org.supervisor
    )
    expect.set_options(timeout=15_000)
    mine, theirs = _signed_in(browser, base, org.agent), _signed_in(browser, base, org.supervisor)
    try:
        agent = mine.new_page()
        agent.goto(f"{base}/tickets/{ticket.pk}/")
        expect(agent.locator("#live-root")).to_have_attribute("data-state", "open")
        lead = theirs.new_page()

        lead.goto(f"{base}/tickets/{ticket.pk}/")

        badge = agent.locator(f"[data-testid=presence-{org.supervisor.pk}]")
        expect(badge).to_have_attribute("data-state", "viewing")
        expect(lead.locator(f"[data-testid=presence-{org.agent.pk}]")).to_have_attribute(
            "data-state", "viewing"
        )
        lead.locator("[data-testid=reply-body]").press_sequentially("您好，已为您催")
        expect(badge).to_have_attribute("data-state", "typing")
        screenshot(agent, "live-ticket-presence")
        lead.locator("[data-testid=reply-body]").fill("您好，已为您催促仓库，今天发出。")
        lead.locator("[data-testid=send-reply]").click()
        reply = agent.locator("[data-testid=timeline] .bubble-reply", has_text="今天发出")
        expect(reply).to_be_visible()
        lead.locator("[data-testid=properties-form] select[name=status]").select_option(
            "pending_customer"
        )
        lead.locator("[data-testid=save-properties]").click()
        expect(agent.locator(".ticket-header .status-pending_customer")).to_be_visible()
        assert agent.evaluate("performance.getEntriesByType('navigation').length") == 1

        inbox = mine.new_page()
        inbox.goto(f"{base}/?view=open")
        expect(inbox.locator("#live-root")).to_have_attribute("data-state", "open")
        ticket_services.add_internal_note(other, body="客户又来电催了", actor=org.supervisor)
        row = inbox.locator(f"tr[data-number='{other.pk}']")
        expect(row).to_have_attribute("data-unread", "1")
        expect(inbox.locator("[data-testid=view-unread-open]")).to_have_text("1")
        screenshot(inbox, "live-inbox-unread")
    finally:
        mine.close()
        theirs.close()
