"""The workspace as a team lead meets it, in the browser: on a phone and on a desktop, in
Chinese and in English; availability from the top bar; forms that keep what was typed; one
kanban message at a time.

Screenshots of every page land in test-artifacts/screenshots/ (``<page>-<size>-<language>``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Page, expect

from bihuan.accounts.choices import Availability, Role
from bihuan.accounts.models import Department, Team, User
from bihuan.core.models import Event
from bihuan.customers.services import ContactDetails
from bihuan.tickets import services
from bihuan.tickets.models import Category, Ticket
from bihuan.triage.models import RoutingRule, TriageRule
from bihuan.triage.services import install_default_rules

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-browser-password"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}
Screenshot = Callable[[Page, str], Path]


@dataclass
class Workspace:
    lead: User
    agent: User
    ticket: Ticket
    english: Ticket
    team: Team


def _ticket(subject: str, body: str, **extra: Any) -> Ticket:
    return services.create_ticket(
        services.NewTicket(subject=subject, body=body, **extra), actor=None
    )


@pytest.fixture
def workspace() -> Workspace:
    department = Department.objects.create(name="客服部")
    team = Team.objects.create(name="售后处理组", department=department)
    lead = User.objects.create_user(
        "lead", password=PASSWORD, role=Role.ADMIN, department=department, display_name="周敏"
    )
    agent = User.objects.create_user(
        "lina", password=PASSWORD, role=Role.AGENT, department=department, display_name="李娜"
    )
    team.members.add(lead, agent)
    refunds = Category.objects.create(name="退款/退货", name_en="Refunds and returns")
    only_refund = Category.objects.create(name="仅退款", name_en="Refund only", parent=refunds)
    Category.objects.create(name="物流/配送", name_en="Delivery")
    install_default_rules()
    ticket = _ticket(
        "申请退款，电水壶用了两天就坏了，希望尽快处理",
        "您好，我买的电水壶用了两天就坏了，想申请退款。订单号 20241024001。",
        channel="phone",
        kind="after_sales",
        priority=3,
        contact=ContactDetails(name="郭文静", phone="18112349564", email="guowj@example.com"),
        team=team,
        category=only_refund,
        tags=["加急"],
    )
    english = _ticket(
        "Refund for a broken kettle",
        "Hello, the kettle I bought stopped working after two days. I would like a refund.",
        channel="email",
        kind="complaint",
        contact=ContactDetails(name="Emily Carter", email="emily.carter@example.com"),
        team=team,
        category=refunds,
    )
    for number in range(6):
        _ticket(
            f"快递显示已签收但没收到包裹（第 {number + 1} 单）",
            "物流显示昨天已签收，可我没有收到包裹。",
            channel="wechat",
            kind="inquiry",
            contact=ContactDetails(name=f"刘洋{number}", phone=f"1390013900{number}"),
            team=team,
        )
    services.reply_to_customer(english, body="We are sorry, a refund is on its way.", actor=agent)
    services.add_commitment(
        ticket,
        description="明天 12 点前回电告知退款结果",
        due_at=timezone.now() + timedelta(days=1),
        actor=agent,
    )
    RoutingRule.objects.create(name="投诉进售后处理组", kind="complaint", team=team, position=10)
    return Workspace(lead=lead, agent=agent, ticket=ticket, english=english, team=team)


@pytest.fixture
def make_context(browser: Browser) -> Iterator[Callable[[dict[str, int]], BrowserContext]]:
    contexts: list[BrowserContext] = []

    def make(viewport: dict[str, int]) -> BrowserContext:
        context = browser.new_context(
            viewport=viewport,  # type: ignore[arg-type]
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            is_mobile=viewport["width"] < 500,
            has_touch=viewport["width"] < 500,
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").first.click()
    expect(page).to_have_url(f"{base}/")


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"the page scrolls sideways: {width} > {viewport}"


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_team_lead_works_on_a_phone(
    make_context: Callable[[dict[str, int]], BrowserContext],
    live_server: object,
    workspace: Workspace,
    screenshot: Screenshot,
    language: str,
) -> None:
    User.objects.filter(pk=workspace.lead.pk).update(language=language)
    base = str(live_server)
    page = make_context(PHONE).new_page()
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    sign_in(page, base, "lead")
    suffix = f"phone-{language}"

    # The top bar collapses behind a menu button; the inbox is a list of cards.
    expect(page.get_by_test_id("menu-toggle")).to_be_visible()
    expect(page.get_by_test_id("notifications-link")).to_be_hidden()
    rows = page.get_by_test_id("ticket-row")
    expect(rows.first).to_be_visible()
    subject = rows.first.locator(".ticket-subject")
    box = subject.bounding_box()
    assert box is not None
    assert box["width"] > 200, "a subject gets the card's whole width"
    no_sideways_scroll(page)
    screenshot(page, f"inbox-{suffix}")
    status = page.locator("#filters select[name=status]")
    expect(status).to_be_hidden()
    page.get_by_test_id("filters-toggle").click()
    expect(status).to_be_visible()
    expect(page.locator("#filter-fields")).to_have_class(re.compile(r"(^|\s)show(\s|$)"))
    no_sideways_scroll(page)
    screenshot(page, f"inbox-filters-{suffix}")
    page.get_by_test_id("filters-toggle").click()
    page.get_by_test_id("menu-toggle").click()
    expect(page.get_by_test_id("notifications-link")).to_be_visible()
    expect(page.locator("#topbar-menu")).to_have_class(re.compile(r"(^|\s)show(\s|$)"))
    screenshot(page, f"menu-{suffix}")
    page.get_by_test_id("menu-toggle").click()

    # The ticket page: the conversation first, the side panel below it.
    page.goto(f"{base}/tickets/{workspace.ticket.pk}/")
    reply = page.get_by_test_id("reply-body").bounding_box()
    properties = page.get_by_test_id("properties-form").bounding_box()
    assert reply is not None
    assert properties is not None
    assert properties["y"] > reply["y"] + reply["height"]
    no_sideways_scroll(page)
    screenshot(page, f"ticket-{suffix}")

    page.goto(f"{base}/kanban/")
    expect(page.get_by_test_id(f"card-{workspace.ticket.pk}")).to_be_visible()
    screenshot(page, f"kanban-{suffix}")

    page.goto(f"{base}/customers/{workspace.ticket.customer_id}/")
    expect(page.get_by_test_id("history")).to_be_visible()
    no_sideways_scroll(page)
    screenshot(page, f"customer-{suffix}")

    page.goto(f"{base}/triage/rules/")
    expect(page.get_by_test_id("rules-table")).to_be_visible()
    no_sideways_scroll(page)
    screenshot(page, f"triage-rules-{suffix}")

    page.goto(f"{base}/routing/rules/")
    expect(page.get_by_test_id("routing-rules-table")).to_be_visible()
    no_sideways_scroll(page)
    screenshot(page, f"routing-rules-{suffix}")
    assert refused == [], "the pages break the Content-Security-Policy"


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_team_lead_works_on_a_desktop(
    make_context: Callable[[dict[str, int]], BrowserContext],
    live_server: object,
    workspace: Workspace,
    screenshot: Screenshot,
    language: str,
) -> None:
    User.objects.filter(pk=workspace.lead.pk).update(language=language)
    base = str(live_server)
    page = make_context(DESKTOP).new_page()
    sign_in(page, base, "lead")
    suffix = f"desktop-{language}"

    expect(page.get_by_test_id("menu-toggle")).to_be_hidden()
    expect(page.get_by_test_id("filters-toggle")).to_be_hidden()
    expect(page.locator("#filters select[name=status]")).to_be_visible()
    expect(page.get_by_test_id("ticket-table")).to_contain_text(
        "Refunds and returns" if language == "en" else "退款/退货"
    )
    expect(page.get_by_test_id("ticket-table")).not_to_contain_text("after_sales")
    screenshot(page, f"inbox-{suffix}")
    page.goto(f"{base}/tickets/{workspace.ticket.pk}/")
    expect(page.get_by_test_id("triage-panel")).to_be_visible()
    screenshot(page, f"ticket-{suffix}")
    page.goto(f"{base}/kanban/")
    screenshot(page, f"kanban-{suffix}")
    page.goto(f"{base}/customers/{workspace.ticket.customer_id}/")
    screenshot(page, f"customer-{suffix}")
    page.goto(f"{base}/triage/rules/")
    table = page.get_by_test_id("rules-table")
    expect(table).to_be_visible()
    values = table.locator("tbody td:nth-child(3)").all_inner_texts()
    assert values
    assert not {"inquiry", "after_sales", "complaint", "1", "2", "3", "4"} & set(values)
    screenshot(page, f"triage-rules-{suffix}")
    page.goto(f"{base}/routing/rules/")
    screenshot(page, f"routing-rules-{suffix}")
    page.goto(f"{base}/routing/agents/")
    screenshot(page, f"team-availability-{suffix}")
    page.goto(f"{base}/routing/queues/")
    expect(page.get_by_test_id("queues-table")).to_be_visible()
    screenshot(page, f"queues-{suffix}")
    page.goto(f"{base}/triage/accuracy/")
    expect(page.get_by_test_id("accuracy-summary")).to_be_visible()
    screenshot(page, f"triage-accuracy-{suffix}")
    page.goto(f"{base}/search/?q=郭文静")
    expect(page.get_by_test_id("customer-results")).to_contain_text("郭文静")
    screenshot(page, f"search-{suffix}")


def test_an_agent_goes_online_from_the_top_bar(
    page: Page, live_server: object, workspace: Workspace
) -> None:
    base = str(live_server)
    sign_in(page, base, "lina")
    menu = page.get_by_test_id("availability-menu")
    expect(menu).to_have_attribute("data-availability", "offline")

    menu.click()
    page.get_by_test_id("set-availability-online").click()

    expect(page.get_by_test_id("availability-menu")).to_have_attribute(
        "data-availability", "online"
    )
    expect(page).to_have_url(f"{base}/")
    workspace.agent.refresh_from_db()
    assert workspace.agent.availability == Availability.ONLINE
    assert Event.objects.filter(verb="agent.availability_changed", actor=workspace.agent).exists()


def test_a_refused_triage_rule_keeps_what_was_typed(
    page: Page, live_server: object, workspace: Workspace, screenshot: Screenshot
) -> None:
    base = str(live_server)
    sign_in(page, base, "lead")
    page.goto(f"{base}/triage/rules/new/")
    form = page.get_by_test_id("rule-form")
    category_value = form.locator("select[name=category_value]")
    kind_value = form.locator("select[name=kind_value]")
    expect(category_value).to_be_visible()
    expect(kind_value).to_be_hidden()
    assert form.locator("input[name=value]").count() == 0

    form.locator("input[name=name]").fill("发票问题")
    form.locator("select[name=field]").select_option("kind")
    expect(kind_value).to_be_visible()
    expect(category_value).to_be_hidden()
    kind_value.select_option("request")
    form.locator("textarea[name=patterns]").fill("发票\nre:([")
    page.get_by_test_id("save-rule").click()

    expect(page.get_by_test_id("field-error")).to_be_visible()
    expect(form.locator("input[name=name]")).to_have_value("发票问题")
    expect(form.locator("select[name=field]")).to_have_value("kind")
    expect(kind_value).to_have_value("request")
    expect(form.locator("textarea[name=patterns]")).to_have_value("发票\nre:([")
    assert not TriageRule.objects.filter(name="发票问题").exists()
    screenshot(page, "triage-rule-refused-desktop-zh-hans")


def test_the_kanban_shows_one_message_at_a_time(
    page: Page, live_server: object, workspace: Workspace, screenshot: Screenshot
) -> None:
    from tests.journeys.test_browser import drag

    base = str(live_server)
    sign_in(page, base, "lina")
    page.goto(f"{base}/kanban/")
    card = page.get_by_test_id(f"card-{workspace.ticket.pk}")
    alerts = page.locator("#flash .alert")

    drag(page, card, page.get_by_test_id("column-closed"))
    expect(alerts).to_have_count(1)
    drag(
        page,
        page.get_by_test_id(f"card-{workspace.ticket.pk}"),
        page.get_by_test_id("column-solved"),
    )
    expect(alerts).to_have_count(1)
    drag(
        page,
        page.get_by_test_id(f"card-{workspace.ticket.pk}"),
        page.get_by_test_id("column-closed"),
    )
    expect(alerts).to_have_count(1)
    expect(alerts.first).to_have_class(re.compile("alert-danger"))
    screenshot(page, "kanban-refused-desktop-zh-hans")
    message = alerts.first.bounding_box()
    header = page.locator(".kanban-column-header").first.bounding_box()
    assert message is not None
    assert header is not None
    assert message["y"] > header["y"] + header["height"], "the message covers the headers"

    page.get_by_test_id("column-new").click(position={"x": 10, "y": 10})
    expect(alerts).to_have_count(0)


def test_an_admin_gives_a_skill_and_routes_with_a_preview(
    page: Page, live_server: object, workspace: Workspace, screenshot: Screenshot
) -> None:
    base = str(live_server)
    sign_in(page, base, "lead")

    # A skill, given to an agent on the team page.
    page.goto(f"{base}/routing/skills/")
    page.get_by_test_id("skill-form").locator("input[name=name]").fill("英语")
    page.get_by_test_id("add-skill").click()
    expect(page.get_by_test_id("skills-table")).to_contain_text("英语")
    page.goto(f"{base}/routing/agents/")
    skills = page.get_by_test_id("skills-lina")
    skills.get_by_label("英语").check()
    page.get_by_test_id("save-skills-lina").click()
    expect(page.get_by_test_id("skills-lina").get_by_label("英语")).to_be_checked()
    assert list(workspace.agent.skills.values_list("name", flat=True)) == ["英语"]

    # A routing rule with its preview: nothing is saved before Save.
    page.goto(f"{base}/routing/rules/new/")
    form = page.get_by_test_id("routing-rule-form")
    form.locator("input[name=name]").fill("英文邮件进售后处理组")
    form.locator("select[name=channel]").select_option("email")
    form.locator("select[name=team]").select_option(str(workspace.team.pk))
    form.locator("select[name=skills]").select_option(label="英语")
    page.get_by_test_id("preview").click()
    preview = page.get_by_test_id("preview-table")
    expect(preview).to_contain_text(workspace.english.subject)
    changed = preview.locator("tr.table-warning")
    expect(changed).to_have_count(1)  # the one email ticket; the others keep their route
    expect(changed).to_contain_text(workspace.english.subject)
    assert not RoutingRule.objects.filter(name="英文邮件进售后处理组").exists()
    screenshot(page, "routing-rule-preview-desktop-zh-hans")
    page.get_by_test_id("save-routing-rule").click()

    expect(page.get_by_test_id("routing-rules-table")).to_contain_text("英文邮件进售后处理组")
    rule = RoutingRule.objects.get(name="英文邮件进售后处理组")
    assert (rule.channel, rule.team_id) == ("email", workspace.team.pk)
    assert [s.name for s in rule.required_skills.all()] == ["英语"]
    assert Event.objects.filter(verb="routing.rule_created", actor=workspace.lead).count() == 1
