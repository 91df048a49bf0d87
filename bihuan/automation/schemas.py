"""Shapes of the automation REST API: rules and the complaint playbook."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from ninja import Field, Schema

from bihuan.automation.models import AutomationRule, ComplaintStep
from bihuan.automation.queries import ComplaintView

StageName = Literal["acceptance", "diagnosis", "plan", "execution", "review"]


class ActionIn(Schema):
    type: str = Field(..., max_length=32)
    value: str | int | None = None


class RuleIn(Schema):
    """A rule: ``trigger`` is an event (``ticket.created``…) or ``time.in_status`` with
    ``wait_status`` and ``wait_hours``; ``conditions`` maps kind, priority, channel, category,
    tag, customer_tier, status to the one value each must have."""

    name: str = Field(..., max_length=100)
    trigger: str = Field(..., max_length=40)
    conditions: dict[str, str | int] = Field(default_factory=dict)
    actions: list[ActionIn] = Field(..., max_length=10)
    wait_status: str = Field("", max_length=24)
    wait_hours: int | None = Field(None, ge=1, le=24 * 365)
    is_active: bool = True
    position: int = Field(0, ge=0, le=10_000)


class RuleOut(Schema):
    id: int
    name: str
    trigger: str
    conditions: dict[str, Any]
    actions: list[dict[str, Any]]
    wait_status: str
    wait_hours: int | None
    is_active: bool
    position: int


def rule_out(rule: AutomationRule) -> dict[str, Any]:
    return {
        "id": rule.pk,
        "name": rule.name,
        "trigger": rule.trigger,
        "conditions": rule.conditions,
        "actions": rule.actions,
        "wait_status": rule.wait_status,
        "wait_hours": rule.wait_hours,
        "is_active": rule.is_active,
        "position": rule.position,
    }


class StepOut(Schema):
    stage: str
    owner_id: int | None
    started_at: datetime
    due_at: datetime | None
    completed_at: datetime | None
    escalated_at: datetime | None


class ComplaintOut(Schema):
    ticket: int
    stage: str
    what_where: str
    expectation: str
    has_happened_before: bool | None
    earlier_tickets: list[int]
    plan_kind: str
    plan_options: str
    execution_note: str
    lesson: str
    progress_sent_at: datetime | None
    steps: list[StepOut]


def _step_out(step: ComplaintStep) -> dict[str, Any]:
    return {
        "stage": step.stage,
        "owner_id": step.owner_id,
        "started_at": step.started_at,
        "due_at": step.due_at,
        "completed_at": step.completed_at,
        "escalated_at": step.escalated_at,
    }


def complaint_out(view: ComplaintView) -> dict[str, Any]:
    c = view.complaint
    return {
        "ticket": c.ticket_id,
        "stage": c.stage,
        "what_where": c.what_where,
        "expectation": c.expectation,
        "has_happened_before": c.has_happened_before,
        "earlier_tickets": c.earlier_tickets,
        "plan_kind": c.plan_kind,
        "plan_options": c.plan_options,
        "execution_note": c.execution_note,
        "lesson": c.lesson,
        "progress_sent_at": c.progress_sent_at,
        "steps": [_step_out(s) for s in view.steps],
    }


class StageIn(Schema):
    """Finish the current stage (``stage`` must be it); only that stage's fields are read."""

    stage: StageName
    what_where: str = Field("", max_length=5000)
    expectation: str = Field("", max_length=5000)
    plan_kind: str = Field("", max_length=16)
    plan_options: str = Field("", max_length=5000)
    execution_note: str = Field("", max_length=5000)
    lesson: str = Field("", max_length=5000)
    next_owner_id: int | None = Field(None, ge=1, le=2**62)
    next_due_at: datetime | None = None


class ProgressIn(Schema):
    body: str = Field(..., max_length=100_000)
