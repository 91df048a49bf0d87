"""SLA in the browser: countdown badges coloured by state in the inbox and on the kanban, the
ticket page's targets, and the supervisors' breach board, on a desktop and on a phone.

Screenshots land in test-artifacts/screenshots/ (``sla-<page>-<size>``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from bihuan.accounts.choices import Role
from bihuan.accounts.models import Department, Team, User
from bihuan.customers.services import ContactDetails
from bihuan.sla import services as sla
from bihuan.sla.defaults import install_default_policies
from bihuan.sla.models import SlaClock
from bihuan.tickets import services
from bihuan.tickets.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-browser-password"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}


def _complaint(subject: str, team: Team, owner: User, lead: User, **extra: Any) -> Ticket:
    ticket = services.create_ticket(
        services.NewTicket(
            subject=subject,
            body=f"{subject}，请尽快处理。",
            kind="complaint",
            team=team,
            **extra,
            contact=ContactDetails(name="王芳", phone="13800000000"),
            explicit_fields=("kind", "priority", "category"),
        ),
        actor=None,
    )
    services.update_ticket(ticket, services.TicketChanges(owner=owner), actor=lead)
    return ticket


def _first_response(ticket: Ticket) -> SlaClock:
    return SlaClock.objects.get(ticket=ticket, metric="first_response")


@pytest.fixture
def tickets() -> dict[str, Ticket]:
    """One complaint per clock state: running, at risk, breached (escalated), paused, met."""
    install_default_policies()
    department = Department.objects.create(name="客服部")
    team = Team.objects.create(name="投诉处理组", department=department)
    lead = User.objects.create_user(
        "lead", password=PASSWORD, role=Role.SUPERVISOR, department=department, display_name="周敏"
    )
    agent = User.objects.create_user(
        "lina", password=PASSWORD, role=Role.AGENT, department=department, display_name="李娜"
    )
    team.members.add(agent)
    team.supervisor = lead
    team.save(update_fields=["supervisor"])
    made = {
        state: _complaint(subject, team, agent, lead)
        for state, subject in [
            ("running", "耳机左耳没声音"),
            ("warning", "退款三天还没到账"),
            ("paused", "发票抬头开错了"),
            ("met", "优惠券无法使用"),
        ]
    }
    # An urgent phone complaint: 10 minutes, around the clock (the first to be missed).
    made["breached"] = _complaint(
        "快递显示签收但没收到", team, agent, lead, channel="phone", priority=4
    )
    # The engine's own steps, at the instants they would run.
    warned = _first_response(made["warning"])
    assert warned.due_at is not None
    sla.fire_warning(warned.pk, now=warned.due_at - timedelta(minutes=15))
    breached = _first_response(made["breached"])
    assert breached.due_at is not None
    sla.fire_breach(breached.pk, now=breached.due_at)
    sla.fire_escalation(breached.pk, level=2, now=breached.due_at + timedelta(minutes=30))
    services.reply_to_customer(made["paused"], body="请提供正确的抬头。", actor=agent)
    services.change_status(made["paused"], status="pending_customer", actor=agent)
    services.reply_to_customer(made["met"], body="已为您补发优惠券。", actor=agent)
    services.change_status(made["met"], status="solved", actor=agent)
    return made


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Any]:
    contexts = []

    def make(viewport: dict[str, int]) -> Page:
        context = browser.new_context(
            viewport=viewport,  # type: ignore[arg-type]
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            is_mobile=viewport["width"] < 500,
            has_touch=viewport["width"] < 500,
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def sign_in(page: Page, base: str) -> None:
    page.goto(f"{base}/login/")
    page.locator("input[name=username]").fill("lead")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").first.click()
    expect(page).to_have_url(f"{base}/")


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.evaluate("window.innerWidth"), "the page scrolls sideways"


def badge(page: Page, ticket: Ticket) -> Any:
    return page.locator(f'[data-number="{ticket.pk}"] [data-testid="sla-badge"]').first


def test_badges_and_the_breach_board_on_a_desktop(
    new_page: Any, live_server: object, tickets: dict[str, Ticket], screenshot: Any
) -> None:
    base = str(live_server)
    page = new_page(DESKTOP)
    sign_in(page, base)

    page.goto(f"{base}/?view=all&sort=sla")

    for state, ticket in tickets.items():
        expect(badge(page, ticket)).to_have_attribute("data-sla-state", state)
    numbers = page.get_by_test_id("ticket-row").evaluate_all(
        "rows => rows.map(row => Number(row.dataset.number))"
    )
    assert numbers[0] == tickets["breached"].pk  # the most urgent first
    expect(badge(page, tickets["breached"])).to_have_class("sla-badge sla-breached")
    screenshot(page, "sla-inbox-desktop")

    page.goto(f"{base}/kanban/")
    expect(page.locator(".kanban-card .sla-breached")).to_have_count(1)
    screenshot(page, "sla-kanban-desktop")

    page.get_by_test_id("breach-board-link").click()
    rows = page.get_by_test_id("breach-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("快递显示签收但没收到")
    expect(rows.first).to_contain_text("周敏")  # the queue supervisor it was escalated to
    screenshot(page, "sla-breach-board-desktop")

    page.goto(f"{base}/tickets/{tickets['breached'].pk}/")
    targets = page.get_by_test_id("sla-target")
    expect(targets).to_have_count(2)
    first = page.locator('[data-testid="sla-target"][data-metric="first_response"]')
    expect(first.get_by_test_id("sla-badge")).to_have_attribute("data-sla-state", "breached")
    screenshot(page, "sla-ticket-desktop")


def test_badges_and_the_breach_board_on_a_phone(
    new_page: Any, live_server: object, tickets: dict[str, Ticket], screenshot: Any
) -> None:
    base = str(live_server)
    page = new_page(PHONE)
    sign_in(page, base)

    page.goto(f"{base}/?view=at_risk&sort=sla")
    expect(page.get_by_test_id("sla-badge")).to_have_count(2)  # at risk and breached
    no_sideways_scroll(page)
    screenshot(page, "sla-at-risk-phone")

    page.goto(f"{base}/sla/breaches/")
    expect(page.get_by_test_id("breach-row")).to_have_count(1)
    no_sideways_scroll(page)
    screenshot(page, "sla-breach-board-phone")


def test_the_countdown_ticks_without_a_reload(
    new_page: Any, live_server: object, tickets: dict[str, Ticket]
) -> None:
    base = str(live_server)
    page = new_page(DESKTOP)
    page.clock.install()
    sign_in(page, base)
    page.goto(f"{base}/?view=open&sort=sla")
    countdown = badge(page, tickets["breached"]).locator(".sla-countdown")
    before = countdown.inner_text()
    overdue = countdown.get_attribute("data-fmt-overdue") or ""

    page.clock.fast_forward("01:00:00")  # the urgent call was due 10 minutes after it came

    expect(countdown).not_to_have_text(before)
    expect(countdown).to_contain_text(overdue.split("%(time)s")[0].strip())
