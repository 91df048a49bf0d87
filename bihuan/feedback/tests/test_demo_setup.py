"""The demo's feedback: survey answers, register entries, analyses and rectifications at
every stage, set up after ``load_demo`` and deleted with it."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from bihuan.accounts.models import Department, Team, User
from bihuan.customers.models import Customer
from bihuan.demo.conversation import Cast
from bihuan.demo.feedback_setup import delete_feedback_setup, set_up_feedback
from bihuan.demo.generate import load_demo
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


def test_the_demo_shows_the_feedback_loop_at_every_stage() -> None:
    with time_machine.travel(NOW, tick=False):
        load_demo(now=NOW)
        cast = Cast(
            users={u.username: u for u in User.objects.all()},
            departments={d.name: d for d in Department.objects.all()},
            teams={t.name: t for t in Team.objects.all()},
            categories={},
        )
        ticket_ids = list(Ticket.objects.values_list("pk", flat=True))

        counts = set_up_feedback(cast, ticket_ids)
        again = set_up_feedback(cast, ticket_ids)
        report = feedback_report(cast.supervisor, parse_period("2025-03-18", "2025-06-16"))

    assert counts["survey answers"] > 100
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

    Ticket.objects.all().delete()  # as delete_demo does, before the set-ups
    Customer.objects.all().delete()
    delete_feedback_setup()

    assert SurveyInvitation.objects.count() == 0
    assert FeedbackEntry.objects.count() == 0
    assert Rectification.objects.count() == 0
