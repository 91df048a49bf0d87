"""The reply composer's files in a real browser (Debian chromium): chosen in the file input,
uploaded by htmx at once, sent with the email reply, listed on the reply afterwards; and the
preview of a reply by email, shown when the agent picks that channel."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, FilePayload, Page, expect, sync_playwright

from bihuan.channels.models import MessageFile
from bihuan.channels.tests.conftest import Sink
from bihuan.core.runner import Runner
from bihuan.testing.factories import make_ticket
from conftest import Org

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
PASSWORD = "a-long-browser-password"


@pytest.fixture
def page(monkeypatch: pytest.MonkeyPatch) -> Iterator[Page]:
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are
    # still synchronous (as in tests/journeys).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    if not CHROMIUM.exists():
        pytest.fail("Debian chromium (/usr/bin/chromium) is not installed")
    with sync_playwright() as playwright:
        browser: Browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
        context.set_default_timeout(20_000)
        expect.set_options(timeout=20_000)
        yield context.new_page()
        context.close()
        browser.close()


def test_an_agent_attaches_files_in_the_composer_and_they_go_with_the_email_reply(
    page: Page, live_server: Any, org: Org, smtp: Sink
) -> None:
    org.agent.set_password(PASSWORD)
    org.agent.save(update_fields=["password"])
    ticket = make_ticket(email="wangfang@example.cn", team=org.presales)
    base = live_server.url
    page.goto(f"{base}/login/")
    page.locator("input[name=username]").fill("zhangwei")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").first.click()
    expect(page).to_have_url(f"{base}/")

    page.goto(f"{base}/tickets/{ticket.pk}/")
    files: list[FilePayload] = [
        {"name": "退货单.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 return"},
        {"name": "照片.png", "mimeType": "image/png", "buffer": b"\x89PNG\r\n\x1a\nphoto"},
    ]
    page.get_by_test_id("reply-attachments").set_input_files(files)
    expect(page.get_by_test_id("reply-draft")).to_have_count(2)
    page.get_by_test_id("reply-body").fill("您好，退货单见附件。")
    page.get_by_test_id("reply-channel").select_option("email")
    # As a person would: the mail's preview has appeared (it pushes the send button down; a
    # click while it arrived could land where the button was a moment before).
    expect(page.get_by_test_id("email-preview-to")).to_have_text("w***@example.cn")
    page.get_by_test_id("send-reply").click()
    expect(page.get_by_test_id("message-files")).to_contain_text("退货单.pdf")
    Runner("test").run_until_idle()

    [sent] = smtp.received
    assert [part.get_filename() for part in sent.iter_attachments()] == ["退货单.pdf", "照片.png"]
    assert MessageFile.objects.filter(ticket_message__isnull=True).count() == 0


def test_picking_email_in_the_composer_shows_what_the_mail_will_be(
    page: Page, live_server: Any, org: Org, smtp: Sink
) -> None:
    org.agent.set_password(PASSWORD)
    org.agent.save(update_fields=["password"])
    # A phone ticket: the composer offers phone first, email second.
    ticket = make_ticket(
        email="wangfang@example.cn", phone="13800138000", team=org.presales, channel="phone"
    )
    base = live_server.url
    page.goto(f"{base}/login/")
    page.locator("input[name=username]").fill("zhangwei")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").first.click()
    expect(page).to_have_url(f"{base}/")
    page.goto(f"{base}/tickets/{ticket.pk}/")
    expect(page.get_by_test_id("reply-files")).to_be_visible()
    expect(page.get_by_test_id("email-preview")).to_have_count(0)

    page.get_by_test_id("reply-channel").select_option("email")

    expect(page.get_by_test_id("email-preview-to")).to_have_text("w***@example.cn")
    subject = page.get_by_test_id("email-preview-subject")
    expect(subject).to_have_text(f"[#{ticket.pk}] 订单还没发货")
    expect(page.get_by_test_id("email-preview-added")).to_contain_text("> 我上周下的订单")
    page.get_by_test_id("reply-channel").select_option("phone")
    expect(page.get_by_test_id("email-preview")).to_have_count(0)
