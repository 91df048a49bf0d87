"""The LMTP receiver through real LMTP sessions on loopback: 250 only once the mail is stored,
550 5.1.1 at RCPT TO for an address that is none of our mailboxes."""

from __future__ import annotations

import asyncio
import smtplib
import threading
from collections.abc import Iterator

import pytest
from django.db import OperationalError
from django.utils import timezone

from bihuan.accounts.models import Team
from bihuan.channels.email import lmtp
from bihuan.channels.models import InboundEmail, Mailbox
from bihuan.channels.tests.dovecot import free_port
from bihuan.channels.tests.mail import build_mail
from bihuan.tickets.models import Ticket
from conftest import Org


@pytest.fixture
def lmtp_port(transactional_db: None) -> Iterator[int]:
    port = free_port()
    loop = asyncio.new_event_loop()
    started = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        server = loop.run_until_complete(
            lmtp.serve(host="127.0.0.1", port=port, data_size_limit=1_000_000)
        )
        started.set()
        loop.run_forever()
        server.close()
        loop.run_until_complete(server.wait_closed())
        loop.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert started.wait(10)
    yield port
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


def _mailbox(address: str, *, team: Team | None = None, is_active: bool = True) -> Mailbox:
    return Mailbox.objects.create(
        name=address.split("@")[0],
        address=address,
        team=team,
        is_active=is_active,
        created_at=timezone.now(),
    )


def _session(
    port: int, raw: bytes, recipients: list[str]
) -> tuple[list[tuple[int, bytes]], list[tuple[int, bytes]]]:
    """One LMTP transaction: the RCPT replies, then one DATA reply per accepted recipient."""
    client = smtplib.LMTP("127.0.0.1", port)
    try:
        client.ehlo_or_helo_if_needed()
        client.mail("sender@example.cn")
        rcpt = [client.rcpt(recipient) for recipient in recipients]
        accepted = sum(1 for code, _text in rcpt if code == 250)
        if not accepted:
            return rcpt, []
        replies = [client.data(raw)]
        replies += [client.getreply() for _ in range(accepted - 1)]  # LMTP: one per recipient
        return rcpt, replies
    finally:
        client.quit()


def _deliver(port: int, raw: bytes, recipients: list[str]) -> list[tuple[int, bytes]]:
    rcpt, replies = _session(port, raw, recipients)
    assert [code for code, _text in rcpt] == [250] * len(recipients)
    return replies


def test_lmtp_answers_each_recipient_after_the_mail_is_stored(lmtp_port: int, org: Org) -> None:
    _mailbox("support@shop.example.cn", team=org.presales)
    _mailbox("sales@shop.example.cn", team=org.complaints)
    raw = build_mail(to="support@shop.example.cn, sales@shop.example.cn")

    replies = _deliver(lmtp_port, raw, ["support@shop.example.cn", "sales@shop.example.cn"])

    ticket = Ticket.objects.get()
    assert replies == [(250, f"2.0.0 {ticket.pk}".encode())] * 2
    assert ticket.team_id == org.presales.pk
    assert InboundEmail.objects.count() == 1


def test_lmtp_refuses_an_address_that_is_none_of_our_mailboxes_at_rcpt_time(
    lmtp_port: int, org: Org
) -> None:
    _mailbox("support@shop.example.cn")
    _mailbox("old@shop.example.cn", is_active=False)

    rcpt, replies = _session(
        lmtp_port,
        build_mail(),
        ["nobody@shop.example.cn", "old@shop.example.cn", "someone@elsewhere.example"],
    )

    assert rcpt == [(550, b"5.1.1 No such mailbox here")] * 3
    assert replies == []
    assert InboundEmail.objects.count() == 0
    assert Ticket.objects.count() == 0


def test_a_message_to_several_recipients_lands_once_and_strangers_are_refused(
    lmtp_port: int, org: Org
) -> None:
    _mailbox("support@shop.example.cn", team=org.presales)
    _mailbox("Sales@Shop.example.cn", team=org.complaints)
    recipients = ["support@shop.example.cn", "nobody@shop.example.cn", "SALES@shop.example.cn"]

    rcpt, replies = _session(lmtp_port, build_mail(message_id="<several@x>"), recipients)

    ticket = Ticket.objects.get()
    assert [code for code, _text in rcpt] == [250, 550, 250]
    assert replies == [(250, f"2.0.0 {ticket.pk}".encode())] * 2
    assert InboundEmail.objects.count() == 1
    assert ticket.messages.count() == 1


def test_lmtp_delivery_repeated_by_the_mail_server_lands_once(lmtp_port: int, org: Org) -> None:
    _mailbox("support@shop.example.cn")
    raw = build_mail(message_id="<retry@x>")

    first = _deliver(lmtp_port, raw, ["support@shop.example.cn"])
    again = _deliver(lmtp_port, raw, ["support@shop.example.cn"])

    assert again == first
    assert InboundEmail.objects.count() == 1


def test_lmtp_answers_451_and_stores_nothing_when_the_database_fails(
    lmtp_port: int, org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    def database_down(raw: bytes, **kwargs: object) -> None:
        raise OperationalError("database is locked")

    _mailbox("a@shop.example.cn")
    _mailbox("b@shop.example.cn")
    monkeypatch.setattr(lmtp, "ingest_email", database_down)

    replies = _deliver(lmtp_port, build_mail(), ["a@shop.example.cn", "b@shop.example.cn"])

    assert [code for code, _text in replies] == [451, 451]
    assert InboundEmail.objects.count() == 0
    assert Ticket.objects.count() == 0


def test_lmtp_answers_451_at_rcpt_when_the_recipient_cannot_be_looked_up(
    lmtp_port: int, org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    def database_down(address: str) -> bool:
        raise OperationalError("database is locked")

    monkeypatch.setattr(lmtp, "_is_our_mailbox", database_down)

    rcpt, replies = _session(lmtp_port, build_mail(), ["support@shop.example.cn"])

    assert rcpt == [(451, b"4.3.0 Temporary failure, try again later")]
    assert (replies, InboundEmail.objects.count()) == ([], 0)
