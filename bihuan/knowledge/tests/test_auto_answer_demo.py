"""The demo's automatic answers: on for the web form and chat, three inquiries that show each
outcome, and gone again when the demo is deleted."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction

from bihuan.accounts.models import User
from bihuan.core.models import Event
from bihuan.demo.auto_answer_setup import delete_auto_answer_setup, set_up_auto_answers
from bihuan.demo.conversation import Cast
from bihuan.demo.generate import delete_demo, load_demo
from bihuan.knowledge.choices import AutoAnswerOutcome, HandoverReason, SkipReason
from bihuan.knowledge.models import AutoAnswer, AutoAnswerChannel
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


def test_the_demo_answers_two_inquiries_and_leaves_one_to_the_agents(demo: Cast) -> None:
    ticket_ids = list(Ticket.objects.order_by("pk").values_list("pk", flat=True))

    counts = set_up_auto_answers(demo, ticket_ids)
    again = set_up_auto_answers(demo, ticket_ids)

    assert counts == {"automatic answers": 2}
    assert again == {"automatic answers": 0}
    assert sorted(AutoAnswerChannel.objects.values_list("channel", "is_enabled")) == [
        ("chat", True),
        ("web", True),
    ]
    rows = {r.ticket.subject: r for r in AutoAnswer.objects.select_related("ticket", "article")}
    assert rows["发票怎么开"].outcome == AutoAnswerOutcome.ANSWERED
    assert rows["发票怎么开"].article is not None
    assert rows["发票怎么开"].article.title == "如何开具发票"
    assert rows["发票怎么开"].ticket.status == TicketStatus.PENDING_CUSTOMER
    assert rows["退款多久到账"].handover_reason == HandoverReason.NOT_HELPFUL
    assert rows["退款多久到账"].ticket.status == TicketStatus.OPEN
    assert (rows["修改收货地址"].outcome, rows["修改收货地址"].reason) == (
        AutoAnswerOutcome.SKIPPED,
        SkipReason.NO_ANSWER,
    )

    delete_auto_answer_setup()
    delete_demo()

    assert not AutoAnswerChannel.objects.exists()
    assert not AutoAnswer.objects.exists()
    assert not Event.objects.filter(verb__startswith="knowledge.auto_answer").exists()
