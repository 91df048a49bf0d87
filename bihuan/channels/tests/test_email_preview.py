"""The reply composer shows what a reply by email will be — recipient, subject, signature and
quoted history — computed by the same function that builds the mail, so the preview and the
mail the customer gets say the same; a customer without an email address cannot be mailed."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from html import unescape
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from bihuan.accounts.models import User
from bihuan.channels.models import Mailbox, OutboundEmail
from bihuan.channels.services import ingest_email, queue_email_reply
from bihuan.channels.tests.conftest import Sink
from bihuan.channels.tests.mail import build_mail
from bihuan.core.models import Event
from bihuan.core.runner import Runner
from bihuan.testing.factories import make_ticket
from bihuan.tickets import services as ticket_services
from bihuan.tickets.models import Message, Ticket
from conftest import Org

pytestmark = pytest.mark.django_db

ARRIVED = datetime(2026, 11, 22, 1, 30, tzinfo=UTC)  # 09:30 in Shanghai


def _client(user: User) -> Client:
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    return client


def _testid(html: str, name: str) -> str:
    found = re.search(rf'data-testid="{name}">(.*?)</', html, re.S)
    assert found is not None, name
    return unescape(found[1])


def _mailed_ticket(org: Org) -> Ticket:
    mailbox = Mailbox.objects.create(
        name="售前",
        address="support@shop.example.cn",
        team=org.presales,
        created_at=timezone.now(),
    )
    with time_machine.travel(ARRIVED, tick=False):
        result = ingest_email(
            build_mail(
                subject="[#999] 订单还没发货",
                body="我上周下的订单到现在还没发货。\n订单号 A123。",
            ),
            mailbox=mailbox,
        )
    ticket = Ticket.objects.get(pk=result.ticket_number or 0)
    ticket_services.add_internal_note(ticket, body="仓库说周一发货", actor=org.agent)
    return ticket


def test_the_composer_loads_the_preview_when_the_agent_picks_a_channel(
    org: Org, smtp: Sink
) -> None:
    ticket = _mailed_ticket(org)

    files = _client(org.agent).get(f"/mail/tickets/{ticket.pk}/files/").content.decode()

    slot = re.search(r'<div hx-get="([^"]+)" hx-trigger="([^"]+)" hx-include="([^"]+)"', files)
    assert slot is not None
    assert slot.groups() == (
        f"/mail/tickets/{ticket.pk}/preview/",
        "load, change from:#reply-channel",
        "#reply-channel",
    )
    page = _client(org.agent).get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'id="reply-channel" name="channel"' in page  # what the slot sends as ?channel=


def test_the_preview_shows_what_the_mail_then_carries(
    org: Org, smtp: Sink, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    ticket = _mailed_ticket(org)
    agent = _client(org.agent)

    preview = agent.get(f"/mail/tickets/{ticket.pk}/preview/?channel=email").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        sent_reply = agent.post(
            f"/tickets/{ticket.pk}/reply/",
            {"body": "王女士您好，已催仓库发货。", "channel": "email"},
        )
    Runner("test").run_until_idle()

    assert sent_reply.status_code == 302
    added = _testid(preview, "email-preview-added")
    assert _testid(preview, "email-preview-to") == "w***@example.cn"
    assert _testid(preview, "email-preview-from") == "闭环客服 <support@shop.example.cn>"
    assert _testid(preview, "email-preview-subject") == f"[#{ticket.pk}] 订单还没发货"
    assert added == (
        "-- \n张伟\n\n"
        "在 2026-11-22 09:30，王芳 写道：\n"
        "> 我上周下的订单到现在还没发货。\n"
        "> 订单号 A123。"
    )
    [sent] = smtp.received
    assert smtp.recipients == [["wangfang@example.cn"]]
    assert sent["Subject"] == _testid(preview, "email-preview-subject")
    text = sent.get_body(("plain",))
    assert text is not None
    assert text.get_content().replace("\r\n", "\n").rstrip() == (
        "王女士您好，已催仓库发货。\n\n" + added
    )
    assert "仓库说周一发货" not in text.get_content()  # an internal note is never quoted


def test_a_reply_quotes_the_customer_message_it_answers_not_a_later_one(
    org: Org, smtp: Sink
) -> None:
    ticket = _mailed_ticket(org)
    reply = ticket_services.reply_to_customer(ticket, body="您好", actor=org.agent, channel="email")
    ticket_services.add_customer_message(ticket, body="还有一个问题", channel="email")

    outbound = queue_email_reply(reply)

    assert outbound is not None
    assert "> 订单号 A123。" in outbound.body_text
    assert "还有一个问题" not in outbound.body_text


def test_another_channel_previews_nothing(org: Org, smtp: Sink) -> None:
    ticket = make_ticket(email="wangfang@example.cn", phone="13800138000", team=org.presales)

    response = _client(org.agent).get(f"/mail/tickets/{ticket.pk}/preview/?channel=phone")

    assert (response.status_code, response.content) == (200, b"")


def test_without_an_email_address_the_preview_says_so_and_the_reply_is_refused(
    org: Org, smtp: Sink
) -> None:
    ticket = make_ticket(phone="13800138000", team=org.presales, channel="phone")
    agent = _client(org.agent)
    messages = Message.objects.count()
    events = Event.objects.count()

    preview = agent.get(f"/mail/tickets/{ticket.pk}/preview/?channel=email").content.decode()
    refused = agent.post(f"/tickets/{ticket.pk}/reply/", {"body": "您好", "channel": "email"})

    assert 'data-testid="email-preview-no-address"' in preview
    assert "This customer has no email address" in preview
    assert 'data-testid="email-preview-to"' not in preview
    assert refused.status_code == 302
    shown = agent.get(refused["Location"]).content.decode()
    assert "The customer cannot be reached by this channel" in shown
    assert (Message.objects.count(), Event.objects.count()) == (messages, events)
    assert OutboundEmail.objects.count() == 0


def test_the_preview_of_a_ticket_out_of_scope_is_not_found(org: Org, smtp: Sink) -> None:
    ticket = make_ticket(email="wangfang@example.cn", team=org.complaints)

    response = _client(org.agent).get(f"/mail/tickets/{ticket.pk}/preview/?channel=email")

    assert response.status_code == 404
    assert b"wangfang" not in response.content
