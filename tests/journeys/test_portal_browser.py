"""The customer portal on a phone (390×844): follow a request by its number and a mailed
code, read its timeline, reply with a file, confirm it solved and rate the help.

Screenshots land in test-artifacts/screenshots/ (``portal-<step>``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Browser, FilePayload, Page, expect

from bihuan.accounts.choices import Role
from bihuan.accounts.models import Department, Team, User
from bihuan.customers.services import ContactDetails
from bihuan.feedback.models import SurveyResponse
from bihuan.portal.models import PortalFile
from bihuan.tickets import services
from bihuan.tickets.choices import MessageKind, TicketStatus
from bihuan.tickets.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
NOTE = "内部备注：该批次耳机有质量问题"


@pytest.fixture
def phone_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(
        viewport=PHONE,  # type: ignore[arg-type]
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        is_mobile=True,
        has_touch=True,
    )
    context.set_default_timeout(15_000)
    expect.set_options(timeout=15_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def ticket() -> Ticket:
    department = Department.objects.create(name="客服部")
    team = Team.objects.create(name="售后组", department=department)
    agent = User.objects.create_user(
        "lina", password="a-long-password", role=Role.AGENT, department=department,
        display_name="李娜",
    )  # fmt: skip
    team.members.add(agent)
    created = services.create_ticket(
        services.NewTicket(
            subject="耳机左耳没声音",
            body="上周买的蓝牙耳机，左耳突然没有声音了。",
            team=team,
            contact=ContactDetails(name="王芳", phone="13800138000", email="wang.fang@example.cn"),
        ),
        actor=None,
    )
    services.reply_to_customer(
        created, body="王女士您好，请问耳机充电后还是没有声音吗？", actor=agent
    )
    services.add_internal_note(created, body=NOTE, actor=agent)
    services.add_commitment(
        created,
        description="明天下午 6 点前寄出换新耳机",
        due_at=timezone.now() + timedelta(days=1),
        actor=agent,
    )
    return created


def _no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.evaluate("window.innerWidth"), "the page scrolls sideways"


def _mailed_code() -> str:
    found = re.search(r"\b(\d{6})\b", str(mail.outbox[-1].body))
    assert found is not None
    return found.group(1)


def test_a_customer_follows_replies_to_and_closes_the_loop_on_a_phone(
    phone_page: Page, live_server: Any, ticket: Ticket, screenshot: Any, tmp_path: Any,
    settings: Any,
) -> None:  # fmt: skip
    settings.MEDIA_ROOT = tmp_path / "media"
    page, base = phone_page, str(live_server)

    # Look the request up by its number and the phone on it.
    page.goto(f"{base}/portal/")
    page.locator("input[name=number]").fill(str(ticket.pk))
    page.locator("input[name=contact]").fill("138 0013 8000")
    _no_sideways_scroll(page)
    screenshot(page, "portal-lookup")
    page.get_by_test_id("send-code").click()
    expect(page.get_by_test_id("verify")).to_be_visible()
    expect(page.get_by_test_id("no-sms")).to_be_visible()
    assert mail.outbox[-1].to == ["wang.fang@example.cn"]
    screenshot(page, "portal-code")
    page.locator("input[name=code]").fill(_mailed_code())
    page.get_by_test_id("verify-code").click()

    # The timeline: the customer's words and ours, the promise, never the internal note.
    expect(page).to_have_url(f"{base}/portal/requests/{ticket.pk}/")
    expect(page.get_by_test_id("message")).to_have_count(2)
    expect(page.get_by_test_id("commitment")).to_contain_text("明天下午 6 点前寄出换新耳机")
    expect(page.get_by_test_id("status")).to_have_attribute("data-status", TicketStatus.OPEN)
    assert NOTE not in page.content()
    _no_sideways_scroll(page)
    screenshot(page, "portal-timeline")

    # Reply with a photo.
    page.locator("textarea[name=body]").first.fill("充过电了，还是没有声音，附上照片。")
    photo: FilePayload = {
        "name": "耳机.jpg",
        "mimeType": "image/jpeg",
        "buffer": b"\xff\xd8\xff\xe0 photo",
    }
    page.get_by_test_id("files").set_input_files([photo])
    page.get_by_test_id("send-reply").click()
    expect(page.get_by_test_id("message")).to_have_count(3)
    expect(page.get_by_test_id("file")).to_have_text("耳机.jpg")
    latest = ticket.messages.latest("id")
    assert (latest.kind, latest.body) == (
        MessageKind.CUSTOMER,
        "充过电了，还是没有声音，附上照片。",
    )
    assert PortalFile.objects.get().message_id == latest.pk
    screenshot(page, "portal-replied")

    # The agent solves it; the customer confirms and rates the help.
    services.change_status(
        Ticket.objects.get(pk=ticket.pk), status=TicketStatus.SOLVED, actor=User.objects.get()
    )
    page.reload()
    expect(page.get_by_test_id("status")).to_have_attribute("data-status", TicketStatus.SOLVED)
    screenshot(page, "portal-solved")
    page.get_by_test_id("confirm-solved").click()
    expect(page.get_by_test_id("confirmed")).to_be_visible()
    page.get_by_test_id("score-5").click()
    page.get_by_test_id("send-rating").click()
    expect(page.get_by_test_id("rated")).to_have_attribute("data-score", "5")
    assert SurveyResponse.objects.get().score == 5
    _no_sideways_scroll(page)
    screenshot(page, "portal-confirmed")


def test_help_articles_and_a_new_request_on_a_phone_in_english(
    phone_page: Page, live_server: Any, screenshot: Any
) -> None:
    page, base = phone_page, str(live_server)
    page.goto(f"{base}/portal/help/")
    page.locator('button[data-language="en"]').click()
    expect(page.locator("h1")).to_have_text("Help articles")

    page.get_by_test_id("nav-new").click()
    page.get_by_label("Subject").fill("Parcel marked delivered but not received")
    page.get_by_label("Description").fill("The tracking says delivered yesterday; nothing came.")
    page.get_by_label("Your name").fill("Anna Li")
    page.get_by_label("Email").fill("anna.li@example.com")
    _no_sideways_scroll(page)
    screenshot(page, "portal-new-request-en")
    page.get_by_test_id("submit-request").click()

    created = Ticket.objects.get()
    expect(page.get_by_test_id("new-number")).to_have_text(f"#{created.pk}")
    screenshot(page, "portal-thanks-en")
