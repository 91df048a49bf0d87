"""Shapes of the sla REST API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from ninja import Schema

from bihuan.sla.models import SlaClock

MetricName = Literal["first_response", "next_response", "resolution"]
StateName = Literal["running", "paused", "warning", "breached", "met"]


class SlaTargetOut(Schema):
    """One target of a ticket: its clock's state and instants (business time in minutes)."""

    metric: MetricName
    state: StateName
    policy: str | None
    calendar: str
    target_minutes: int
    due_at: datetime | None
    started_at: datetime
    warned_at: datetime | None
    breached_at: datetime | None
    completed_at: datetime | None
    escalation_level: int


class BreachOut(SlaTargetOut):
    ticket: int
    subject: str
    owner_id: int | None
    team_id: int | None


def target_out(clock: SlaClock) -> dict[str, Any]:
    return {
        "metric": clock.metric,
        "state": clock.state,
        "policy": clock.policy.name if clock.policy else None,
        "calendar": clock.calendar.name,
        "target_minutes": clock.target_minutes,
        "due_at": clock.due_at,
        "started_at": clock.started_at,
        "warned_at": clock.warned_at,
        "breached_at": clock.breached_at,
        "completed_at": clock.completed_at,
        "escalation_level": clock.escalation_level,
    }


def breach_out(clock: SlaClock) -> dict[str, Any]:
    return {
        **target_out(clock),
        "ticket": clock.ticket_id,
        "subject": clock.ticket.subject,
        "owner_id": clock.ticket.owner_id,
        "team_id": clock.ticket.team_id,
    }
