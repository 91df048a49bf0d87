"""The tickets REST API: parse, authorise, call one service or query, answer."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status
from ninja.params.functions import Header, Path

from bihuan.accounts.api_auth import current_user
from bihuan.accounts.models import Department, Team, User
from bihuan.core.api_errors import error_responses
from bihuan.core.idempotency import run_idempotent
from bihuan.customers.models import Customer
from bihuan.customers.queries import visible_customers
from bihuan.customers.services import ContactDetails
from bihuan.tickets import closing, collaboration, commitments, merging, queries, services
from bihuan.tickets.models import Category
from bihuan.tickets.schemas import (
    PRIORITY_BY_NAME,
    CallBackIn,
    CallBackListOut,
    CallBackOut,
    CloseIn,
    CommitmentCancelIn,
    CommitmentIn,
    CommitmentMoveIn,
    CommitmentOut,
    LinkIn,
    ListQuery,
    MergeIn,
    MessageIn,
    ReasonIn,
    TaskAnswerIn,
    TaskAssignIn,
    TaskIn,
    TaskListOut,
    TaskOut,
    TaskQuery,
    TicketDetailOut,
    TicketIn,
    TicketPageOut,
    TicketPatch,
    TimelineItemOut,
    TimelinePageOut,
    TimelineQuery,
    parse_day,
    ticket_detail_out,
    ticket_out,
    timeline_item_out,
)

router = Router(tags=["tickets"])
MAX_ID = 2**62


def _etag(ticket: Any) -> str:
    return f'"{services.ticket_version(ticket)}"'


def _if_match(header: str | None) -> list[str] | None:
    """The versions an ``If-Match`` header accepts (None: any, the header is optional)."""
    if header is None or header.strip() == "*":
        return None
    return [tag.strip().removeprefix("W/").strip('"') for tag in header.split(",")]


@router.post(
    "/tickets",
    response={201: TicketDetailOut, **error_responses(400, 401, 403, 404, 409, 422)},
    summary="Create a ticket with its first customer message",
)
def create_ticket(
    request: HttpRequest,
    payload: TicketIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", max_length=255),
) -> Any:
    user = current_user(request)

    def produce() -> tuple[int, Any]:
        customer: Customer | None = None
        if payload.customer.id is not None:
            customer = visible_customers(user).filter(pk=payload.customer.id).first()
            if customer is None:
                raise services.unknown_reference("customer", payload.customer.id)
        team = services.get_or_invalid(Team, payload.team_id, label="team", related=("department",))
        category = services.get_or_invalid(
            Category, payload.category_id, label="category", related=("parent",)
        )
        ticket = services.create_ticket(
            services.NewTicket(
                subject=payload.subject,
                body=payload.body,
                channel=payload.channel,
                kind=payload.type,
                priority=PRIORITY_BY_NAME[payload.priority],
                customer=customer,
                contact=ContactDetails(
                    name=payload.customer.name,
                    phone=payload.customer.phone,
                    email=payload.customer.email,
                    external_id=payload.customer.external_id,
                ),
                team=team,
                category=category,
                tags=payload.tags,
                explicit_fields=tuple(
                    {"type": "kind", "priority": "priority", "category_id": "category"}[name]
                    for name in payload.model_fields_set & {"type", "priority", "category_id"}
                ),
            ),
            actor=user,
        )
        # The answer from the objects the service holds: a ticket created a moment ago has
        # no shares, commitments or links to read back (reactions run after the commit).
        body = TicketDetailOut.model_validate(ticket_detail_out(ticket, linked=[])).model_dump(
            mode="json"
        )
        return 201, body

    status, body = run_idempotent(
        user=user,
        scope="tickets.create",
        key=idempotency_key,
        payload=payload.model_dump(mode="json"),
        produce=produce,
    )
    return Status(status, body)


@router.get("/tickets", response={200: TicketPageOut, **error_responses(400, 401, 422)})
def list_tickets(request: HttpRequest, params: Query[ListQuery]) -> Any:
    filters = queries.TicketFilters(
        view=params.view,
        status=list(params.status),
        priority=[PRIORITY_BY_NAME[p] for p in params.priority],
        kind=list(params.type),
        channel=list(params.channel),
        category=params.category_id,
        owner=params.owner_id,
        team=params.team_id,
        customer=params.customer_id,
        tag=params.tag,
        created_from=parse_day(params.created_from),
        created_to=parse_day(params.created_to),
        sort=params.sort,
    )
    page = queries.list_tickets(
        current_user(request),
        filters,
        cursor=params.cursor,
        limit=params.limit,
    )
    return {
        "items": [ticket_out(t) for t in page.items],
        "next_cursor": page.next_cursor,
        "previous_cursor": page.previous_cursor,
    }


@router.get(
    "/tickets/{number}",
    response={200: TicketDetailOut, **error_responses(400, 401, 404, 422)},
    summary="A ticket; its ETag header is the version to send back in If-Match",
)
def get_ticket(
    request: HttpRequest, response: HttpResponse, number: int = Path(..., ge=1, le=MAX_ID)
) -> Any:
    ticket = queries.get_ticket(current_user(request), number)
    response["ETag"] = _etag(ticket)
    return ticket_detail_out(ticket)


@router.patch(
    "/tickets/{number}",
    response={200: TicketDetailOut, **error_responses(400, 401, 403, 404, 409, 412, 422)},
    summary="Change a ticket; with If-Match, a ticket changed since that ETag answers 412",
)
def patch_ticket(
    request: HttpRequest,
    response: HttpResponse,
    payload: TicketPatch,
    number: int = Path(..., ge=1, le=MAX_ID),
    if_match: str | None = Header(None, alias="If-Match", max_length=1000),
) -> Any:
    user = current_user(request)
    ticket = queries.get_ticket(user, number)
    values = {name: getattr(payload, name) for name in payload.model_fields_set}
    if "priority" in values and values["priority"] is not None:
        values["priority"] = PRIORITY_BY_NAME[values["priority"]]
    changes = services.changes_from_ids(values)
    services.patch_ticket(
        ticket,
        changes,
        actor=user,
        need_statement=values.get("need_statement"),
        need_confirmed=values.get("need_confirmed"),
        solution=values.get("solution"),
        expected_versions=_if_match(if_match),
    )
    # The change may have moved the ticket out of the caller's scope (another queue): it
    # was applied all the same, so answer with it rather than a 404 that invites a retry.
    ticket = queries.get_created_ticket(number)
    response["ETag"] = _etag(ticket)
    return ticket_detail_out(ticket)


@router.post(
    "/tickets/{number}/messages",
    response={201: TimelineItemOut, **error_responses(400, 401, 403, 404, 409, 422)},
)
def add_message(
    request: HttpRequest, payload: MessageIn, number: int = Path(..., ge=1, le=MAX_ID)
) -> Any:
    user = current_user(request)
    ticket = queries.get_ticket(user, number)
    if payload.kind == "reply":
        message = services.reply_to_customer(ticket, body=payload.body, actor=user)
    elif payload.kind == "note":
        message = services.add_internal_note(ticket, body=payload.body, actor=user)
    else:
        message = services.add_customer_message(
            ticket, body=payload.body, channel=payload.channel, actor=user
        )
    return Status(201, timeline_item_out(queries.get_message_entry(ticket, message)))


@router.get(
    "/tickets/{number}/messages",
    response={200: TimelinePageOut, **error_responses(400, 401, 404, 422)},
    summary="The ticket's timeline, a page at a time: messages, notes and every change",
    description=(
        "Oldest first. While `next_cursor` is not null, send it back as `?cursor=` for the "
        "next page; the pages add up to the whole history, each entry once. A cursor that "
        "cannot be read is refused with 422 `invalid_cursor`."
    ),
)
def get_timeline(
    request: HttpRequest,
    params: Query[TimelineQuery],
    number: int = Path(..., ge=1, le=MAX_ID),
) -> Any:
    ticket = queries.get_ticket(current_user(request), number)
    page = queries.timeline_page(ticket, cursor=params.cursor, limit=params.limit)
    return {"items": [timeline_item_out(e) for e in page.entries], "next_cursor": page.next_cursor}


@router.post(
    "/tickets/{number}/commitments",
    response={201: CommitmentOut, **error_responses(400, 401, 403, 404, 409, 422)},
)
def add_commitment(
    request: HttpRequest, payload: CommitmentIn, number: int = Path(..., ge=1, le=MAX_ID)
) -> Any:
    user = current_user(request)
    ticket = queries.get_ticket(user, number)
    commitment = services.add_commitment(
        ticket, description=payload.description, due_at=payload.due_at, actor=user
    )
    return Status(201, CommitmentOut.of(commitment))


@router.post(
    "/tickets/{number}/commitments/{commitment_id}/complete",
    response={200: CommitmentOut, **error_responses(400, 401, 403, 404, 409, 422)},
)
def complete_commitment(
    request: HttpRequest,
    number: int = Path(..., ge=1, le=MAX_ID),
    commitment_id: int = Path(..., ge=1, le=MAX_ID),
) -> Any:
    user = current_user(request)
    commitment = queries.get_commitment(user, number, commitment_id)
    return CommitmentOut.of(services.complete_commitment(commitment, actor=user))


@router.post(
    "/tickets/{number}/commitments/{commitment_id}/cancel",
    response={200: CommitmentOut, **error_responses(400, 401, 403, 404, 409, 422)},
    summary="Cancel a commitment that will not be kept, with the reason",
)
def cancel_commitment(
    request: HttpRequest,
    payload: CommitmentCancelIn,
    number: int = Path(..., ge=1, le=MAX_ID),
    commitment_id: int = Path(..., ge=1, le=MAX_ID),
) -> Any:
    user = current_user(request)
    commitment = queries.get_commitment(user, number, commitment_id)
    return CommitmentOut.of(
        services.cancel_commitment(commitment, reason=payload.reason, actor=user)
    )


# --- Collaboration tasks (协作任务) ------------------------------------------------------------


@router.get(
    "/tasks",
    response={200: TaskListOut, **error_responses(400, 401, 422)},
    summary="A department's task queue (the caller's department by default), soonest due first",
)
def list_tasks(request: HttpRequest, params: Query[TaskQuery]) -> Any:
    tasks = queries.list_tasks(
        current_user(request),
        state=params.state,
        department_id=params.department_id,
        mine=params.mine,
    )
    return {"items": [TaskOut.of(t) for t in tasks]}


@router.get(
    "/tickets/{number}/tasks",
    response={200: TaskListOut, **error_responses(400, 401, 404, 422)},
)
def ticket_tasks(request: HttpRequest, number: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    ticket = queries.get_ticket_to_change(current_user(request), number)
    return {"items": [TaskOut.of(t) for t in queries.ticket_tasks(ticket)]}


@router.post(
    "/tickets/{number}/tasks",
    response={201: TaskOut, **error_responses(400, 401, 403, 404, 409, 422)},
    summary="Ask another department for help (the ticket waits for collaboration)",
)
def open_task(
    request: HttpRequest, payload: TaskIn, number: int = Path(..., ge=1, le=MAX_ID)
) -> Any:
    user = current_user(request)
    ticket = queries.get_ticket_to_change(user, number)
    department = services.get_or_invalid(Department, payload.department_id, label="department")
    assignee = services.get_or_invalid(User, payload.assignee_id, label="owner")
    task = collaboration.open_task(
        ticket,
        department=department,
        description=payload.description,
        assignee=assignee,
        actor=user,
    )
    return Status(201, TaskOut.of(task))


@router.post(
    "/tickets/{number}/tasks/{task_id}/answer",
    response={200: TaskOut, **error_responses(400, 401, 403, 404, 409, 422)},
    summary="The department's answer (members of the task's department)",
)
def answer_task(
    request: HttpRequest,
    payload: TaskAnswerIn,
    number: int = Path(..., ge=1, le=MAX_ID),
    task_id: int = Path(..., ge=1, le=MAX_ID),
) -> Any:
    user = current_user(request)
    task = queries.get_task(user, number, task_id)
    return TaskOut.of(collaboration.answer_task(task, answer=payload.answer, actor=user))


@router.post(
    "/tickets/{number}/tasks/{task_id}/assign",
    response={200: TaskOut, **error_responses(400, 401, 403, 404, 409, 422)},
)
def assign_task(
    request: HttpRequest,
    payload: TaskAssignIn,
    number: int = Path(..., ge=1, le=MAX_ID),
    task_id: int = Path(..., ge=1, le=MAX_ID),
) -> Any:
    user = current_user(request)
    task = queries.get_task(user, number, task_id)
    assignee = services.get_or_invalid(User, payload.assignee_id, label="owner")
    return TaskOut.of(collaboration.assign_task(task, assignee=assignee, actor=user))


@router.post(
    "/tickets/{number}/tasks/{task_id}/cancel",
    response={200: TaskOut, **error_responses(400, 401, 403, 404, 409, 422)},
)
def cancel_task(
    request: HttpRequest,
    payload: ReasonIn,
    number: int = Path(..., ge=1, le=MAX_ID),
    task_id: int = Path(..., ge=1, le=MAX_ID),
) -> Any:
    user = current_user(request)
    task = queries.get_task(user, number, task_id)
    return TaskOut.of(collaboration.cancel_task(task, reason=payload.reason, actor=user))


# --- Call-back (回访), closing, delay notice ----------------------------------------------------


@router.get(
    "/tickets/{number}/call-backs",
    response={200: CallBackListOut, **error_responses(400, 401, 404, 422)},
)
def ticket_call_backs(request: HttpRequest, number: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    ticket = queries.get_ticket_to_change(current_user(request), number)
    return {"items": [CallBackOut.of(c) for c in queries.ticket_call_backs(ticket)]}


@router.post(
    "/tickets/{number}/call-backs/{call_back_id}",
    response={200: CallBackOut, **error_responses(400, 401, 403, 404, 409, 422)},
    summary="Record a call-back's outcome (satisfied, not satisfied: reopen, not reached: retry)",
)
def record_call_back(
    request: HttpRequest,
    payload: CallBackIn,
    number: int = Path(..., ge=1, le=MAX_ID),
    call_back_id: int = Path(..., ge=1, le=MAX_ID),
) -> Any:
    user = current_user(request)
    call_back = queries.get_call_back(user, number, call_back_id)
    recorded = closing.record_call_back(
        call_back,
        outcome=payload.outcome,
        note=payload.note,
        retry_at=payload.retry_at,
        actor=user,
    )
    return CallBackOut.of(recorded)


@router.post(
    "/tickets/{number}/close",
    response={200: TicketDetailOut, **error_responses(400, 401, 403, 404, 409, 422)},
    summary="Close a solved ticket: after a satisfied call-back, or with the reason why not",
)
def close_ticket(
    request: HttpRequest,
    response: HttpResponse,
    payload: CloseIn,
    number: int = Path(..., ge=1, le=MAX_ID),
) -> Any:
    user = current_user(request)
    ticket = queries.get_ticket_to_change(user, number)
    closing.close_ticket(ticket, actor=user, reason=payload.reason)
    closed = queries.get_created_ticket(number)
    response["ETag"] = _etag(closed)
    return ticket_detail_out(closed)


@router.post(
    "/tickets/{number}/commitments/{commitment_id}/move",
    response={200: CommitmentOut, **error_responses(400, 401, 403, 404, 409, 422)},
    summary="Move a commitment's due time; the customer is told the new date and the reason",
)
def move_commitment(
    request: HttpRequest,
    payload: CommitmentMoveIn,
    number: int = Path(..., ge=1, le=MAX_ID),
    commitment_id: int = Path(..., ge=1, le=MAX_ID),
) -> Any:
    user = current_user(request)
    commitment = queries.get_commitment(user, number, commitment_id)
    moved = commitments.move_commitment(
        commitment, due_at=payload.due_at, reason=payload.reason, actor=user
    )
    return CommitmentOut.of(moved)


# --- Merge and link (issue 12) -------------------------------------------------------------


@router.post(
    "/tickets/{number}/merge",
    response={200: TicketDetailOut, **error_responses(400, 401, 403, 404, 409, 422)},
    summary="Merge this ticket (a duplicate request) into another; answers the survivor",
)
def merge_ticket(
    request: HttpRequest, payload: MergeIn, number: int = Path(..., ge=1, le=MAX_ID)
) -> Any:
    user = current_user(request)
    duplicate = queries.get_ticket_to_change(user, number)
    survivor = merging.merge_ticket(
        duplicate, into=queries.get_other_ticket(user, payload.into), actor=user
    )
    return ticket_detail_out(queries.get_created_ticket(survivor.pk))


@router.post(
    "/tickets/{number}/links",
    response={201: TicketDetailOut, **error_responses(400, 401, 403, 404, 409, 422)},
    summary="Link a related ticket",
)
def link_tickets(
    request: HttpRequest, payload: LinkIn, number: int = Path(..., ge=1, le=MAX_ID)
) -> Any:
    user = current_user(request)
    ticket = queries.get_ticket_to_change(user, number)
    merging.link_tickets(ticket, other=queries.get_other_ticket(user, payload.other), actor=user)
    return Status(201, ticket_detail_out(queries.get_created_ticket(number)))
