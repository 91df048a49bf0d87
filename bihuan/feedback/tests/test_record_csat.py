"""``record_csat``: the public service the portal calls when a customer rates a ticket."""

from __future__ import annotations

from typing import Any

import pytest

from bihuan.core.errors import ValidationFailed
from bihuan.core.models import Event
from bihuan.feedback.errors import SurveyAlreadyAnswered
from bihuan.feedback.models import FeedbackEntry, NegativeAnalysis, SurveyResponse
from bihuan.feedback.services import record_csat
from bihuan.feedback.tests.conftest import feedback_state, solved_ticket
from bihuan.sla.tests.conftest import Clock, open_ticket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("policies")]


def test_a_portal_rating_is_the_tickets_one_csat_answer(org: Any, clock: Clock) -> None:
    clock.travel("2026-03-02T10:00+08:00")
    ticket = solved_ticket(org)

    response = record_csat(ticket, score=5, comment="很快就解决了", source="portal")

    assert (response.kind, response.score, response.source) == ("csat", 5, "portal")
    assert response.invitation.ticket_id == ticket.pk
    assert response.invitation.state == "answered"
    assert list(
        Event.objects.filter(verb="feedback.survey_answered").values_list("data", flat=True)
    ) == [{"kind": "csat", "score": 5, "source": "portal"}]


def test_a_second_portal_rating_changes_the_answer_within_the_window_then_stands(
    org: Any, clock: Clock
) -> None:
    clock.travel("2026-03-02T10:00+08:00")
    ticket = solved_ticket(org)
    record_csat(ticket, score=4, comment="", source="portal")

    clock.travel("2026-03-02T20:00+08:00")
    record_csat(ticket, score=2, comment="后来又坏了", source="portal")
    clock.travel("2026-03-03T10:01+08:00")
    before = feedback_state()
    with pytest.raises(SurveyAlreadyAnswered):
        record_csat(ticket, score=5, comment="", source="portal")

    assert feedback_state() == before
    response = SurveyResponse.objects.get()
    assert (response.score, response.edit_count, response.comment) == (2, 1, "后来又坏了")
    entry = FeedbackEntry.objects.get(response=response)
    assert (entry.kind, entry.is_negative, entry.source) == ("complaint", True, "survey")
    assert NegativeAnalysis.objects.filter(entry=entry).count() == 1


@pytest.mark.parametrize(
    ("score", "source", "code"),
    [
        (0, "portal", "score_out_of_range"),
        (6, "portal", "score_out_of_range"),
        (5, "fax", "invalid_choice"),
    ],
)
def test_a_bad_rating_is_refused_and_changes_nothing(
    org: Any, clock: Clock, score: int, source: str, code: str
) -> None:
    clock.travel("2026-03-02T10:00+08:00")
    ticket = solved_ticket(org)
    before = feedback_state()

    with pytest.raises(ValidationFailed) as refused:
        record_csat(ticket, score=score, comment="", source=source)

    assert refused.value.code == code
    assert feedback_state() == before


def test_an_open_ticket_cannot_be_rated(org: Any, clock: Clock) -> None:
    clock.travel("2026-03-02T10:00+08:00")
    ticket = open_ticket(team=org.presales)
    before = feedback_state()

    with pytest.raises(ValidationFailed) as refused:
        record_csat(ticket, score=5, comment="", source="portal")

    assert refused.value.code == "ticket_not_solved"
    assert feedback_state() == before
