"""The automation endpoints of the REST API (mounted under /api/v1/ by bihuan/api.py)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status
from ninja.params.functions import Path

from bihuan.accounts.api_auth import current_user
from bihuan.accounts.models import User
from bihuan.automation import queries, services
from bihuan.automation.schemas import (
    ComplaintOut,
    ProgressIn,
    RuleIn,
    RuleOut,
    StageIn,
    complaint_out,
    rule_out,
)
from bihuan.core.api_errors import error_responses
from bihuan.tickets.services import get_or_invalid

router = Router(tags=["automation"])
MAX_ID = 2**62


@router.get(
    "/automation/rules",
    response={200: list[RuleOut], **error_responses(401, 404)},
    summary="The automation rules in the order they are tried (admins)",
)
def list_rules(request: HttpRequest) -> Any:
    return [rule_out(r) for r in queries.list_rules(current_user(request))]


@router.post(
    "/automation/rules",
    response={201: RuleOut, **error_responses(400, 401, 404, 422)},
    summary="Create an automation rule (admins)",
)
def create_rule(request: HttpRequest, payload: RuleIn) -> Any:
    rule = services.save_rule(
        services.RuleInput(
            name=payload.name,
            trigger=payload.trigger,
            conditions=dict(payload.conditions),
            actions=[a.model_dump() for a in payload.actions],
            wait_status=payload.wait_status,
            wait_hours=payload.wait_hours,
            is_active=payload.is_active,
            position=payload.position,
        ),
        actor=current_user(request),
    )
    return Status(201, rule_out(rule))


@router.get(
    "/tickets/{number}/complaint",
    response={200: ComplaintOut, **error_responses(401, 404, 422)},
    summary="The ticket's complaint playbook: its stages, owners, due times and records",
)
def get_complaint(request: HttpRequest, number: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    _ticket, view = queries.get_complaint(current_user(request), number)
    return complaint_out(view)


@router.post(
    "/tickets/{number}/complaint/stages",
    response={200: ComplaintOut, **error_responses(400, 401, 403, 404, 409, 422)},
    summary="Finish the complaint's current stage and start the next",
)
def complete_stage(
    request: HttpRequest, payload: StageIn, number: int = Path(..., ge=1, le=MAX_ID)
) -> Any:
    user = current_user(request)
    ticket, _view = queries.get_complaint(user, number)
    services.complete_stage(
        ticket,
        services.StageInput(
            stage=payload.stage,
            what_where=payload.what_where,
            expectation=payload.expectation,
            plan_kind=payload.plan_kind,
            plan_options=payload.plan_options,
            execution_note=payload.execution_note,
            lesson=payload.lesson,
            next_owner=get_or_invalid(User, payload.next_owner_id, label="owner"),
            next_due_at=payload.next_due_at,
        ),
        actor=user,
    )
    return complaint_out(queries.get_complaint(user, number)[1])


@router.post(
    "/tickets/{number}/complaint/progress",
    response={200: ComplaintOut, **error_responses(400, 401, 403, 404, 409, 422)},
    summary="Send the customer a progress update on the complaint (a reply)",
)
def send_progress(
    request: HttpRequest, payload: ProgressIn, number: int = Path(..., ge=1, le=MAX_ID)
) -> Any:
    user = current_user(request)
    ticket, _view = queries.get_complaint(user, number)
    services.send_progress_update(ticket, body=payload.body, actor=user)
    return complaint_out(queries.get_complaint(user, number)[1])
