"""API schemas for tickets. Inputs are strict: unknown fields are refused, a boolean is not
an integer and a number is not a string."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from django.utils.translation import gettext_lazy as _
from ninja import Schema
from pydantic import ConfigDict, Field, StrictBool, StrictInt, StrictStr

from bihuan.core.errors import ValidationFailed
from bihuan.core.schema_types import EMAIL_PATTERN, NO_NUL, NOT_BLANK, PHONE_PATTERN, Tag
from bihuan.core.time_window import check_date
from bihuan.tickets.choices import Priority
from bihuan.tickets.models import CallBack, CollaborationTask, Commitment, Ticket
from bihuan.tickets.queries import TimelineEntry, linked_numbers

StatusName = Literal["new", "open", "pending_customer", "pending_collaboration", "solved", "closed"]
PriorityName = Literal["low", "normal", "high", "urgent"]
TypeName = Literal["inquiry", "complaint", "suggestion", "praise", "request", "after_sales"]
ChannelName = Literal[
    "email", "web", "chat", "api", "phone", "wechat", "wecom", "dingtalk", "feishu", "sms"
]
EmotionName = Literal["satisfied", "neutral", "dissatisfied", "angry", ""]
SlaStateName = Literal["running", "paused", "warning", "breached", "met", ""]
TaskStateName = Literal["open", "answered", "cancelled"]
OutcomeName = Literal["satisfied", "not_satisfied", "not_reached"]
ViewName = Literal["mine", "unassigned", "department", "open", "waiting", "solved", "all"]
SortName = Literal["-updated", "updated", "-created", "created", "-priority", "priority"]

# A day from 2000-01-01 to 2100-12-31 (the window of bihuan.core.time_window).
DATE_PATTERN = r"^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"

PRIORITY_BY_NAME: dict[str, int] = {
    "low": Priority.LOW,
    "normal": Priority.NORMAL,
    "high": Priority.HIGH,
    "urgent": Priority.URGENT,
}
PRIORITY_NAME = {value: name for name, value in PRIORITY_BY_NAME.items()}


class StrictIn(Schema):
    model_config = ConfigDict(extra="forbid")


class CustomerRef(StrictIn):
    """Who the customer is: any of these; an existing customer is matched, not duplicated."""

    id: StrictInt | None = Field(None, ge=1, le=2**62, description="An existing customer's id")
    name: StrictStr = Field("", max_length=200, pattern=NO_NUL)
    phone: StrictStr = Field("", max_length=40, pattern=PHONE_PATTERN)
    email: StrictStr = Field("", max_length=254, pattern=EMAIL_PATTERN)
    external_id: StrictStr = Field("", max_length=254, pattern=NO_NUL)


class TicketIn(StrictIn):
    subject: StrictStr = Field(..., min_length=1, max_length=200, pattern=NOT_BLANK)
    body: StrictStr = Field(..., min_length=1, max_length=100_000, pattern=NOT_BLANK)
    channel: ChannelName = "api"
    type: TypeName = "inquiry"
    priority: PriorityName = "normal"
    customer: CustomerRef
    team_id: StrictInt | None = Field(None, ge=1, le=2**62)
    category_id: StrictInt | None = Field(None, ge=1, le=2**62)
    tags: list[Tag] = Field(default_factory=list, max_length=20)


class TicketPatch(StrictIn):
    """Fields to change; fields not sent are left alone, ``null`` clears where allowed."""

    subject: StrictStr | None = Field(None, min_length=1, max_length=200, pattern=NOT_BLANK)
    status: StatusName | None = None
    priority: PriorityName | None = None
    type: TypeName | None = None
    emotion: EmotionName | None = None
    category_id: StrictInt | None = Field(None, ge=1, le=2**62)
    owner_id: StrictInt | None = Field(None, ge=1, le=2**62)
    team_id: StrictInt | None = Field(None, ge=1, le=2**62)
    department_id: StrictInt | None = Field(None, ge=1, le=2**62)
    shared_department_ids: list[StrictInt] | None = Field(None, max_length=20)
    tags: list[Tag] | None = Field(None, max_length=20)
    need_statement: StrictStr | None = Field(None, max_length=5000, pattern=NO_NUL)
    need_confirmed: StrictBool | None = None
    solution: StrictStr | None = Field(None, max_length=10000, pattern=NO_NUL)


class MessageIn(StrictIn):
    kind: Literal["reply", "note", "customer"]
    body: StrictStr = Field(..., min_length=1, max_length=100_000, pattern=NOT_BLANK)
    channel: ChannelName | None = None


class CommitmentIn(StrictIn):
    description: StrictStr = Field(..., min_length=1, max_length=500, pattern=NOT_BLANK)
    due_at: datetime = Field(
        ...,
        description="With a time zone; in the future and no later than 2100-12-31",
    )


class CommitmentCancelIn(StrictIn):
    reason: StrictStr = Field(..., min_length=1, max_length=500, pattern=NOT_BLANK)


class Ref(Schema):
    id: int
    name: str


class UserRef(Schema):
    id: int
    username: str
    name: str


class CommitmentOut(Schema):
    id: int
    description: str
    due_at: datetime
    done_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str

    @staticmethod
    def of(commitment: Commitment) -> dict[str, Any]:
        return {
            "id": commitment.pk,
            "description": commitment.description,
            "due_at": commitment.due_at,
            "done_at": commitment.done_at,
            "cancelled_at": commitment.cancelled_at,
            "cancel_reason": commitment.cancel_reason,
        }


class TicketOut(Schema):
    number: int
    subject: str
    status: StatusName
    priority: PriorityName
    type: TypeName
    channel: ChannelName
    emotion: EmotionName
    category: Ref | None
    customer: Ref
    owner: UserRef | None
    team: Ref | None
    department: Ref | None
    tags: list[str]
    message_count: int
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    solved_at: datetime | None
    closed_at: datetime | None
    sla_state: SlaStateName = Field(
        ..., description="The most urgent SLA clock's state; empty when no policy applies"
    )
    sla_due_at: datetime | None = Field(
        ..., description="When the most urgent running SLA target is due (null: none running)"
    )


class TicketDetailOut(TicketOut):
    need_statement: str
    need_confirmed: bool
    solution: str
    commitments: list[CommitmentOut]
    shared_department_ids: list[int]
    close_reason: str
    merged_into: int | None
    linked: list[int]


class TicketPageOut(Schema):
    items: list[TicketOut]
    next_cursor: str | None
    previous_cursor: str | None


class TimelineItemOut(Schema):
    event_id: int
    verb: str
    occurred_at: datetime
    actor: UserRef | None
    message_id: int | None = None
    kind: Literal["customer", "reply", "note"] | None = None
    body: str | None = None
    data: dict[str, Any]


class TimelinePageOut(Schema):
    items: list[TimelineItemOut] = Field(..., description="Oldest first")
    next_cursor: str | None = Field(
        ..., description="Send as ?cursor= for the next (later) entries; null on the last page"
    )


class TimelineQuery(Schema):
    cursor: str | None = Field(
        None, max_length=500, pattern=NO_NUL, description="next_cursor of the previous page"
    )
    limit: int = Field(100, ge=1, le=200)


class ListQuery(Schema):
    view: ViewName = "all"
    status: list[StatusName] = Field(default_factory=list)
    priority: list[PriorityName] = Field(default_factory=list)
    type: list[TypeName] = Field(default_factory=list)
    channel: list[ChannelName] = Field(default_factory=list)
    category_id: int | None = Field(None, ge=1, le=2**62)
    owner_id: int | None = Field(None, ge=1, le=2**62)
    team_id: int | None = Field(None, ge=1, le=2**62)
    customer_id: int | None = Field(None, ge=1, le=2**62)
    tag: str = Field("", max_length=50, pattern=NO_NUL)
    created_from: str | None = Field(
        None, pattern=DATE_PATTERN, description="YYYY-MM-DD, from 2000-01-01 to 2100-12-31"
    )
    created_to: str | None = Field(
        None, pattern=DATE_PATTERN, description="YYYY-MM-DD, from 2000-01-01 to 2100-12-31"
    )
    sort: SortName = "-updated"
    cursor: str | None = Field(None, max_length=500, pattern=NO_NUL)
    limit: int = Field(25, ge=1, le=100)


def user_ref(user: Any) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "username": user.username, "name": str(user)}


def _ref(obj: Any) -> dict[str, Any] | None:
    return {"id": obj.pk, "name": str(obj)} if obj is not None else None


def ticket_out(ticket: Ticket) -> dict[str, Any]:
    return {
        "number": ticket.pk,
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": PRIORITY_NAME[ticket.priority],
        "type": ticket.kind,
        "channel": ticket.channel,
        "emotion": ticket.emotion,
        "category": _ref(ticket.category),
        "customer": {"id": ticket.customer.pk, "name": ticket.customer.name},
        "owner": user_ref(ticket.owner),
        "team": _ref(ticket.team),
        "department": _ref(ticket.department),
        "tags": sorted(t.name for t in ticket.tags.all()),
        "message_count": ticket.message_count,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "first_response_at": ticket.first_response_at,
        "solved_at": ticket.solved_at,
        "closed_at": ticket.closed_at,
        "sla_state": ticket.sla_state,
        "sla_due_at": ticket.sla_due_at,
    }


def ticket_detail_out(ticket: Ticket, *, linked: list[int] | None = None) -> dict[str, Any]:
    """``linked``: the linked tickets' numbers when the caller knows them (none, for a ticket
    created a moment ago); read otherwise."""
    return {
        **ticket_out(ticket),
        "need_statement": ticket.need_statement,
        "need_confirmed": ticket.is_need_confirmed,
        "solution": ticket.solution,
        "commitments": [CommitmentOut.of(c) for c in ticket.commitments.all()],
        "shared_department_ids": sorted(d.pk for d in ticket.shared_departments.all()),
        "close_reason": ticket.close_reason,
        "merged_into": ticket.merged_into_id,
        "linked": linked_numbers(ticket) if linked is None else linked,
    }


def timeline_item_out(entry: TimelineEntry) -> dict[str, Any]:
    message = entry.message
    return {
        "event_id": entry.event.pk,
        "verb": entry.event.verb,
        "occurred_at": entry.event.occurred_at,
        "actor": user_ref(entry.event.actor),
        "message_id": message.pk if message else None,
        "kind": message.kind if message else None,
        "body": message.body if message else None,
        "data": entry.event.data,
    }


def parse_day(value: str | None) -> date | None:
    """A YYYY-MM-DD query value as a date; a day that does not exist or lies outside
    2000–2100 is a 422."""
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError as exc:
        raise ValidationFailed(
            _("“%(value)s” is not a valid date."), code="invalid_date", value=value
        ) from exc
    return check_date(day, label=str(_("Date")))


# --- Collaboration tasks, call-backs, closing, delay notice -------------------------------


class TaskIn(StrictIn):
    department_id: StrictInt = Field(..., ge=1, le=2**62)
    description: StrictStr = Field(..., min_length=1, max_length=5000, pattern=NOT_BLANK)
    assignee_id: StrictInt | None = Field(
        None, ge=1, le=2**62, description="A member of the department (optional)"
    )


class TaskAnswerIn(StrictIn):
    answer: StrictStr = Field(..., min_length=1, max_length=10_000, pattern=NOT_BLANK)


class TaskAssignIn(StrictIn):
    assignee_id: StrictInt | None = Field(..., ge=1, le=2**62, description="null: nobody")


class ReasonIn(StrictIn):
    reason: StrictStr = Field(..., min_length=1, max_length=500, pattern=NOT_BLANK)


class CloseIn(StrictIn):
    reason: StrictStr = Field(
        "",
        max_length=500,
        pattern=NO_NUL,
        description="Why the ticket closes without a satisfied call-back (needed then)",
    )


class CallBackIn(StrictIn):
    outcome: OutcomeName
    note: StrictStr = Field("", max_length=2000, pattern=NO_NUL)
    retry_at: datetime | None = Field(
        None, description="Not reached only: when to try again (default four hours later)"
    )


class CommitmentMoveIn(StrictIn):
    due_at: datetime = Field(..., description="The new due time, with a time zone, in the future")
    reason: StrictStr = Field(
        ..., min_length=1, max_length=500, pattern=NOT_BLANK, description="Told to the customer"
    )


class TaskOut(Schema):
    id: int
    ticket: int
    department: Ref
    assignee: UserRef | None
    description: str
    state: TaskStateName
    due_at: datetime | None
    overdue_at: datetime | None
    answer: str
    answered_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str
    created_at: datetime

    @staticmethod
    def of(task: CollaborationTask) -> dict[str, Any]:
        return {
            "id": task.pk,
            "ticket": task.ticket_id,
            "department": _ref(task.department),
            "assignee": user_ref(task.assignee),
            "description": task.description,
            "state": task.state,
            "due_at": task.due_at,
            "overdue_at": task.overdue_at,
            "answer": task.answer,
            "answered_at": task.answered_at,
            "cancelled_at": task.cancelled_at,
            "cancel_reason": task.cancel_reason,
            "created_at": task.created_at,
        }


class TaskListOut(Schema):
    items: list[TaskOut]


class CallBackOut(Schema):
    id: int
    attempt: int
    due_at: datetime
    outcome: OutcomeName | Literal[""]
    note: str
    done_at: datetime | None
    cancelled_at: datetime | None

    @staticmethod
    def of(call_back: CallBack) -> dict[str, Any]:
        return {
            "id": call_back.pk,
            "attempt": call_back.attempt,
            "due_at": call_back.due_at,
            "outcome": call_back.outcome,
            "note": call_back.note,
            "done_at": call_back.done_at,
            "cancelled_at": call_back.cancelled_at,
        }


class CallBackListOut(Schema):
    items: list[CallBackOut]


class TaskQuery(Schema):
    state: Literal["open", "answered", "cancelled", "all"] = "open"
    department_id: int | None = Field(None, ge=1, le=2**62)
    mine: bool = False


class MergeIn(StrictIn):
    into: StrictInt = Field(..., ge=1, le=2**62, description="The ticket that survives")


class LinkIn(StrictIn):
    other: StrictInt = Field(..., ge=1, le=2**62, description="The related ticket")
