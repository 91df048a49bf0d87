"""The sla REST API: a ticket's targets, and the breach board for supervisors."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Router
from ninja.params.functions import Path

from bihuan.accounts.api_auth import current_user
from bihuan.core.api_errors import error_responses
from bihuan.core.errors import NotFound
from bihuan.sla import queries
from bihuan.sla.schemas import BreachOut, SlaTargetOut, breach_out, target_out
from bihuan.tickets.queries import get_ticket_to_change

router = Router(tags=["sla"])
MAX_ID = 2**62


@router.get(
    "/tickets/{number}/sla",
    response={200: list[SlaTargetOut], **error_responses(401, 404, 422)},
    summary="The ticket's SLA targets: state, due time and history of each",
)
def ticket_targets(request: HttpRequest, number: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    ticket = get_ticket_to_change(current_user(request), number)
    return [target_out(clock) for clock in queries.list_ticket_clocks(ticket)]


@router.get(
    "/sla/breaches",
    response={200: list[BreachOut], **error_responses(401, 404)},
    summary="Missed targets of open tickets, the longest overdue first (supervisors, admins)",
)
def breaches(request: HttpRequest) -> Any:
    user = current_user(request)
    if not user.sees_everything:
        raise NotFound(_("Page not found."))
    return [breach_out(clock) for clock in queries.breached_clocks(user)]
