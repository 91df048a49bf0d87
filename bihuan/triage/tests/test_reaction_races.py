"""Triage is a background reaction: it runs later than the change it reacts to, maybe twice,
maybe alongside an agent. It never overwrites what the agent did, and decides once."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, transaction

from bihuan.core.models import Reaction, WorkState
from bihuan.core.runner import Runner
from bihuan.testing.factories import make_ticket
from bihuan.tickets import services as tickets
from bihuan.tickets.models import Category
from bihuan.triage import services
from bihuan.triage.models import TriageDecision
from bihuan.triage.services import install_default_rules


@pytest.fixture
def categories(settings: Any) -> dict[str, Category]:
    # Reactions wait in the database until a runner takes them, as in production.
    settings.BIHUAN_REACTIONS_INLINE = False
    refund = Category.objects.create(name="退款/退货")
    logistics = Category.objects.create(name="物流/配送")
    install_default_rules()
    return {"refund": refund, "logistics": logistics}


def test_triage_never_overwrites_a_field_an_agent_changed_after_the_event(
    org: Any, categories: dict[str, Category]
) -> None:
    ticket = make_ticket(subject="申请退款", body="我要申请退款，质量太差了", team=org.presales)
    tickets.update_ticket(
        ticket, tickets.TicketChanges(category=categories["logistics"]), actor=org.agent
    )

    Runner().run_until_idle()

    ticket.refresh_from_db()
    assert ticket.category == categories["logistics"]
    decision = TriageDecision.objects.get(ticket=ticket, field="category")
    assert decision.value == str(categories["refund"].pk)
    assert not decision.is_applied
    assert not Reaction.objects.exclude(state=WorkState.DONE).exists()


def test_a_message_is_decided_once_per_field_even_when_its_reaction_runs_twice(
    org: Any, categories: dict[str, Category]
) -> None:
    ticket = make_ticket(subject="申请退款", body="我要申请退款", team=org.presales)
    Runner().run_until_idle()
    message = ticket.messages.get()
    decided = TriageDecision.objects.filter(message=message).count()

    # The reaction handed out again (a worker died after its work, before marking it done).
    Reaction.objects.update(state=WorkState.PENDING, claimed_by="")
    Runner().run_until_idle()

    assert decided >= 3
    assert TriageDecision.objects.filter(message=message).count() == decided
    first = TriageDecision.objects.filter(message=message).first()
    assert first is not None
    with pytest.raises(IntegrityError), transaction.atomic():
        TriageDecision.objects.create(
            ticket=ticket,
            message=message,
            field=first.field,
            value=first.value,
            confidence=0.5,
            source=first.source,
            created_at=first.created_at,
        )


def test_new_messages_are_triaged_in_one_batch(
    org: Any, categories: dict[str, Category], monkeypatch: pytest.MonkeyPatch
) -> None:
    batches: list[int] = []
    real = services.triage_messages

    def counted(batch: list[services.MessageToTriage]) -> list[services.TriageOutcome]:
        batches.append(len(batch))
        return real(batch)

    monkeypatch.setattr(services, "triage_messages", counted)
    created = [
        make_ticket(subject=f"申请退款 {n}", body="我要申请退款", team=org.presales)
        for n in range(5)
    ]

    Runner().run_until_idle()

    assert batches == [5]
    assert TriageDecision.objects.filter(ticket__in=created, field="category").count() == 5
