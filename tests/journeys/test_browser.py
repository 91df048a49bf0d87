"""An agent's day in the browser: sign in, work a ticket, ask a colleague, move it on the board.

Driven by Playwright through Debian's chromium against pytest-django's live server; data is
set up through the real services and every step is checked in the database as well.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from bihuan.accounts.choices import Role
from bihuan.accounts.models import Department, Team, User
from bihuan.core.models import Event, Notification
from bihuan.customers.services import ContactDetails
from bihuan.tickets import services
from bihuan.tickets.models import Category, Message, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-browser-password"
Screenshot = Callable[[Page, str], Path]


@dataclass
class Desk:
    agent: User
    colleague: User
    ticket: Ticket
    other: Ticket


@pytest.fixture
def desk() -> Desk:
    department = Department.objects.create(name="客服部")
    team = Team.objects.create(name="售后处理组", department=department)
    agent = User.objects.create_user(
        "lina", password=PASSWORD, role=Role.AGENT, department=department, display_name="李娜"
    )
    colleague = User.objects.create_user(
        "wangqiang",
        password=PASSWORD,
        role=Role.AGENT,
        department=department,
        display_name="王强",
    )
    team.members.add(agent, colleague)
    refunds = Category.objects.create(name="退款/退货")
    category = Category.objects.create(name="仅退款", parent=refunds)
    ticket = services.create_ticket(
        services.NewTicket(
            subject="申请退款，商品有质量问题",
            body="您好，我买的电水壶用了两天就坏了，想申请退款。订单号 20241024001。",
            channel="phone",
            kind="after_sales",
            priority=3,
            contact=ContactDetails(name="王芳", phone="13800138001", email="wangfang@example.com"),
            team=team,
            category=category,
            tags=["加急"],
        ),
        actor=None,
    )
    other = services.create_ticket(
        services.NewTicket(
            subject="快递显示已签收但没收到",
            body="物流显示昨天已签收，可我没有收到包裹。",
            channel="wechat",
            kind="complaint",
            contact=ContactDetails(name="刘洋", phone="13900139002"),
            team=team,
        ),
        actor=None,
    )
    services.reply_to_customer(other, body="您好，我们正在联系快递公司核实。", actor=colleague)
    return Desk(agent=agent, colleague=colleague, ticket=ticket, other=other)


def sign_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page).to_have_url(f"{base_url}/")


def drag(page: Page, card: Locator, column: Locator) -> None:
    """Drag like a person: press, move in small steps (SortableJS needs real moves), release."""
    start = card.bounding_box()
    end = column.bounding_box()
    assert start is not None
    assert end is not None
    page.wait_for_load_state("networkidle")  # SortableJS is bound once the page has loaded
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + 12)
    page.mouse.down()
    page.wait_for_timeout(150)
    page.mouse.move(start["x"] + start["width"] / 2 + 10, start["y"] + 20, steps=5)
    page.wait_for_timeout(150)
    target_y = end["y"] + min(end["height"] / 2, 120)
    page.mouse.move(end["x"] + end["width"] / 2, target_y, steps=20)
    page.wait_for_timeout(250)
    page.mouse.move(end["x"] + end["width"] / 2, target_y + 5, steps=2)
    page.mouse.up()


def test_agent_works_a_ticket_from_sign_in_to_the_kanban_board(
    page: Page, live_server: object, desk: Desk, screenshot: Screenshot
) -> None:
    base = str(live_server)
    ticket = desk.ticket

    # Sign in (the page is in Chinese by default).
    page.goto(f"{base}/login/")
    expect(page.get_by_role("heading", name="登录客服工作台")).to_be_visible()
    screenshot(page, "sign-in")
    sign_in(page, base, "lina")

    # The inbox lists the ticket with the contact masked; a filter swaps the list in place.
    table = page.get_by_test_id("ticket-table")
    expect(table.get_by_role("link", name=ticket.subject)).to_be_visible()
    expect(table).to_contain_text("138****8001")
    expect(table).not_to_contain_text("13800138001")
    screenshot(page, "inbox")
    page.get_by_label("状态", exact=True).select_option("open")
    expect(page).to_have_url(re.compile(r"status=open"))
    expect(table.get_by_role("link", name=desk.other.subject)).to_be_visible()
    expect(page.get_by_role("link", name=ticket.subject)).to_have_count(0)
    page.get_by_label("状态", exact=True).select_option("")
    expect(page.get_by_role("link", name=ticket.subject)).to_be_visible()

    # Open it and reply to the customer.
    page.get_by_role("link", name=ticket.subject).click()
    expect(page).to_have_url(f"{base}/tickets/{ticket.pk}/")
    page.get_by_test_id("reply-body").fill("您好，已为您登记退款申请，预计 3 个工作日内到账。")
    page.get_by_test_id("send-reply").click()
    # No channel adapter sends it yet: the page says the reply is recorded, not sent.
    expect(page.locator("#flash")).to_contain_text(re.compile("未发送|not sent"))
    expect(page.get_by_test_id("timeline")).to_contain_text("预计 3 个工作日内到账")
    assert Message.objects.filter(ticket=ticket, kind="reply", author=desk.agent).count() == 1
    assert Ticket.objects.get(pk=ticket.pk).status == "open"

    # An internal note mentioning a colleague, picked from the @ autocomplete.
    page.get_by_role("tab", name="内部备注").click()
    note = page.get_by_test_id("note-body")
    note.click()
    note.press_sequentially("@wang")
    page.locator(".mention-menu").get_by_role("option", name=re.compile("王强")).click()
    note.press_sequentially("请帮忙确认仓库是否已收到退货。")
    expect(note).to_have_value("@wangqiang 请帮忙确认仓库是否已收到退货。")
    page.get_by_test_id("add-note").click()
    expect(page.get_by_text("内部备注已添加。")).to_be_visible()
    expect(page.locator(".bubble-note")).to_contain_text("提及了 王强")
    assert Notification.objects.filter(recipient=desk.colleague).count() == 1
    screenshot(page, "ticket")

    # The customer's page: full contacts, complete history, and the view is audited.
    page.get_by_test_id("customer-link").click()
    expect(page.get_by_test_id("profile")).to_contain_text("13800138001")
    expect(page.get_by_test_id("history")).to_contain_text(ticket.subject)
    assert Event.objects.filter(
        verb="customer.viewed", customer_id=ticket.customer_id, actor=desk.agent
    ).exists()
    screenshot(page, "customer")

    # Search from the top bar.
    search = page.get_by_role("searchbox", name="搜索")
    search.fill("退款")
    search.press("Enter")
    expect(page.get_by_role("heading", name="“退款”的搜索结果")).to_be_visible()
    expect(page.get_by_role("link", name=ticket.subject)).to_be_visible()
    screenshot(page, "search")

    # The kanban board: drag the card from 处理中 to 等待客户.
    page.get_by_role("link", name="看板", exact=True).click()
    card = page.get_by_test_id(f"card-{ticket.pk}")
    expect(page.get_by_test_id("column-open").get_by_test_id(f"card-{ticket.pk}")).to_be_visible()
    drag(page, card, page.get_by_test_id("column-pending_customer"))
    expect(page.get_by_text(f"工单 #{ticket.pk} 现在是“等待客户”。")).to_be_visible()
    expect(
        page.get_by_test_id("column-pending_customer").get_by_test_id(f"card-{ticket.pk}")
    ).to_be_visible()
    assert Ticket.objects.get(pk=ticket.pk).status == "pending_customer"
    moved = Event.objects.filter(ticket_id=ticket.pk, verb="ticket.status_changed").latest("id")
    assert (moved.data["from"], moved.data["to"], moved.actor_id) == (
        "open",
        "pending_customer",
        desk.agent.pk,
    )
    screenshot(page, "kanban")

    # A forbidden move (等待客户 → 已闭环) is refused: the card goes back, nothing changes.
    events_before = Event.objects.filter(ticket_id=ticket.pk).count()
    drag(page, page.get_by_test_id(f"card-{ticket.pk}"), page.get_by_test_id("column-closed"))
    expect(page.get_by_text("工单不能从“等待客户”变为“已闭环”。")).to_be_visible()
    expect(
        page.get_by_test_id("column-pending_customer").get_by_test_id(f"card-{ticket.pk}")
    ).to_be_visible()
    expect(page.get_by_test_id("column-closed").get_by_test_id(f"card-{ticket.pk}")).to_have_count(
        0
    )
    assert Ticket.objects.get(pk=ticket.pk).status == "pending_customer"
    assert Event.objects.filter(ticket_id=ticket.pk).count() == events_before


def test_mentioned_colleague_sees_the_notification(
    page: Page, live_server: object, desk: Desk
) -> None:
    base = str(live_server)
    services.add_internal_note(desk.ticket, body="@wangqiang 请看一下这张工单", actor=desk.agent)

    sign_in(page, base, "wangqiang")

    expect(page.get_by_test_id("unread-count")).to_have_text("1")
    page.get_by_test_id("notifications-link").click()
    notification = page.get_by_test_id("notification")
    expect(notification).to_contain_text("李娜 在内部备注中提到了您")
    notification.get_by_role("button", name=f"工单 #{desk.ticket.pk}").click()
    expect(page).to_have_url(f"{base}/tickets/{desk.ticket.pk}/")
    expect(page.get_by_test_id("unread-count")).to_have_count(0)
    assert Notification.objects.get(recipient=desk.colleague).is_read


def test_agent_switches_the_interface_to_english_and_back(
    page: Page, live_server: object, desk: Desk
) -> None:
    base = str(live_server)
    sign_in(page, base, "lina")
    expect(page.get_by_role("link", name="收件箱", exact=True)).to_be_visible()

    page.get_by_test_id("language-menu").click()
    page.locator("button[data-language='en']").click()

    expect(page.get_by_role("link", name="Inbox", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Kanban", exact=True)).to_be_visible()
    expect(page.get_by_test_id("views")).to_contain_text("All open")
    desk.agent.refresh_from_db()
    assert desk.agent.language == "en"

    page.get_by_role("link", name="Kanban", exact=True).click()
    expect(page.get_by_role("heading", name="Collaboration board")).to_be_visible()
    expect(page.locator(".kanban-column-header").first).to_contain_text("New")

    page.get_by_test_id("language-menu").click()
    page.locator("button[data-language='zh-hans']").click()

    expect(page.get_by_role("heading", name="协作看板")).to_be_visible()
    desk.agent.refresh_from_db()
    assert desk.agent.language == "zh-hans"


def test_agent_reads_a_long_ticket_newest_first_and_loads_older_messages_in_place(
    page: Page, live_server: object, desk: Desk, screenshot: Screenshot
) -> None:
    base = str(live_server)
    ticket = desk.ticket
    for n in range(1, 60):
        if n % 2:
            services.add_customer_message(ticket, body=f"第 {n} 次追问：退款到哪一步了？")
        else:
            services.reply_to_customer(ticket, body=f"第 {n} 次答复：正在处理。", actor=desk.agent)
    events = Event.objects.filter(ticket_id=ticket.pk).count()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    sign_in(page, base, "lina")

    page.goto(f"{base}/tickets/{ticket.pk}/")
    timeline = page.get_by_test_id("timeline")
    older = page.get_by_test_id("timeline-older")
    expect(timeline.locator(":scope > li:not(.timeline-older)")).to_have_count(50)
    expect(timeline).to_contain_text("第 59 次追问")
    expect(timeline).not_to_contain_text("电水壶用了两天就坏了")
    expect(older.get_by_role("button", name="更早的消息")).to_be_visible()
    older.scroll_into_view_if_needed()
    screenshot(page, "ticket-timeline-older-button")
    older.get_by_role("button", name="更早的消息").click()

    # The older entries take the button's place, above the newest ones: the whole history once.
    expect(older).to_have_count(0)
    expect(timeline.locator(":scope > li")).to_have_count(events)
    expect(timeline.locator(":scope > li").first).to_contain_text("电水壶用了两天就坏了")
    expect(timeline.locator(":scope > li").last).to_contain_text("第 59 次追问")
    assert not [text for text in console if "Content Security Policy" in text]
