"""The register, the ledger and the ticket panel through the pages and the API: hand entries,
scope, internal feedback flagged from a ticket and its conversion, query budgets."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bihuan.core.models import Event
from bihuan.feedback import services
from bihuan.feedback.models import FeedbackEntry, NegativeAnalysis
from bihuan.feedback.tests.conftest import feedback_state
from bihuan.testing.factories import make_ticket

pytestmark = pytest.mark.django_db


def signed_in(user: Any) -> Client:
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(user)
    return client


def test_an_agent_records_a_phone_callback_complaint_which_opens_an_analysis(org: Any) -> None:
    ticket = make_ticket(team=org.presales, phone="13800138000")

    response = signed_in(org.agent).post(
        "/feedback/entries/new/",
        {
            "kind": "complaint",
            "source": "callback",
            "summary": "回访时客户说安装师傅迟到两小时",
            "tickets": f"#{ticket.pk}",
            "product": "空调 KFR-35",
            "emotion": "dissatisfied",
        },
    )

    entry = FeedbackEntry.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/feedback/entries/{entry.pk}/"
    assert (entry.kind, entry.source, entry.is_negative, entry.customer_id) == (
        "complaint",
        "callback",
        True,
        ticket.customer_id,
    )
    assert list(entry.linked_tickets.values_list("pk", flat=True)) == [ticket.pk]
    assert NegativeAnalysis.objects.filter(entry=entry).count() == 1
    page = signed_in(org.agent).get(f"/feedback/entries/{entry.pk}/")
    assert b'data-testid="analysis"' in page.content


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({"kind": "complaint", "source": "callback", "summary": ""}, 422),
        ({"kind": "internal", "source": "callback", "summary": "x"}, 422),
        ({"kind": "praise", "source": "survey", "summary": "x"}, 422),
        ({"kind": "praise", "source": "other", "summary": "x", "tickets": "abc"}, 422),
        ({"kind": "praise", "source": "other", "summary": "x", "tickets": "99999"}, 422),
    ],
)
def test_a_bad_hand_entry_is_refused_and_nothing_is_written(
    org: Any, data: dict[str, str], status: int
) -> None:
    before = feedback_state()

    response = signed_in(org.agent).post(
        "/feedback/entries/new/", data, headers={"Accept": "application/json"}
    )

    assert response.status_code == status
    assert feedback_state() == before


@pytest.mark.django_db(transaction=True)
def test_a_notes_only_role_may_not_record_feedback(org: Any) -> None:
    before = feedback_state()

    page = signed_in(org.tech_member).post(
        "/feedback/entries/new/", {"kind": "praise", "source": "other", "summary": "好"}
    )
    api = org.client("wangqiang").post(
        "/api/v1/feedback/entries", json={"kind": "praise", "source": "other", "summary": "好"}
    )

    assert page.status_code == 302
    assert (api.status_code, api.json()["code"]) == (403, "read_only_role")
    assert feedback_state() == before


@pytest.mark.django_db(transaction=True)
def test_the_register_shows_each_viewer_only_entries_in_scope(org: Any) -> None:
    mine = services.record_entry(
        services.EntryFields(kind="suggestion", summary="希望支持微信支付", source="community"),
        actor=org.agent,
    )
    theirs = services.record_entry(
        services.EntryFields(kind="praise", summary="客服很耐心", source="other"),
        actor=org.other_agent,
    )

    agent = org.client("zhangwei").get("/api/v1/feedback/entries").json()
    supervisor = org.client("supervisor").get("/api/v1/feedback/entries").json()
    hidden = org.client("zhangwei").get(f"/api/v1/feedback/entries/{theirs.pk}")

    assert [e["id"] for e in agent["items"]] == [mine.pk]
    assert [e["id"] for e in supervisor["items"]] == [theirs.pk, mine.pk]
    assert hidden.status_code == 404


def _count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_the_register_and_the_ledger_cost_the_same_queries_with_1_and_50_rows(org: Any) -> None:
    client = signed_in(org.supervisor)
    deadline = timezone.now() + timedelta(days=30)

    def add(n: int) -> None:
        services.record_entry(
            services.EntryFields(kind="complaint", summary=f"投诉{n}", source="callback"),
            actor=org.agent,
        )
        services.open_rectification(
            services.RectificationFields(
                problem=f"问题{n}",
                owner_department=org.tech,
                owner=org.tech_member,
                measures="措施",
                deadline=deadline,
                acceptance_criteria="标准",
            ),
            actor=org.supervisor,
        )

    add(0)
    counts_one = [_count(client, "/feedback/"), _count(client, "/feedback/rectifications/")]
    for n in range(1, 50):
        add(n)
    counts_fifty = [_count(client, "/feedback/"), _count(client, "/feedback/rectifications/")]

    assert counts_one == counts_fifty


@pytest.mark.django_db(transaction=True)
def test_an_agent_flags_internal_feedback_from_the_ticket_page_and_its_conversion_counts(
    org: Any,
) -> None:
    ticket = make_ticket(team=org.presales, subject="“预授权”是什么意思")
    agent = signed_in(org.agent)

    page = agent.get(f"/tickets/{ticket.pk}/")
    flagged = agent.post(
        f"/feedback/tickets/{ticket.pk}/internal/",
        {"topic": "confusing_term", "summary": "客户经常问“预授权”，知识库没有解释"},
    )
    entry = FeedbackEntry.objects.get(kind="internal")
    refused = agent.post(f"/feedback/entries/{entry.pk}/change/", {"note": "加了文章"})
    changed = signed_in(org.supervisor).post(
        f"/feedback/entries/{entry.pk}/change/", {"note": "知识库新增《预授权说明》"}
    )
    report = org.client("supervisor").get("/api/v1/feedback/reports").json()

    assert b'data-testid="feedback-panel"' in page.content
    assert b'data-testid="internal-feedback-form"' in page.content
    assert flagged.status_code == 302
    assert (entry.source, entry.topic, entry.agent_id, entry.is_negative) == (
        "internal",
        "confusing_term",
        org.agent.pk,
        False,
    )
    assert list(entry.linked_tickets.values_list("pk", flat=True)) == [ticket.pk]
    assert refused.status_code == 302  # a plain form: back with the message
    assert changed.status_code == 302
    assert FeedbackEntry.objects.get(pk=entry.pk).change_note == "知识库新增《预授权说明》"
    assert (report[0]["internal"], report[0]["conversion_rate"]) == (1, 100.0)
    assert Event.objects.filter(verb="feedback.change_recorded").count() == 1


def test_flagging_internal_feedback_on_a_ticket_out_of_scope_is_not_found(org: Any) -> None:
    ticket = make_ticket(team=org.complaints)
    before = feedback_state()

    response = signed_in(org.agent).post(
        f"/feedback/tickets/{ticket.pk}/internal/", {"topic": "other", "summary": "x"}
    )

    assert response.status_code == 404
    assert feedback_state() == before


@pytest.mark.parametrize(
    "query",
    [
        "cursor=%25%25%25",
        "cursor=" + "bjoxOjEyMzQ1Njc4OTAxMjM0NTY3ODkw",
        "kind=nonsense&negative=2",
    ],
)
def test_odd_list_input_answers_a_4xx_or_the_page_never_a_500(org: Any, query: str) -> None:
    client = signed_in(org.supervisor)

    register = client.get(f"/feedback/?{query}")
    ledger = client.get(f"/feedback/rectifications/?{query}")

    assert register.status_code in (200, 422)
    assert ledger.status_code in (200, 422)


@pytest.mark.parametrize(
    "query", ["start=9999-12-31&end=9999-12-31", "start=0001-01-01", "start=2026-13-01", "by=x"]
)
def test_odd_report_periods_are_refused_never_a_500(org: Any, query: str) -> None:
    response = signed_in(org.supervisor).get(f"/feedback/reports/?{query}")

    assert response.status_code == 422
