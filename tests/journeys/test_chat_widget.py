"""The chat widget end to end, over the production ASGI stack (uvicorn, Channels, the event log):
a visitor on the demo shop page chats with an agent signed in in a second browser; the
visitor's connection is cut and restored mid-conversation and nothing is lost or doubled; with
nobody online the widget takes a message with an email instead.

Screenshots: ``chat-widget-open``, ``chat-widget-chatting``, ``chat-agent-ticket``,
``chat-widget-offline``, ``chat-widget-settings``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Browser, BrowserContext, Page, expect

from bihuan.accounts.choices import Availability
from bihuan.accounts.models import User
from bihuan.channels.chat import live, services
from bihuan.channels.chat.models import ChatMessage, ChatVisitor, ChatWidget
from bihuan.customers.models import CustomerIdentity
from bihuan.tickets.choices import Channel, MessageKind
from bihuan.tickets.models import Message, Ticket
from conftest import Org

pytestmark = pytest.mark.browser

Screenshot = Callable[[Page, str], Path]
WIDGET_BUILT = (
    Path(__file__).resolve().parents[2] / "bihuan/channels/chat/static/chat/widget.js"
).is_file()


def _context(browser: Browser, base: str, user: User | None = None) -> BrowserContext:
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    context.set_default_timeout(15_000)
    if user is not None:
        client = Client()
        client.force_login(user)
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base}])
    return context


def _bodies(ticket: Ticket) -> list[tuple[str, str]]:
    rows = Message.objects.filter(ticket=ticket).exclude(kind=MessageKind.NOTE).order_by("pk")
    return [(row.kind, row.body) for row in rows]


@pytest.mark.skipif(not WIDGET_BUILT, reason="run `make install` (scripts/frontend.py) first")
def test_a_visitor_chats_with_an_agent_through_a_cut_connection_and_offline_leaves_a_message(
    browser: Browser, asgi_server: str, org: Org, screenshot: Screenshot, settings: Any
) -> None:
    base = asgi_server
    settings.BIHUAN_CHAT_DEMO = True
    User.objects.filter(pk=org.agent.pk).update(availability=Availability.ONLINE)
    widget = services.create_widget(
        services.WidgetFields(
            name="云朵数码官网",
            allowed_origins=base,
            team=org.presales,
            greeting="您好，我是云朵数码客服，有什么可以帮您？",
            offline_message="客服已下班（9:00–21:00 在线），请留下邮箱或手机号，我们明天回复您。",
            max_chats_per_agent=3,
        ),
        actor=org.admin,
    )
    expect.set_options(timeout=15_000)
    visitor_context = _context(browser, base)
    agent_context = _context(browser, base, org.agent)
    try:
        # The visitor opens the shop page and the chat.
        shop = visitor_context.new_page()
        shop.goto(f"{base}/chat/demo/?widget={widget.public_key}")
        host = shop.locator(f"[data-bihuan-chat='{widget.public_key}']")
        expect(host).to_have_attribute("data-connection", "open")
        shop.locator("[data-testid=chat-launcher]").click()
        expect(shop.locator("[data-testid=chat-greeting]")).to_contain_text("云朵数码客服")
        expect(shop.locator("[data-testid=chat-status]")).to_have_attribute("data-state", "online")
        screenshot(shop, "chat-widget-open")
        composer = shop.locator("[data-testid=chat-input]")
        composer.fill("你好，我买的轻听 Pro 耳机左耳没声音")
        composer.press("Enter")
        first = shop.locator("li[data-from=visitor]", has_text="左耳没声音")
        expect(first).to_have_attribute("data-state", "sent")
        ticket = Ticket.objects.get(channel=Channel.CHAT)
        assert ticket.owner_id == org.agent.pk  # online, below the widget's 3 chats

        # The agent has the chat open; the visitor's next message appears without a reload.
        desk = agent_context.new_page()
        desk.goto(f"{base}/tickets/{ticket.pk}/")
        expect(desk.locator("#live-root")).to_have_attribute("data-state", "open")
        composer.fill("订单号是 YD20261206001")
        composer.press("Enter")
        timeline = desk.locator("[data-testid=timeline]")
        expect(timeline.locator(".bubble", has_text="YD20261206001")).to_be_visible()
        # Typed over more than 2 s, the page announces typing twice: the live workspace drops
        # a presence frame that comes within 200 ms of the page's previous one.
        desk.locator("[data-testid=reply-body]").press_sequentially("您好，请问耳机", delay=350)
        expect(shop.locator("[data-testid=chat-typing]")).to_be_visible()
        desk.locator("[data-testid=reply-body]").fill("您好，请问耳机充满电后还是没有声音吗？")
        desk.locator("[data-testid=send-reply]").click()
        answer = shop.locator("li[data-from=agent]", has_text="充满电后")
        expect(answer).to_be_visible()
        screenshot(shop, "chat-widget-chatting")

        # The visitor's connection is cut (the server closes the socket, then the network
        # goes off so that it cannot come back); they write meanwhile, and the agent answers.
        key = ChatVisitor.objects.get(widget=widget).key
        live.push(services.visitor_group(key), {"type": "chat.close"})
        expect(host).not_to_have_attribute("data-connection", "open")
        visitor_context.set_offline(True)
        composer.fill("充满电了，还是没声音")
        composer.press("Enter")
        waiting = shop.locator("li[data-from=visitor]", has_text="还是没声音")
        expect(waiting).to_have_attribute("data-state", "pending")
        desk.locator("[data-testid=reply-body]").fill("好的，我们为您换新，请稍等。")
        desk.locator("[data-testid=send-reply]").click()
        expect(timeline.locator(".bubble", has_text="为您换新")).to_be_visible()
        visitor_context.set_offline(False)

        expect(host).to_have_attribute("data-connection", "open")
        expect(waiting).to_have_attribute("data-state", "sent")
        expect(shop.locator("li[data-from=agent]", has_text="为您换新")).to_be_visible()
        expect(timeline.locator(".bubble", has_text="还是没声音")).to_be_visible()
        screenshot(desk, "chat-agent-ticket")
        for text in ("左耳没声音", "YD20261206001", "充满电后", "还是没声音", "为您换新"):
            expect(shop.locator("li.message", has_text=text)).to_have_count(1)
        assert _bodies(ticket) == [
            (MessageKind.CUSTOMER, "你好，我买的轻听 Pro 耳机左耳没声音"),
            (MessageKind.CUSTOMER, "订单号是 YD20261206001"),
            (MessageKind.REPLY, "您好，请问耳机充满电后还是没有声音吗？"),
            (MessageKind.REPLY, "好的，我们为您换新，请稍等。"),
            (MessageKind.CUSTOMER, "充满电了，还是没声音"),
        ]
        assert ChatMessage.objects.filter(ticket=ticket).count() == 3

        # Nobody online: a new visitor gets the offline form and leaves a message with an email.
        User.objects.filter(pk=org.agent.pk).update(availability=Availability.OFFLINE)
        later = _context(browser, base)
        try:
            evening = later.new_page()
            evening.goto(f"{base}/chat/demo/?widget={widget.public_key}")
            evening.locator("[data-testid=chat-launcher]").click()
            form = evening.locator("[data-testid=chat-offline-form]")
            expect(form).to_be_visible()
            expect(evening.locator("[data-testid=chat-offline-message]")).to_contain_text("下班")
            form.locator("[data-testid=offline-name]").fill("陈晨")
            form.locator("[data-testid=offline-email]").fill("chen.chen@example.cn")
            form.locator("[data-testid=offline-body]").fill("想问一下星河 X5 支持 eSIM 吗？")
            screenshot(evening, "chat-widget-offline")
            form.locator("[data-testid=offline-send]").click()
            left = evening.locator("li[data-from=visitor]", has_text="eSIM")
            expect(left).to_have_attribute("data-state", "sent")
        finally:
            later.close()
        offline_ticket = Ticket.objects.exclude(pk=ticket.pk).get(channel=Channel.CHAT)
        assert offline_ticket.owner_id is None
        assert CustomerIdentity.objects.filter(
            customer=offline_ticket.customer, kind="email", value="chen.chen@example.cn"
        ).exists()
        assert ChatMessage.objects.get(ticket=offline_ticket).is_offline is True

        # The admin's settings page of the widget.
        admin_context = _context(browser, base, org.admin)
        try:
            page = admin_context.new_page()
            page.goto(f"{base}/chat/widgets/{widget.pk}/")
            expect(page.locator("[data-testid=public-key]")).to_have_text(widget.public_key)
            screenshot(page, "chat-widget-settings")
        finally:
            admin_context.close()
        assert ChatWidget.objects.count() == 1
    finally:
        visitor_context.close()
        agent_context.close()
