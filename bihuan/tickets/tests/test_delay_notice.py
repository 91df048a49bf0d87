"""The delay notice: moving a commitment's due time needs a reason, records an event and tells
the customer the new date by a reply on the ticket's channel."""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine
from django.utils import translation

from bihuan.core.errors import Conflict, ValidationFailed
from bihuan.core.models import Event
from bihuan.testing.factories import make_ticket
from bihuan.tickets import commitments, services
from bihuan.tickets.choices import Channel, MessageKind
from bihuan.tickets.models import Commitment
from conftest import Org
from tests.security.state import db_state

pytestmark = pytest.mark.django_db
NOW = datetime.fromisoformat("2026-03-02T10:00+08:00")
DUE = datetime.fromisoformat("2026-03-03T15:00+08:00")
LATER = datetime.fromisoformat("2026-03-05T18:00+08:00")


@pytest.fixture(autouse=True)
def frozen() -> object:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def promised(org: Org) -> Commitment:
    ticket = make_ticket(team=org.presales, channel=Channel.WECHAT)
    return services.add_commitment(ticket, description="退款到账", due_at=DUE, actor=org.agent)


def test_moving_a_commitment_tells_the_customer_the_new_date(org: Org) -> None:
    commitment = promised(org)

    with translation.override("en"):
        commitments.move_commitment(
            commitment, due_at=LATER, reason="the bank needs two more days", actor=org.agent
        )

    commitment.refresh_from_db()
    assert commitment.due_at == LATER
    reply = commitment.ticket.messages.get(kind=MessageKind.REPLY)
    assert reply.channel == Channel.WECHAT
    assert "the bank needs two more days" in reply.body
    assert "2026-03-05 18:00" in reply.body
    event = Event.objects.get(verb="ticket.commitment_moved")
    assert event.data == {
        "commitment": commitment.pk,
        "description": "退款到账",
        "from": "2026-03-03T07:00:00+00:00",  # as stored (UTC)
        "due_at": LATER.isoformat(),
        "reason": "the bank needs two more days",
        "message": reply.pk,
    }


@pytest.mark.parametrize(
    ("reason", "due_at"),
    [
        ("", LATER),
        ("   ", LATER),
        ("银行延迟", datetime.fromisoformat("2026-03-01T10:00+08:00")),
        ("银行延迟", DUE),
        ("银行延迟", datetime.fromisoformat("2200-01-01T10:00+08:00")),
    ],
)
def test_a_move_without_a_reason_or_a_new_future_date_changes_nothing(
    org: Org, reason: str, due_at: datetime
) -> None:
    commitment = promised(org)
    before = db_state()

    with pytest.raises(ValidationFailed):
        commitments.move_commitment(commitment, due_at=due_at, reason=reason, actor=org.agent)

    assert db_state() == before


def test_a_kept_commitment_cannot_be_moved(org: Org) -> None:
    commitment = promised(org)
    services.complete_commitment(commitment, actor=org.agent)
    before = db_state()

    with pytest.raises(Conflict):
        commitments.move_commitment(commitment, due_at=LATER, reason="延迟", actor=org.agent)

    assert db_state() == before
