"""The accuracy page tells apart held-out accuracy and corrections; reasons are readable."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from bihuan.testing.factories import make_ticket
from bihuan.triage.models import ModelVersion, TriageDecision
from bihuan.triage.reasons import readable_reasons

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _decision(ticket: Any, *, corrected: bool, reasons: list[str] | None = None) -> None:
    now = timezone.now()
    TriageDecision.objects.create(
        ticket=ticket,
        field="category",
        value="1",
        confidence=0.9,
        source="model",
        reasons=reasons or [],
        is_applied=True,
        created_at=now,
        corrected_value="2" if corrected else "",
        corrected_at=now if corrected else None,
    )


def test_the_accuracy_page_shows_held_out_accuracy_and_the_correction_rate(org: Any) -> None:
    ticket = make_ticket(team=org.presales)
    TriageDecision.objects.all().delete()
    for corrected in (True, False, False, False):
        _decision(ticket, corrected=corrected)
    ModelVersion.objects.create(
        field="category",
        version="category-v1",
        path="/nowhere",
        trained_at=timezone.now(),
        sample_count=500,
        metrics={"accuracy": 1.0, "macro_f1": 1.0, "held_out": 100},
        is_active=True,
    )

    html = _client(org.supervisor).get("/triage/accuracy/").content.decode()

    held = html.index('data-testid="held-out-category"')
    assert html[held : held + 60].split(">")[1].startswith("100 %")
    rate = html.index('data-testid="correction-category"')
    assert html[rate : rate + 60].split(">")[1].startswith("25 %")
    assert "category-v1" in html
    assert 'data-testid="disagree-category"' in html
    assert "留出准确率" in html


def test_reasons_are_at_most_five_words_without_stop_words_or_single_characters() -> None:
    terms = [
        "下",
        "午",
        "我",
        "?",
        "的",
        "退款",
        "the",
        "坏了",
        "refund",
        "申请",
        "物流",
        "快递",
        "发票",
    ]

    assert readable_reasons(terms) == ["退款", "坏了", "refund", "申请", "物流"]


def test_the_ticket_panel_hides_stop_words_of_decisions_stored_before(org: Any) -> None:
    ticket = make_ticket(team=org.presales)
    TriageDecision.objects.filter(ticket=ticket).delete()
    _decision(ticket, corrected=False, reasons=["下", "午", "我", "?", "退款"])

    html = _client(org.agent).get(f"/triage/tickets/{ticket.pk}/panel/").content.decode()

    start = html.index('data-testid="reasons"')
    line = html[start : html.index("</div>", start)]
    assert "退款" in line
    for noise in ("下", "午", "我", "?"):
        assert noise not in line.split(":", 1)[1]
