"""A low score opens a negative-feedback case whose analysis is due in 48 business hours;
the owner records the cause (人/货/场); a missed deadline is reported, once."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from bihuan.core.models import Event, Notification
from bihuan.feedback.models import FeedbackEntry, NegativeAnalysis
from bihuan.feedback.services import record_csat
from bihuan.feedback.tests.conftest import feedback_state, link_of, solved_ticket
from bihuan.sla.tests.conftest import Clock

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("policies", "mail_from"),
]


def english() -> Client:
    return Client(headers={"Accept-Language": "en"})


def signed_in(user: Any) -> Client:
    client = english()
    client.force_login(user)
    return client


def told(verb: str) -> list[str]:
    return sorted(
        Notification.objects.filter(event__verb=verb).values_list("recipient__username", flat=True)
    )


def test_a_low_csat_opens_a_case_due_in_48_business_hours_and_a_miss_is_reported_once(
    org: Any, clock: Clock
) -> None:
    clock.travel("2026-03-02T10:00+08:00")  # a Monday
    ticket = solved_ticket(org)
    clock.run()

    english().post(link_of(ticket), {"score": "2", "comment": "等了三天才有人理"})
    clock.run("2026-03-10T09:59+08:00")
    assert told("feedback.analysis_overdue") == []
    clock.run("2026-03-10T10:00:05+08:00")
    clock.run("2026-03-11T10:00+08:00")

    entry = FeedbackEntry.objects.get(ticket=ticket, source="survey")
    assert (entry.kind, entry.is_negative, entry.summary) == ("complaint", True, "等了三天才有人理")
    analysis = NegativeAnalysis.objects.get(entry=entry)
    # 6 working days of 8 hours (09–12, 13–18): Monday 10:00 + 48 h → next Tuesday 10:00.
    assert analysis.due_at.isoformat() == "2026-03-10T02:00:00+00:00"
    assert analysis.overdue_at is not None
    assert told("feedback.analysis_overdue") == ["supervisor"]
    assert Event.objects.filter(verb="feedback.negative_case_opened").count() == 1


def test_a_good_score_without_comment_opens_no_case(org: Any, clock: Clock) -> None:
    clock.travel("2026-03-02T10:00+08:00")
    ticket = solved_ticket(org)

    record_csat(ticket, score=4, comment="", source="agent")

    assert not FeedbackEntry.objects.filter(source="survey").exists()
    assert not NegativeAnalysis.objects.exists()


def test_a_low_nps_through_the_portal_service_and_a_complaint_ticket_open_cases(
    org: Any, clock: Clock
) -> None:
    clock.travel("2026-03-02T10:00+08:00")

    complaint = solved_ticket(org, kind="complaint")

    entry = FeedbackEntry.objects.get(ticket=complaint, source="ticket")
    assert (entry.kind, entry.is_negative) == ("complaint", True)
    assert NegativeAnalysis.objects.filter(entry=entry).exists()


def test_the_owner_records_the_analysis_on_time_and_the_deadline_stops(
    org: Any, clock: Clock
) -> None:
    clock.travel("2026-03-02T10:00+08:00")
    ticket = solved_ticket(org)
    record_csat(ticket, score=1, comment="态度差", source="portal")
    entry = FeedbackEntry.objects.get(source="survey")
    supervisor = signed_in(org.supervisor)
    supervisor.post(f"/feedback/entries/{entry.pk}/assign/", {"owner": org.other_agent.pk})
    clock.travel("2026-03-03T15:00+08:00")

    page = signed_in(org.other_agent).post(
        f"/feedback/entries/{entry.pk}/analysis/",
        {
            "cause_category": "people",
            "cause_detail": "staff_behaviour",
            "facts": "坐席未按话术安抚，语气生硬",
            "is_systemic": "on",
        },
    )
    clock.run("2026-03-11T10:00+08:00")

    assert page.status_code == 302
    analysis = NegativeAnalysis.objects.get(entry=entry)
    assert (analysis.state, analysis.cause_category, analysis.cause_detail) == (
        "done",
        "people",
        "staff_behaviour",
    )
    assert (analysis.owner_id, analysis.is_systemic, analysis.is_on_time) == (
        org.other_agent.pk,
        True,
        True,
    )
    assert told("feedback.analysis_assigned") == ["lina"]
    assert told("feedback.analysis_overdue") == []
    shown = signed_in(org.other_agent).get(f"/feedback/entries/{entry.pk}/")
    assert b'data-testid="analysis-cause"' in shown.content


@pytest.mark.parametrize(
    ("who", "data", "status"),
    [
        ("other_agent", {"cause_category": "people", "facts": "x"}, 404),  # not hers to see
        ("agent", {"cause_category": "people", "facts": "x"}, 403),  # his ticket, not his case
        ("supervisor", {"cause_category": "people", "cause_detail": "price", "facts": "x"}, 422),
        ("supervisor", {"cause_category": "weather", "facts": "x"}, 422),
        ("supervisor", {"cause_category": "place", "facts": ""}, 422),
    ],
)
def test_a_bad_or_unauthorised_analysis_is_refused_and_changes_nothing(
    org: Any, clock: Clock, who: str, data: dict[str, str], status: int
) -> None:
    clock.travel("2026-03-02T10:00+08:00")
    ticket = solved_ticket(org)
    record_csat(ticket, score=1, comment="差", source="portal")
    entry = FeedbackEntry.objects.get(source="survey")
    before = feedback_state()

    response = signed_in(getattr(org, who)).post(
        f"/feedback/entries/{entry.pk}/analysis/", data, headers={"Accept": "application/json"}
    )

    assert response.status_code == status
    assert feedback_state() == before
