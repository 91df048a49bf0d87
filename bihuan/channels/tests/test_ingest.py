"""Ingesting mail through the one entry point: exactly once, threaded, trusted or held."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import timezone

from bihuan.channels.choices import DeliveryStatus, HoldReason, InboundStatus
from bihuan.channels.email.message_ids import make_message_id
from bihuan.channels.models import (
    EmailAttachment,
    InboundEmail,
    Mailbox,
    OutboundEmail,
    QuarantinedEmail,
)
from bihuan.channels.services import MailCursor, ingest_email, reprocess_quarantined_email
from bihuan.channels.tests.mail import build_mail, corpus, corpus_names
from bihuan.core.models import Event
from bihuan.testing.factories import make_ticket
from bihuan.tickets.choices import Channel, MessageKind, TicketStatus
from bihuan.tickets.models import Message, Ticket
from conftest import Org

pytestmark = pytest.mark.django_db


def _mailbox(org: Org) -> Mailbox:
    return Mailbox.objects.create(
        name="售前", address="support@shop.example.cn", team=org.presales, created_at=timezone.now()
    )


def test_new_mail_opens_a_ticket_in_the_mailbox_queue(org: Org) -> None:
    mailbox = _mailbox(org)

    result = ingest_email(corpus("gmail_zh_new.eml"), mailbox=mailbox)

    ticket = Ticket.objects.get()
    assert result.line() == str(ticket.pk)
    assert (ticket.subject, ticket.channel, ticket.team_id) == (
        "空气净化器开机报E3错误",
        Channel.EMAIL,
        org.presales.pk,
    )
    assert ticket.department_id == org.service.pk
    message = ticket.messages.get()
    assert message.body.startswith("你好，\n\n我在贵店买的空气净化器")
    inbound = InboundEmail.objects.get()
    assert (inbound.status, inbound.ticket_id, inbound.ticket_message_id) == (
        InboundStatus.ON_TICKET,
        ticket.pk,
        message.pk,
    )
    assert ticket.customer.identities.get().value == "wangfang.sh@gmail.com"
    assert inbound.raw.read().startswith(b"Delivered-To: support@shop.example.cn")


def test_the_same_mail_twice_lands_once_with_the_same_ticket_number(org: Org) -> None:
    first = ingest_email(corpus("gmail_zh_new.eml"))
    events = Event.objects.count()

    again = ingest_email(corpus("gmail_zh_new.eml"))

    assert again.line() == first.line()
    assert again.is_duplicate is True
    assert (Ticket.objects.count(), Message.objects.count(), InboundEmail.objects.count()) == (
        1,
        1,
        1,
    )
    assert Event.objects.count() == events


def test_a_mail_to_two_of_our_mailboxes_lands_once(org: Org) -> None:
    raw = build_mail(to="support@shop.example.cn, sales@shop.example.cn")
    support = _mailbox(org)
    sales = Mailbox.objects.create(
        name="销售", address="sales@shop.example.cn", team=org.complaints, created_at=timezone.now()
    )

    first = ingest_email(b"Delivered-To: support@shop.example.cn\r\n" + raw, mailbox=support)
    second = ingest_email(b"Delivered-To: sales@shop.example.cn\r\n" + raw, mailbox=sales)

    assert second.ticket_number == first.ticket_number
    assert Ticket.objects.count() == 1


def test_reply_quoting_our_message_id_threads_into_the_open_ticket(org: Org) -> None:
    ticket = make_ticket(email="wangfang@example.cn")
    reply = build_mail(
        subject="Re: 订单还没发货",
        body=(
            "单号是 SF123。\n\n"
            "在 2026年11月22日 10:00，客服 <support@shop.example.cn> 写道：\n> 请提供单号"
        ),
        message_id="<reply-0001@example.cn>",
        in_reply_to=make_message_id(ticket.pk),
    )

    result = ingest_email(reply)

    assert result.line() == str(ticket.pk)
    message = ticket.messages.order_by("id").last()
    assert message is not None
    assert (message.kind, message.body, message.channel) == (
        MessageKind.CUSTOMER,
        "单号是 SF123。",
        Channel.EMAIL,
    )
    assert "请提供单号" in InboundEmail.objects.get().text


def test_reply_to_an_earlier_inbound_mail_threads_by_references(org: Org) -> None:
    first = ingest_email(build_mail(message_id="<m1@example.cn>"))

    second = ingest_email(
        build_mail(
            subject="补充",
            body="还有一个问题",
            message_id="<m2@example.cn>",
            references="<m1@example.cn>",
        )
    )

    assert second.ticket_number == first.ticket_number
    assert Message.objects.filter(ticket_id=second.ticket_number or 0).count() == 2


def test_subject_ticket_number_threads_when_references_are_missing(org: Org) -> None:
    ticket = make_ticket(email="wangfang@example.cn")

    result = ingest_email(
        build_mail(subject=f"Re: 订单还没发货 [#{ticket.pk}]", message_id="<s1@x>")
    )

    assert result.ticket_number == ticket.pk
    assert ticket.messages.count() == 2


def test_a_new_subject_from_a_known_customer_opens_a_new_ticket(org: Org) -> None:
    ticket = make_ticket(email="wangfang@example.cn")

    result = ingest_email(build_mail(subject="另一个问题：发票", message_id="<n1@x>"))

    assert result.ticket_number != ticket.pk
    assert Ticket.objects.get(pk=result.ticket_number or 0).customer_id == ticket.customer_id


def test_reply_on_a_solved_ticket_reopens_it_and_on_a_closed_one_opens_a_new_ticket(
    org: Org,
) -> None:
    solved = make_ticket(email="wangfang@example.cn")
    Ticket.objects.filter(pk=solved.pk).update(status=TicketStatus.SOLVED)
    closed = make_ticket(email="wangfang@example.cn", subject="旧问题")
    Ticket.objects.filter(pk=closed.pk).update(status=TicketStatus.CLOSED)

    reopened = ingest_email(build_mail(subject=f"[#{solved.pk}] 还是不行", message_id="<r1@x>"))
    fresh = ingest_email(build_mail(subject=f"[#{closed.pk}] 又坏了", message_id="<r2@x>"))

    assert reopened.ticket_number == solved.pk
    solved.refresh_from_db()
    assert solved.status == TicketStatus.OPEN
    assert fresh.ticket_number not in {solved.pk, closed.pk}
    assert Ticket.objects.get(pk=fresh.ticket_number or 0).subject == "又坏了"


def test_a_stranger_quoting_a_ticket_is_held_never_shown_as_the_customer(org: Org) -> None:
    ticket = make_ticket(email="wangfang@example.cn")
    messages = Message.objects.count()

    result = ingest_email(
        build_mail(
            sender="Mallory <mallory@evil.example>",
            subject=f"Re: [#{ticket.pk}] 订单还没发货",
            message_id="<evil-1@evil.example>",
            in_reply_to=make_message_id(ticket.pk),
        )
    )

    assert result.line() == f"{ticket.pk} held: unknown_sender"
    assert Message.objects.count() == messages
    held = InboundEmail.objects.get()
    assert (held.status, held.hold_reason, held.ticket_id) == (
        InboundStatus.HELD,
        HoldReason.UNKNOWN_SENDER,
        ticket.pk,
    )
    event = Event.objects.filter(verb="email.held").get()
    assert (event.ticket_id, event.data["from"]) == (ticket.pk, "mallory@evil.example")


def test_a_crafted_from_header_is_held_and_never_linked_to_a_customer(org: Org) -> None:
    ticket = make_ticket(email="vip.customer@example.org")
    raw = corpus("crafted_from.eml").replace(b"[#1]", f"[#{ticket.pk}]".encode())

    result = ingest_email(raw)

    assert result.line() == f"{ticket.pk} held: unverified_sender"
    assert Ticket.objects.count() == 1
    assert Message.objects.count() == 1
    assert InboundEmail.objects.get().from_address == "vip.customer@example.org"


def test_auto_replies_never_open_tickets_or_reach_the_ticket_as_a_customer_message(
    org: Org,
) -> None:
    ticket = make_ticket(email="sarah.kim@example.com")

    unthreaded = ingest_email(corpus("auto_reply_outlook_zh.eml"))
    threaded = ingest_email(
        corpus("auto_reply_out_of_office.eml").replace(
            b"Subject: Out of Office: order 5521",
            f"Subject: Out of Office: [#{ticket.pk}]".encode(),
        )
    )

    assert unthreaded.line() == "automatic: auto_reply"
    assert threaded.line() == f"{ticket.pk} automatic: auto_reply"
    assert Ticket.objects.count() == 1
    assert ticket.messages.count() == 1


def test_mail_from_a_daemon_address_never_opens_a_ticket(org: Org) -> None:
    result = ingest_email(
        build_mail(sender="noreply@notifications.example.com", message_id="<d@x>")
    )

    assert result.line() == "automatic: daemon"
    assert Ticket.objects.count() == 0


def test_a_bounce_of_our_mail_marks_the_delivery_failed(org: Org) -> None:
    ticket = make_ticket(email="nobody@example.invalid")
    message_id = make_message_id(ticket.pk)
    outbound = OutboundEmail.objects.create(
        ticket=ticket,
        message_id=message_id,
        to_address="nobody@example.invalid",
        subject=f"[#{ticket.pk}] Re: 订单还没发货",
        body_text="您好",
        status=DeliveryStatus.SENT,
        created_at=timezone.now(),
    )

    result = ingest_email(
        corpus("bounce_postfix_dsn.eml").replace(b"{OUTBOUND_ID}", message_id.encode())
    )

    assert result.line() == f"{ticket.pk} bounce: bounce"
    outbound.refresh_from_db()
    assert outbound.status == DeliveryStatus.FAILED
    assert outbound.last_error.startswith("X-Postfix; Host or domain name not found.")
    event = Event.objects.get(verb="email.delivery_failed")
    assert (event.ticket_id, event.data["to"]) == (ticket.pk, "nobody@example.invalid")
    assert ticket.messages.count() == 1


def test_attachments_are_stored_and_inline_images_point_at_them(org: Org, media_root: Path) -> None:
    ingest_email(corpus("attachments_rfc2231_inline_image.eml"))

    inbound = InboundEmail.objects.get()
    files = list(EmailAttachment.objects.filter(inbound=inbound).order_by("id"))
    assert [(f.filename, f.size, f.is_stored) for f in files] == [
        ("image.png", 70, True),
        ("发票 2026-11.pdf", 60, True),
        ("对账单.xls", 13, True),
    ]
    assert files[1].file.read().startswith(b"%PDF-1.4")
    assert f'<img src="/mail/attachments/{files[0].pk}/">' in inbound.html
    assert str(media_root) in files[1].file.path


def test_an_attachment_over_the_limit_is_listed_not_stored(org: Org, settings: object) -> None:
    settings.BIHUAN_MAIL_ATTACHMENT_MAX_BYTES = 65  # type: ignore[attr-defined]

    ingest_email(corpus("attachments_rfc2231_inline_image.eml"))

    assert list(EmailAttachment.objects.order_by("id").values_list("filename", "is_stored")) == [
        ("image.png", False),
        ("发票 2026-11.pdf", True),
        ("对账单.xls", True),
    ]


def test_remote_images_in_html_mail_are_not_loaded(org: Org) -> None:
    ingest_email(corpus("outlook_html_only_cp1252.eml"))

    inbound = InboundEmail.objects.get()
    assert inbound.has_remote_images is True
    assert 'data-remote-src="https://tracker.example.net/pixel.gif?u=1"' in inbound.html
    assert "<script" not in inbound.html
    assert "onclick" not in inbound.html
    assert " src=" not in inbound.html


def test_unparsable_mail_is_quarantined_once_and_reprocessable(org: Org) -> None:
    raw = corpus("not_an_email.eml")

    first = ingest_email(raw)
    again = ingest_email(raw)

    assert first.line() == "quarantined: parse_error"
    assert again.line() == "quarantined: parse_error"
    row = QuarantinedEmail.objects.get()
    assert (row.reason, row.attempts, row.size) == ("parse_error", 2, len(raw))
    assert row.raw.read() == raw
    assert InboundEmail.objects.count() == 0
    assert Event.objects.filter(verb="email.quarantined").count() == 1


def test_a_message_over_the_size_limit_is_quarantined_and_the_next_one_goes_through(
    org: Org, settings: object
) -> None:
    settings.BIHUAN_MAIL_MAX_BYTES = 2000  # type: ignore[attr-defined]
    huge = build_mail(body="大" * 5000, message_id="<huge@x>")

    results = [ingest_email(huge), ingest_email(build_mail(message_id="<small@x>"))]

    assert results[0].line() == "quarantined: too_large"
    assert results[1].ticket_number is not None


def test_a_quarantined_message_is_stored_when_reprocessed_after_a_fix(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = build_mail(message_id="<flaky@x>")

    def broken(raw: bytes) -> None:
        raise RuntimeError("parser bug")

    monkeypatch.setattr("bihuan.channels.services.parse_email", broken)
    assert ingest_email(raw).line() == "quarantined: parse_error"
    monkeypatch.undo()

    result = reprocess_quarantined_email(QuarantinedEmail.objects.get(), actor=org.admin)

    assert result.ticket_number == Ticket.objects.get().pk
    row = QuarantinedEmail.objects.get()
    assert row.inbound_id == result.inbound_id
    assert row.reprocessed_at is not None


def test_the_polling_cursor_advances_with_the_stored_message(org: Org) -> None:
    mailbox = _mailbox(org)
    Mailbox.objects.filter(pk=mailbox.pk).update(uidvalidity=7, last_uid=4)
    mailbox.refresh_from_db()

    ingest_email(build_mail(message_id="<c5@x>"), cursor=MailCursor(mailbox, 7, 5))
    ingest_email(corpus("not_an_email.eml"), cursor=MailCursor(mailbox, 7, 6))
    ingest_email(build_mail(message_id="<c5@x>"), cursor=MailCursor(mailbox, 7, 7))

    mailbox.refresh_from_db()
    assert mailbox.last_uid == 7


def test_every_corpus_mail_is_stored_or_quarantined_exactly_once(org: Org) -> None:
    names = corpus_names()

    first = [ingest_email(corpus(n)) for n in names]
    second = [ingest_email(corpus(n)) for n in names]

    assert [r.line() for r in second] == [r.line() for r in first]
    quarantined = [n for n, r in zip(names, first, strict=True) if r.is_quarantined]
    assert quarantined == ["not_an_email.eml"]
    assert InboundEmail.objects.count() == len(names) - 1
    assert QuarantinedEmail.objects.count() == 1
