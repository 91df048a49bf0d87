"""The demo's automatic answers: on for the web form and chat after the demo loads, so a
question sent then is answered from the demo's public articles; gone when the demo is."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction

from bihuan.accounts.models import User
from bihuan.core.models import Event
from bihuan.core.runner import Runner
from bihuan.customers.models import Customer
from bihuan.demo.auto_answer_setup import delete_auto_answer_setup, set_up_auto_answers
from bihuan.demo.conversation import Cast
from bihuan.demo.generate import delete_demo, load_demo
from bihuan.knowledge.choices import AutoAnswerOutcome, SkipReason
from bihuan.knowledge.models import AutoAnswer, AutoAnswerChannel
from bihuan.tickets import services as ticket_services
from bihuan.tickets.choices import TicketStatus
from bihuan.tickets.models import Ticket

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 6, 16, 15, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def demo(db: None) -> Iterator[Cast]:
    with transaction.atomic():
        load_demo(now=NOW)
        users: dict[str, Any] = {u.username: u for u in User.objects.all()}
        yield Cast(users=users, departments={}, teams={}, categories={})
        transaction.set_rollback(True)


def _ask(subject: str, body: str, channel: str) -> Ticket:
    customer = Customer.objects.order_by("pk").first()
    return ticket_services.create_ticket(
        ticket_services.NewTicket(subject=subject, body=body, channel=channel, customer=customer),
        actor=None,
    )


def test_after_the_demo_loads_web_and_chat_questions_are_answered(demo: Cast) -> None:
    ticket_ids = list(Ticket.objects.order_by("pk").values_list("pk", flat=True))
    # The demo loader may run this set-up itself (then this call finds it done).
    before = AutoAnswerChannel.objects.count()

    counts = set_up_auto_answers(demo, ticket_ids)
    again = set_up_auto_answers(demo, ticket_ids)
    invoice = _ask("发票怎么开", "请问订单的发票怎么开具？", "web")
    address = _ask("修改收货地址", "下单后还能修改收货地址吗？", "chat")
    by_mail = _ask("发票怎么开", "请问订单的发票怎么开具？", "email")
    Runner().run_until_idle()

    assert counts == {"channels with automatic answers": 2 - before}
    assert again == {"channels with automatic answers": 0}
    assert sorted(AutoAnswerChannel.objects.values_list("channel", "is_enabled")) == [
        ("chat", True),
        ("web", True),
    ]
    answered = AutoAnswer.objects.select_related("article", "ticket").get(ticket=invoice)
    assert answered.outcome == AutoAnswerOutcome.ANSWERED
    assert answered.article is not None
    assert answered.article.title == "如何开具发票"
    assert answered.ticket.status == TicketStatus.PENDING_CUSTOMER
    skipped = AutoAnswer.objects.get(ticket=address)
    assert (skipped.outcome, skipped.reason) == (AutoAnswerOutcome.SKIPPED, SkipReason.NO_ANSWER)
    assert not AutoAnswer.objects.filter(ticket=by_mail).exists()

    delete_auto_answer_setup()
    delete_demo()

    assert not AutoAnswerChannel.objects.exists()
    assert not AutoAnswer.objects.exists()
    assert not Event.objects.filter(verb__startswith="knowledge.auto_answer").exists()
