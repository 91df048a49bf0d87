"""Email replies: queued in the reply's transaction, sent after commit by the engine over a real
SMTP session on loopback, retried, and threaded back when the customer answers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext

from bihuan.channels.choices import DeliveryStatus
from bihuan.channels.email.message_ids import ticket_of_message_id
from bihuan.channels.models import OutboundEmail
from bihuan.channels.services import ingest_email
from bihuan.channels.tests.conftest import Sink
from bihuan.channels.tests.dovecot import free_port
from bihuan.channels.tests.mail import build_mail, corpus
from bihuan.core.models import DueItem, Event, WorkState
from bihuan.core.runner import Runner
from bihuan.testing.factories import make_ticket
from bihuan.tickets import services as ticket_services
from bihuan.tickets.choices import Channel, MessageKind
from bihuan.tickets.models import Message, Ticket
from conftest import Org

pytestmark = pytest.mark.django_db


def _reply(
    ticket: Ticket, org: Org, capture: Callable[..., Any], *, channel: str = Channel.EMAIL
) -> None:
    with capture(execute=True):  # the reply commits: its reactions run
        ticket_services.reply_to_customer(
            ticket, body="王女士您好，\n请先长按复位键 5 秒。", actor=org.agent, channel=channel
        )
    Runner("test").run_until_idle()  # the due delivery


def test_an_email_reply_is_sent_after_commit_and_the_answer_threads_back(
    org: Org, smtp: Sink, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    ticket = Ticket.objects.get(pk=ingest_email(corpus("gmail_zh_new.eml")).ticket_number or 0)

    _reply(ticket, org, django_capture_on_commit_callbacks)

    [sent] = smtp.received
    assert smtp.recipients == [["wangfang.sh@gmail.com"]]
    assert sent["Subject"] == f"[#{ticket.pk}] 空气净化器开机报E3错误"
    assert sent["From"] == "闭环客服 <support@shop.example.cn>"
    assert sent["In-Reply-To"] == "<CAGm3qMx7_e2Yr+QkF0xA1b2c3d4e5f6@mail.gmail.com>"
    assert sent["References"] == "<CAGm3qMx7_e2Yr+QkF0xA1b2c3d4e5f6@mail.gmail.com>"
    assert ticket_of_message_id(sent["Message-ID"]) == ticket.pk
    text = sent.get_body(("plain",))
    html = sent.get_body(("html",))
    assert text is not None
    assert html is not None
    asked = Message.objects.get(ticket=ticket, kind=MessageKind.CUSTOMER)
    with translation.override(settings.LANGUAGE_CODE):  # the mail's language, not the test's
        attribution = gettext("On %(date)s, %(name)s wrote:") % {
            "date": timezone.localtime(asked.created_at).strftime("%Y-%m-%d %H:%M"),
            "name": "王芳",
        }
    quoted = "\n".join(f"> {line}".rstrip() for line in asked.body.strip().splitlines())
    assert text.get_content().replace("\r\n", "\n").rstrip() == (
        f"王女士您好，\n请先长按复位键 5 秒。\n\n-- \n张伟\n\n{attribution}\n{quoted}"
    )
    assert "<p>王女士您好，<br>请先长按复位键 5 秒。</p>" in html.get_content()
    outbound = OutboundEmail.objects.get()
    assert (outbound.status, outbound.attempts) == (DeliveryStatus.SENT, 1)
    assert Event.objects.filter(verb="email.sent", ticket_id=ticket.pk).count() == 1

    answer = ingest_email(
        build_mail(
            sender="王芳 <wangfang.sh@gmail.com>",
            subject="Re: 空气净化器开机报E3错误",  # a client that dropped the [#number]
            message_id="<answer-1@gmail.com>",
            in_reply_to=sent["Message-ID"],
        )
    )

    assert answer.ticket_number == ticket.pk


def test_an_unreachable_smtp_server_is_retried_then_the_delivery_is_marked_failed(
    org: Org, settings: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()  # nothing listens there
    settings.BIHUAN_MAIL_FROM = "support@shop.example.cn"
    ticket = make_ticket(email="wangfang@example.cn")
    # Errors of other apps' periodic jobs are logged, not raised: this test is about polling.
    runner = Runner("test")

    ticket_services.reply_to_customer(ticket, body="您好", actor=org.agent, channel="email")
    runner.run_once()  # the reply's reaction queues the mail
    for _round in range(20):  # each attempt as soon as its backoff would let it
        if OutboundEmail.objects.get().status != DeliveryStatus.QUEUED:
            break
        DueItem.objects.filter(state=WorkState.PENDING).update(available_at=timezone.now())
        runner.run_once()

    outbound = OutboundEmail.objects.get()
    assert outbound.status == DeliveryStatus.FAILED
    assert outbound.attempts == 8
    assert "ConnectionRefusedError" in outbound.last_error
    event = Event.objects.get(verb="email.delivery_failed")
    assert (event.ticket_id, event.data["to"]) == (ticket.pk, "wangfang@example.cn")


def test_a_reply_to_a_customer_without_email_is_recorded_as_failed(
    org: Org, smtp: Sink, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    ticket = make_ticket(phone="13800000000")

    _reply(ticket, org, django_capture_on_commit_callbacks)

    outbound = OutboundEmail.objects.get()
    assert (outbound.status, outbound.last_error) == (
        DeliveryStatus.FAILED,
        gettext("The customer has no email address."),
    )
    assert smtp.received == []


def test_a_reply_by_another_channel_sends_no_mail(
    org: Org, smtp: Sink, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    ticket = make_ticket(email="wangfang@example.cn", phone="13800000000")

    _reply(ticket, org, django_capture_on_commit_callbacks, channel=Channel.PHONE)

    assert OutboundEmail.objects.count() == 0
    assert smtp.received == []
