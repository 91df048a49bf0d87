"""The demo's feedback: survey answers, register entries, analyses and rectifications at
every stage, set up after ``load_demo`` and deleted with it."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from bihuan.accounts.models import Department, Team, User
from bihuan.core.models import DueItem
from bihuan.demo.conversation import Cast
from bihuan.demo.feedback_setup import set_up_feedback
from bihuan.demo.generate import delete_demo, load_demo
from bihuan.feedback.models import (
    FeedbackEntry,
    NegativeAnalysis,
    Rectification,
    SurveyInvitation,
    SurveyResponse,
)
from bihuan.feedback.queries import feedback_report, parse_period
from bihuan.tickets.models import Ticket

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 6, 16, 15, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_the_demo_shows_the_feedback_loop_at_every_stage_and_deletes_it() -> None:
    with time_machine.travel(NOW, tick=False):
        result = load_demo(now=NOW)  # which calls set_up_feedback
        cast = Cast(
            users={u.username: u for u in User.objects.all()},
            departments={d.name: d for d in Department.objects.all()},
            teams={t.name: t for t in Team.objects.all()},
            categories={},
        )
        ticket_ids = list(Ticket.objects.values_list("pk", flat=True))

        again = set_up_feedback(cast, ticket_ids)
        report = feedback_report(cast.supervisor, parse_period("2025-03-18", "2025-06-16"))

    assert result.counts["survey answers"] > 100
    assert result.counts["rectifications"] == 5
    assert again == {"rectifications": 0}
    assert SurveyResponse.objects.filter(kind="csat", score__lte=2).exists()
    assert SurveyResponse.objects.filter(kind="nps").count() > 5
    assert set(FeedbackEntry.objects.values_list("source", flat=True)) >= {
        "survey", "community", "callback", "internal",
    }  # fmt: skip
    assert set(NegativeAnalysis.objects.values_list("state", flat=True)) == {"open", "done"}
    assert NegativeAnalysis.objects.filter(is_systemic=True).exists()
    assert sorted(Rectification.objects.values_list("state", flat=True)) == sorted(
        ["pending", "in_progress", "awaiting_acceptance", "accepted", "returned"]
    )
    overall = report[0]
    assert overall.csat is not None
    assert overall.nps is not None
    assert (overall.conversion_rate or 0) > 0

    assert delete_demo()

    assert SurveyInvitation.objects.count() == 0
    assert FeedbackEntry.objects.count() == 0
    assert Rectification.objects.count() == 0
    assert not DueItem.objects.filter(kind__startswith="feedback.", state="pending").exists()
