"""The demo's email conversations (bihuan/demo/email_setup.py), set up after the demo loads:
real mails through the real ingestion, threaded, folded, with their files; removed again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction

from bihuan.accounts.models import Department, Team, User
from bihuan.channels.choices import InboundStatus
from bihuan.channels.models import EmailAttachment, InboundEmail, Mailbox, OutboundEmail
from bihuan.customers.models import Customer
from bihuan.demo.conversation import Cast
from bihuan.demo.email_setup import (
    CUSTOMER_ADDRESSES,
    MAILBOX_ADDRESS,
    delete_email_setup,
    set_up_email,
)
from bihuan.demo.generate import DemoResult, load_demo
from bihuan.demo.material import organisation as org
from bihuan.tickets.choices import Channel, MessageKind
from bihuan.tickets.models import Ticket

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 6, 16, 15, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[DemoResult]:
    """The demo, loaded once for this module (a load takes tens of seconds), rolled back."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield load_demo(now=NOW)
        transaction.set_rollback(True)


def _cast() -> Cast:
    """The demo organisation as ``load_demo`` saved it."""
    return Cast(
        users={
            u.username: u for u in User.objects.filter(username__in=[m.username for m in org.STAFF])
        },
        departments={d.name: d for d in Department.objects.filter(name__in=org.DEPARTMENTS)},
        teams={t.name: t for t in Team.objects.filter(name__in=list(org.TEAMS))},
        categories={},
    )


def test_the_demo_gets_email_conversations_with_quoted_history_and_files(
    demo: DemoResult,
) -> None:
    demo_tickets = list(Ticket.objects.values_list("pk", flat=True))

    counts = set_up_email(_cast(), demo_tickets)

    assert counts == {"email conversations": 4, "inbound emails": 7}
    mailbox = Mailbox.objects.get(address=MAILBOX_ADDRESS)
    assert mailbox.team is not None
    assert mailbox.team.name == org.AFTER_SALES_SERVICE
    tickets = list(Ticket.objects.exclude(pk__in=demo_tickets).order_by("pk"))
    assert [(t.subject, t.channel) for t in tickets] == [
        ("空气净化器开机报E3错误", Channel.EMAIL),
        ("申请开具增值税专用发票", Channel.EMAIL),
        ("CleanAir 300 批量采购询价", Channel.EMAIL),
        ("Wrong size delivered – order 20251130-7714", Channel.EMAIL),
    ]
    assert set(InboundEmail.objects.values_list("status", flat=True)) == {InboundStatus.ON_TICKET}
    purifier = tickets[0]
    assert [m.kind for m in purifier.messages.order_by("id")] == [
        MessageKind.CUSTOMER,
        MessageKind.REPLY,
        MessageKind.CUSTOMER,
    ]
    answer = purifier.messages.order_by("id").last()
    assert answer is not None
    assert answer.body.startswith("复位之后还是 E3")
    assert "发件人" not in answer.body  # Foxmail's quoted block is folded away…
    kept = InboundEmail.objects.get(ticket_message=answer)
    assert "E3 是风机转速传感器的报警" in kept.text  # …and kept in the full text
    invoice_answer = tickets[1].messages.order_by("id").last()
    assert invoice_answer is not None
    assert invoice_answer.body == "好的，收到，谢谢！"
    assert tickets[2].messages.count() == 2  # Outlook's correction threads onto the request
    assert tickets[3].messages.get().body.endswith("Thanks,\nEmma")
    files = sorted(EmailAttachment.objects.values_list("filename", "content_type", "is_stored"))
    assert files == [
        ("E3故障照片.png", "image/png", True),
        ("开票信息.pdf", "application/pdf", True),
    ]
    assert OutboundEmail.objects.filter(ticket__in=tickets).count() == 2


def test_deleting_the_email_setup_removes_what_it_added_and_nothing_else(
    demo: DemoResult,
) -> None:
    demo_tickets = set(Ticket.objects.values_list("pk", flat=True))
    customers = Customer.objects.count()
    set_up_email(_cast(), list(demo_tickets))

    delete_email_setup()

    assert set(Ticket.objects.values_list("pk", flat=True)) == demo_tickets
    assert Customer.objects.count() == customers
    assert not Customer.objects.filter(identities__value__in=CUSTOMER_ADDRESSES).exists()
    assert (InboundEmail.objects.count(), OutboundEmail.objects.count()) == (0, 0)
    assert not Mailbox.objects.exists()
