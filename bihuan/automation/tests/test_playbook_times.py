"""The complaint playbook's times are targets of the ticket's SLA policy, counted in each
target's calendar: another policy gives other due times, business hours skip the weekend."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from bihuan.automation.models import ComplaintStep
from bihuan.automation.services import PROGRESS_DUE, STAGE_DUE
from bihuan.automation.tests.conftest import Clock, new_ticket, ticket_events
from bihuan.core.models import DueItem, WorkState
from bihuan.sla.models import BusinessCalendar, SlaPolicy, SlaTarget
from bihuan.sla.services import playbook_due
from bihuan.tickets.models import Ticket

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("default_policies"),
]


def complaint(org: Any) -> Ticket:
    return new_ticket("complaint", team=org.complaints, subject="快递员态度恶劣")


def pending_due(kind: str) -> list[str]:
    return [
        d.isoformat()
        for d in DueItem.objects.filter(kind=kind, state=WorkState.PENDING)
        .order_by("id")
        .values_list("due_at", flat=True)
    ]


def set_target(metric: str, minutes: int, calendar: str) -> None:
    SlaTarget.objects.filter(policy__name="投诉", metric=metric).update(
        minutes=minutes, calendar=BusinessCalendar.objects.get(name=calendar)
    )


def test_the_default_complaint_policy_keeps_the_playbooks_times(org: Any, clock: Clock) -> None:
    clock.travel("2026-03-06T17:00+08:00")

    ticket = complaint(org)

    targets = dict(
        SlaTarget.objects.filter(policy__name="投诉", metric__startswith="stage_").values_list(
            "metric", "minutes"
        )
    )
    assert targets == {
        "stage_acceptance": 60,
        "stage_diagnosis": 24 * 60,
        "stage_plan": 24 * 60,
        "stage_execution": 72 * 60,
        "stage_review": 7 * 24 * 60,
    }
    (step,) = ComplaintStep.objects.filter(complaint__ticket=ticket)
    assert step.due_at is not None
    assert step.due_at.isoformat() == "2026-03-06T10:00:00+00:00"
    assert pending_due(PROGRESS_DUE) == ["2026-03-07T09:00:00+00:00"]


def test_a_policy_with_other_stage_targets_gives_other_due_times(org: Any, clock: Clock) -> None:
    set_target("stage_acceptance", 30, "全天候 24/7")
    set_target("progress_update", 2 * 60, "全天候 24/7")
    clock.travel("2026-03-04T10:00+08:00")

    ticket = complaint(org)

    (step,) = ComplaintStep.objects.filter(complaint__ticket=ticket)
    assert step.due_at is not None
    assert step.due_at.isoformat() == "2026-03-04T02:30:00+00:00"
    assert pending_due(STAGE_DUE) == ["2026-03-04T02:30:00+00:00"]
    assert pending_due(PROGRESS_DUE) == ["2026-03-04T04:00:00+00:00"]


def test_a_stage_in_business_hours_is_counted_across_the_weekend(org: Any, clock: Clock) -> None:
    # Two business hours from Friday 17:00: one on Friday, one on Monday morning.
    set_target("stage_acceptance", 2 * 60, "标准工作日")
    clock.travel("2026-03-06T17:00+08:00")

    ticket = complaint(org)

    (step,) = ComplaintStep.objects.filter(complaint__ticket=ticket)
    assert step.due_at is not None
    assert step.due_at.isoformat() == "2026-03-09T02:00:00+00:00"
    clock.run("2026-03-09T09:59+08:00")
    assert ticket_events(ticket, "automation.complaint_stage_overdue") == []
    clock.run("2026-03-09T10:00+08:00")
    assert len(ticket_events(ticket, "automation.complaint_stage_overdue")) == 1


def test_a_policy_without_playbook_targets_sets_no_stage_due_time(org: Any, clock: Clock) -> None:
    SlaTarget.objects.filter(policy__name="投诉", metric__in=["stage_acceptance"]).delete()
    clock.travel("2026-03-04T10:00+08:00")

    ticket = complaint(org)

    (step,) = ComplaintStep.objects.filter(complaint__ticket=ticket)
    assert step.due_at is None
    assert pending_due(STAGE_DUE) == []
    assert pending_due(PROGRESS_DUE) == ["2026-03-05T02:00:00+00:00"]


def test_playbook_due_refuses_a_target_that_is_not_the_playbooks(org: Any) -> None:
    ticket = complaint(org)
    assert SlaPolicy.objects.filter(name="投诉").exists()

    with pytest.raises(ValueError, match="not a playbook target"):
        playbook_due(
            ticket, metric="first_response", start=datetime.fromisoformat("2026-03-04T10:00+08:00")
        )
