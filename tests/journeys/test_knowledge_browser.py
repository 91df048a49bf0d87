"""An agent answers with the knowledge base in the browser: searches articles, inserts a
suggested answer into the reply with one click, types "/" for a reply template, sends it;
and the knowledge pages on a 390 px phone."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from bihuan.accounts.choices import Role
from bihuan.accounts.models import Department, Team, User
from bihuan.customers.services import ContactDetails
from bihuan.knowledge import services as knowledge
from bihuan.knowledge.models import Article, ReplyTemplate
from bihuan.tickets import services
from bihuan.tickets.models import Message, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-browser-password"
ANSWER = "您好，我们已联系快递核实签收情况，24 小时内给您答复。"
Screenshot = Callable[[Page, str], Path]


@pytest.fixture
def ticket() -> Ticket:
    department = Department.objects.create(name="客服部")
    team = Team.objects.create(name="售后处理组", department=department)
    agent = User.objects.create_user(
        "lina", password=PASSWORD, role=Role.AGENT, department=department, display_name="李娜"
    )
    supervisor = User.objects.create_user(
        "wangfang", password=PASSWORD, role=Role.SUPERVISOR, display_name="王芳"
    )
    team.members.add(agent)
    article = knowledge.create_article(
        knowledge.ArticleFields(
            title="物流显示签收但客户没收到",
            body="## 处理步骤\n\n1. 核对收货地址\n2. 联系快递员要签收凭证\n"
            "3. **24 小时**内找不到按丢件处理",
            answer=ANSWER,
            tags=["物流"],
        ),
        actor=agent,
    )
    knowledge.change_article_status(article, to="published", actor=supervisor)
    knowledge.create_article(
        knowledge.ArticleFields(title="如何开具发票", body="订单详情页申请。"), actor=supervisor
    )
    knowledge.create_synonym(terms="快递 物流", actor=supervisor)
    knowledge.create_template(
        knowledge.TemplateFields(
            title="问候",
            scenario="greeting",
            body="{{ customer.name }}您好，我是客服{{ agent.name }}，"
            "工单 {{ ticket.number }} 由我跟进。",
            shared=True,
        ),
        actor=supervisor,
    )
    return services.create_ticket(
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


def sign_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page).to_have_url(f"{base_url}/")


def test_agent_searches_inserts_an_article_and_a_template_and_sends_the_reply(
    page: Page, live_server: object, ticket: Ticket, screenshot: Screenshot
) -> None:
    base = str(live_server)
    sign_in(page, base, "lina")

    page.get_by_test_id("knowledge-link").click()
    page.get_by_test_id("kb-query").fill("快递 签收")
    page.get_by_test_id("kb-query").press("Enter")
    expect(page.get_by_test_id("article-row")).to_have_count(1)
    expect(page.get_by_test_id("article-row")).to_contain_text("物流显示签收但客户没收到")
    screenshot(page, "knowledge-search")
    page.get_by_test_id("article-row").get_by_role("link").click()
    expect(page.get_by_test_id("article-body").locator("strong")).to_have_text("24 小时")
    screenshot(page, "knowledge-article")

    page.goto(f"{base}/tickets/{ticket.pk}/")
    suggestion = page.get_by_test_id("kb-suggestion")
    expect(suggestion).to_have_count(1)
    page.get_by_test_id("kb-panel-query").fill("发票")
    page.get_by_test_id("kb-panel-query").press("Enter")
    expect(page.get_by_test_id("kb-none")).to_be_visible()  # the invoice article is a draft
    page.get_by_test_id("kb-panel-query").fill("快递 签收")
    page.get_by_test_id("kb-panel-query").press("Enter")
    expect(suggestion).to_have_count(1)
    suggestion.get_by_test_id("kb-insert").click()
    reply = page.get_by_test_id("reply-body")
    expect(reply).to_have_value(ANSWER)
    reply.press("End")
    reply.press_sequentially("\n/问候")
    menu = page.get_by_test_id("template-menu")
    expect(menu.locator(".dropdown-item")).to_have_count(1)
    screenshot(page, "knowledge-template-menu")
    reply.press("Enter")
    greeting = f"刘洋您好，我是客服李娜，工单 {ticket.pk} 由我跟进。"
    expect(reply).to_have_value(f"{ANSWER}\n{greeting}")
    screenshot(page, "knowledge-inserted-reply")
    page.get_by_test_id("send-reply").click()

    expect(page.get_by_test_id("timeline")).to_contain_text(greeting)
    sent = Message.objects.filter(ticket=ticket, kind="reply").get().body
    assert sent.replace("\r\n", "\n") == f"{ANSWER}\n{greeting}"  # a form posts CRLF
    assert Article.objects.get(title="物流显示签收但客户没收到").insert_count == 1
    assert ReplyTemplate.objects.get(title="问候").use_count == 1


def test_the_knowledge_pages_fit_a_phone(
    browser: Browser, live_server: object, ticket: Ticket, screenshot: Screenshot
) -> None:
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    base = str(live_server)
    sign_in(page, base, "lina")

    page.goto(f"{base}/knowledge/")
    expect(page.get_by_test_id("article-row")).to_have_count(1)
    screenshot(page, "knowledge-phone-list")
    page.goto(f"{base}/tickets/{ticket.pk}/")
    expect(page.get_by_test_id("kb-suggestion")).to_have_count(1)
    width = page.evaluate("document.documentElement.scrollWidth")
    page.get_by_test_id("kb-panel").scroll_into_view_if_needed()
    screenshot(page, "knowledge-phone-ticket")
    page.goto(f"{base}/knowledge/templates/")
    screenshot(page, "knowledge-phone-templates")
    context.close()

    assert width <= 390
