"""The LMTP receiver through real LMTP sessions on loopback: 250 only once the mail is stored."""

from __future__ import annotations

import asyncio
import smtplib
import threading
from collections.abc import Iterator

import pytest
from django.db import OperationalError
from django.utils import timezone

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


def _deliver(port: int, raw: bytes, recipients: list[str]) -> list[tuple[int, bytes]]:
    client = smtplib.LMTP("127.0.0.1", port)
    try:
        client.ehlo_or_helo_if_needed()
        client.mail("sender@example.cn")
        for recipient in recipients:
            assert client.rcpt(recipient)[0] == 250
        replies = [client.data(raw)]
        replies += [client.getreply() for _ in recipients[1:]]  # LMTP: one per recipient
        return replies
    finally:
        client.quit()


def test_lmtp_answers_each_recipient_after_the_mail_is_stored(lmtp_port: int, org: Org) -> None:
    Mailbox.objects.create(
        name="售前", address="support@shop.example.cn", team=org.presales, created_at=timezone.now()
    )
    raw = build_mail(to="support@shop.example.cn, sales@shop.example.cn")

    replies = _deliver(lmtp_port, raw, ["support@shop.example.cn", "sales@shop.example.cn"])

    ticket = Ticket.objects.get()
    assert replies == [(250, f"2.0.0 {ticket.pk}".encode())] * 2
    assert ticket.team_id == org.presales.pk


def test_lmtp_delivery_repeated_by_the_mail_server_lands_once(lmtp_port: int, org: Org) -> None:
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

    monkeypatch.setattr(lmtp, "ingest_email", database_down)

    replies = _deliver(lmtp_port, build_mail(), ["a@shop.example.cn", "b@shop.example.cn"])

    assert [code for code, _text in replies] == [451, 451]
    assert InboundEmail.objects.count() == 0
    assert Ticket.objects.count() == 0
