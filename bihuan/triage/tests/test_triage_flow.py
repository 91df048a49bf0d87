"""Every new ticket and customer message carries its triage decision; people have the last
word, and their corrections are recorded."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from bihuan.core.models import Event
from bihuan.testing.factories import make_ticket
from bihuan.tickets import services as tickets
from bihuan.tickets.models import Category, Ticket
from bihuan.triage.models import TriageDecision
from bihuan.triage.services import install_default_rules

# Triage runs after commit, so these tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def categories() -> dict[str, Category]:
    refund = Category.objects.create(name="退款/退货")
    logistics = Category.objects.create(name="物流/配送")
    lost = Category.objects.create(name="快递丢件", parent=logistics)
    install_default_rules()
    return {"refund": refund, "logistics": logistics, "lost": lost}


def test_a_new_ticket_gets_category_type_urgency_and_emotion(org: Any, categories: Any) -> None:
    ticket = make_ticket(
        subject="快递显示签收但我没收到",
        body="物流显示已签收，但是我根本没收到包裹，已经第二次了，非常生气，我要投诉！！",
        team=org.presales,
    )

    ticket.refresh_from_db()
    decisions = {d.field: d for d in TriageDecision.objects.filter(ticket=ticket)}
    assert set(decisions) == {"category", "kind", "urgency", "emotion"}
    assert ticket.category == categories["lost"]
    assert ticket.emotion == "angry"
    assert ticket.priority >= 3
    assert decisions["category"].is_applied
    assert "没收到" in decisions["category"].reasons
    update = Event.objects.filter(ticket_id=ticket.pk, verb="ticket.updated").get()
    assert update.actor_id is None
    assert update.data["reason"] == "triage"
    assert update.data["details"]["category"]["source"] in ("rule", "combined")


def test_a_low_confidence_decision_is_only_a_suggestion(org: Any, categories: Any) -> None:
    ticket = make_ticket(subject="你好", body="在吗", team=org.presales)

    ticket.refresh_from_db()
    assert ticket.category is None
    assert not TriageDecision.objects.filter(ticket=ticket, is_applied=True).exists()


def test_explicit_fields_from_the_api_are_never_overridden(org: Any, categories: Any) -> None:
    response = Client().post(
        "/api/v1/tickets",
        data={
            "subject": "申请退款",
            "body": "我要投诉，申请退款，非常生气！！",
            "type": "inquiry",
            "priority": "low",
            "customer": {"phone": "13512345678"},
        },
        content_type="application/json",
        headers={"Authorization": f"Bearer {org.tokens['zhangwei']}"},
    )

    ticket = Ticket.objects.get(pk=response.json()["number"])
    assert (ticket.kind, ticket.priority) == ("inquiry", 1)
    assert ticket.category == categories["refund"]
    kind = TriageDecision.objects.get(ticket=ticket, field="kind")
    assert kind.value == "complaint"
    assert not kind.is_applied


def test_a_later_customer_message_updates_emotion_but_not_the_category(
    org: Any, categories: Any
) -> None:
    ticket = make_ticket(subject="退款进度", body="请问退款什么时候到账", team=org.presales)
    tickets.reply_to_customer(ticket, body="3 个工作日内到账", actor=org.agent)

    tickets.add_customer_message(ticket, body="快递丢件了你们也不管，太过分了，我非常生气！！")

    ticket.refresh_from_db()
    assert ticket.emotion == "angry"
    assert ticket.category == categories["refund"]
    assert TriageDecision.objects.filter(ticket=ticket).exclude(message=None).count() >= 5


def test_an_agent_correction_is_recorded_on_the_decision(org: Any, categories: Any) -> None:
    ticket = make_ticket(subject="申请退款", body="我要申请退款", team=org.presales)
    ticket.refresh_from_db()
    assert ticket.category == categories["refund"]

    tickets.update_ticket(
        ticket, tickets.TicketChanges(category=categories["logistics"]), actor=org.agent
    )

    decision = TriageDecision.objects.get(ticket=ticket, field="category")
    assert decision.corrected_value == str(categories["logistics"].pk)
    assert decision.corrected_by == org.agent
    assert decision.final_value == str(categories["logistics"].pk)


def test_triaging_the_same_message_twice_records_nothing_new(org: Any, categories: Any) -> None:
    from bihuan.triage.services import triage_message

    ticket = make_ticket(subject="申请退款", body="我要申请退款", team=org.presales)
    message = ticket.messages.get()
    before = (TriageDecision.objects.count(), Event.objects.count())

    triage_message(ticket.pk, message_id=message.pk)

    assert (TriageDecision.objects.count(), Event.objects.count()) == before
