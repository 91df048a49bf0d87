"""The rule editor with its preview, the accuracy view and the ticket's triage panel."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from bihuan.testing.factories import make_ticket
from bihuan.tickets.models import Category
from bihuan.triage.models import TriageRule
from bihuan.triage.services import install_default_rules

pytestmark = pytest.mark.django_db(transaction=True)


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _rule_data(**extra: Any) -> dict[str, Any]:
    data = {
        "name": "发票",
        "field": "kind",
        "kind_value": "request",
        "language": "any",
        "patterns": "发票\n开票",
        "weight": "1.0",
        "is_active": "on",
        "position": "0",
    }
    data.update(extra)
    return data


def test_preview_shows_how_recent_tickets_would_change_and_saves_nothing(org: Any) -> None:
    make_ticket(subject="开票问题", body="请帮我开具增值税发票", team=org.presales)
    make_ticket(subject="物流", body="快递没到", team=org.presales)
    client = _client(org.admin)

    response = client.post(
        "/triage/rules/new/", {**_rule_data(), "action": "preview"}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "开票问题" in html
    assert "需求" in html
    assert "table-warning" in html
    assert TriageRule.objects.count() == 0


def test_an_admin_saves_a_rule_and_a_bad_pattern_is_refused(org: Any) -> None:
    client = _client(org.admin)

    bad = client.post("/triage/rules/new/", {**_rule_data(patterns="re:(["), "action": "save"})
    good = client.post("/triage/rules/new/", {**_rule_data(), "action": "save"})

    assert bad.status_code == 422
    assert TriageRule.objects.filter(name="发票").count() == 1
    assert good.status_code == 302


def test_agents_cannot_see_or_edit_rules(org: Any) -> None:
    Category.objects.create(name="退款/退货")
    install_default_rules()
    rule = TriageRule.objects.first()
    assert rule is not None
    client = _client(org.agent)

    assert client.get("/triage/rules/").status_code == 404
    assert client.get(f"/triage/rules/{rule.pk}/").status_code == 404
    assert client.post(f"/triage/rules/{rule.pk}/", _rule_data()).status_code == 404
    rule.refresh_from_db()
    assert rule.name != "发票"


def test_the_accuracy_view_counts_decisions_and_corrections(org: Any) -> None:
    Category.objects.create(name="退款/退货")
    install_default_rules()
    make_ticket(subject="申请退款", body="我要退款", team=org.presales)

    response = _client(org.supervisor).get("/triage/accuracy/")

    assert response.status_code == 200
    assert "accuracy-table" in response.content.decode()
    assert _client(org.agent).get("/triage/accuracy/").status_code == 404


def test_the_ticket_panel_shows_decisions_with_their_reasons(org: Any) -> None:
    Category.objects.create(name="退款/退货")
    install_default_rules()
    ticket = make_ticket(subject="申请退款", body="我要申请退款", team=org.presales)

    response = _client(org.agent).get(f"/triage/tickets/{ticket.pk}/panel/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "退款/退货" in html
    assert "退款" in html
    assert _client(org.other_agent).get(f"/triage/tickets/{ticket.pk}/panel/").status_code == 404
