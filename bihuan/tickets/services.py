"""Ticket use cases: the only code that changes tickets, messages and commitments.

Each service runs in one transaction, locks the ticket row first (the fixed lock order is
ticket, then its children), checks its rules and raises a ``DomainError`` before writing,
saves with ``update_fields`` and records its event(s) in the same transaction.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bihuan.accounts.models import Department, Team, User
from bihuan.core.bidi import neutralise_bidi
from bihuan.core.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
    ValidationFailed,
)
from bihuan.core.events import notify, record_event
from bihuan.core.models import Tag
from bihuan.core.services import get_or_create_tags
from bihuan.core.text_search import index_text
from bihuan.core.time_window import check_datetime
from bihuan.customers.models import Customer
from bihuan.customers.services import ContactDetails, resolve_customer
from bihuan.tickets.choices import (
    NO_SLA_DUE,
    Channel,
    Emotion,
    MessageKind,
    Priority,
    SlaState,
    TicketStatus,
    TicketType,
)
from bihuan.tickets.loop_rules import check_status_change
from bihuan.tickets.models import Category, Commitment, Message, Ticket
from bihuan.tickets.permissions import can_work_ticket
from bihuan.tickets.state_machine import ON_CUSTOMER_MESSAGE, check_transition

MAX_SUBJECT = 200
MAX_BODY = 100_000
_MENTION = re.compile(r"@([\w.\-\u4e00-\u9fff]{1,50})")


def _clean_text(value: str, *, label: str, limit: int, required: bool = True) -> str:
    """The one check of every text a person or channel gives a ticket: trimmed, not empty,
    not too long, and without direction controls that would display it reversed."""
    text = neutralise_bidi(value).strip()
    if required and not text:
        raise ValidationFailed(_("%(field)s must not be empty."), code="empty", field=label)
    if len(text) > limit:
        raise ValidationFailed(
            _("%(field)s is longer than %(limit)s characters."),
            code="too_long",
            field=label,
            limit=limit,
        )
    return text


def _check_choice(value: Any, choices: Any, *, label: str) -> None:
    if value not in choices.values:
        raise ValidationFailed(
            _("“%(value)s” is not a valid %(field)s."),
            code="invalid_choice",
            value=value,
            field=label,
        )


def _lock(ticket: Ticket | int) -> Ticket:
    pk = ticket if isinstance(ticket, int) else ticket.pk
    locked = Ticket.objects.select_for_update().filter(pk=pk).first()
    if locked is None:
        raise NotFound(_("Ticket not found."))
    return locked


def _lock_open(ticket: Ticket | int) -> Ticket:
    """Lock the ticket for a change; a closed ticket is final and refuses every change."""
    locked = _lock(ticket)
    if locked.status == TicketStatus.CLOSED:
        raise Conflict(_("A closed ticket cannot change any more."), code="ticket_closed")
    return locked


def _require_worker(actor: User) -> None:
    if not can_work_ticket(actor):
        raise PermissionDenied(
            _("Your role may add internal notes to this ticket but not change it."),
            code="read_only_role",
        )


def ticket_version(ticket: Ticket) -> str:
    """An opaque tag that changes with every change of the ticket (the API's ``ETag``).

    Every service touches ``updated_at`` (to the microsecond) when it changes anything.
    """
    return f"{ticket.pk}-{int(ticket.updated_at.timestamp() * 1_000_000):x}"


# The fields each form of the ticket page shows: its version changes only when one of them
# does, so a note or a customer message arriving meanwhile does not block the agent's save.
FORM_FIELDS: dict[str, tuple[str, ...]] = {
    "panel": (
        "status",
        "priority",
        "kind",
        "emotion",
        "category_id",
        "owner_id",
        "team_id",
        "department_id",
        "shared_departments",
        "tags",
    ),
    "handling": ("need_statement", "is_need_confirmed", "solution"),
}


def form_version(ticket: Ticket, form: str) -> str:
    """A tag of the current values of the fields one form of the ticket page shows."""
    values: list[Any] = []
    for name in FORM_FIELDS[form]:
        if name == "shared_departments":
            values.append(sorted(d.pk for d in ticket.shared_departments.all()))
        elif name == "tags":
            values.append(sorted(t.name for t in ticket.tags.all()))
        else:
            values.append(getattr(ticket, name))
    digest = hashlib.sha256(json.dumps(values, ensure_ascii=False).encode()).hexdigest()
    return f"{form}-{digest[:20]}"


def _current_version(ticket: Ticket, expected: str) -> str:
    form = expected.partition("-")[0]
    return form_version(ticket, form) if form in FORM_FIELDS else ticket_version(ticket)


def _check_version(ticket: Ticket, expected: Collection[str] | None) -> None:
    """``expected`` holds the versions the caller saw: the API's ETag (the whole ticket) or
    a page form's ``form_version`` (the fields it shows)."""
    if expected is not None and not any(_current_version(ticket, v) == v for v in expected):
        raise PreconditionFailed(
            _(
                "This ticket was changed by someone else in the meantime; reload it to see "
                "the changes."
            ),
        )


@dataclass
class NewTicket:
    """What it takes to open a ticket: a first customer message and who sent it."""

    subject: str
    body: str
    channel: str = Channel.API
    kind: str = TicketType.INQUIRY
    priority: int = Priority.NORMAL
    customer: Customer | None = None
    contact: ContactDetails = field(default_factory=ContactDetails)
    team: Team | None = None
    category: Category | None = None
    tags: list[str] = field(default_factory=list)
    # Fields the creator chose on purpose; triage suggests but never overrides them.
    explicit_fields: tuple[str, ...] = ()


def create_ticket(new: NewTicket, *, actor: User | None) -> Ticket:
    """Open a ticket with its first customer message; the customer is matched, not duplicated.

    ``actor`` None is a channel (the customer wrote); a person must be allowed to work tickets.
    """
    if actor is not None:
        _require_worker(actor)
    subject = _clean_text(new.subject, label=str(_("Subject")), limit=MAX_SUBJECT)
    body = _clean_text(new.body, label=str(_("Message")), limit=MAX_BODY)
    _check_choice(new.channel, Channel, label=str(_("channel")))
    _check_choice(new.kind, TicketType, label=str(_("type")))
    _check_choice(new.priority, Priority, label=str(_("priority")))
    contact_identities = new.contact.identities()  # validate before any write
    if new.customer is None and not contact_identities and not new.contact.name.strip():
        raise ValidationFailed(
            _("A customer needs at least a name, phone, email or external id."),
            code="customer_required",
        )
    with transaction.atomic():
        customer = new.customer
        if customer is None:
            customer, _created = resolve_customer(new.contact, actor=actor)
        now = timezone.now()
        team = new.team
        ticket = Ticket.objects.create(
            subject=subject,
            subject_tokens=index_text(subject),
            channel=new.channel,
            kind=new.kind,
            priority=new.priority,
            customer=customer,
            team=team,
            department_id=team.department_id if team else None,
            category=new.category,
            created_at=now,
            updated_at=now,
            last_customer_message_at=now,
            message_count=1,
        )
        message = Message.objects.create(
            ticket=ticket,
            kind=MessageKind.CUSTOMER,
            body=body,
            customer=customer,
            channel=new.channel,
            search_tokens=index_text(body),
            created_at=now,
        )
        tags = list({tag.pk: tag for tag in get_or_create_tags(new.tags)}.values())
        if tags:  # one INSERT: a new ticket has no tags to compare with (``set`` reads them)
            Ticket.tags.through.objects.bulk_create(
                [Ticket.tags.through(ticket_id=ticket.pk, tag_id=tag.pk) for tag in tags]
            )
        record_event(
            "ticket.created",
            ticket,
            actor=actor,
            ticket_id=ticket.pk,
            customer_id=customer.pk,
            at=now,
            data={
                "subject": subject,
                "channel": new.channel,
                "kind": new.kind,
                "priority": new.priority,
                "message": message.pk,
                "explicit": sorted(new.explicit_fields),
            },
        )
    _known_as_created(ticket, tags)
    return ticket


def _known_as_created(ticket: Ticket, tags: list[Tag]) -> None:
    """Tell the ORM what a ticket created a moment ago holds — the tags just set, no
    shared departments, no commitments — and its department when the caller read the queue
    with it, so that showing the new ticket (the API's answer) reads none of them again."""
    team = ticket.team
    if team is not None and Team.department.is_cached(team):
        ticket.department = team.department
    cache = ticket.__dict__.setdefault("_prefetched_objects_cache", {})
    for name, rows in (("tags", tags), ("shared_departments", []), ("commitments", [])):
        known = getattr(ticket, name).all()
        known._result_cache = list(rows)
        known._prefetch_done = True
        cache[name] = known


def add_customer_message(
    ticket: Ticket, *, body: str, channel: str | None = None, actor: User | None = None
) -> Message:
    """Record a message from the customer; a solved ticket reopens, a waiting one resumes.

    A closed ticket is final: its loop is closed, so a new contact must open a new ticket.
    """
    body = _clean_text(body, label=str(_("Message")), limit=MAX_BODY)
    if channel is not None:
        _check_choice(channel, Channel, label=str(_("channel")))
    if actor is not None:
        _require_worker(actor)
    with transaction.atomic():
        locked = _lock(ticket)
        if locked.status == TicketStatus.CLOSED:
            raise Conflict(
                _("This ticket is closed; the customer's new contact needs a new ticket."),
                code="ticket_closed",
            )
        now = timezone.now()
        message = Message.objects.create(
            ticket=locked,
            kind=MessageKind.CUSTOMER,
            body=body,
            customer_id=locked.customer_id,
            channel=channel or locked.channel,
            search_tokens=index_text(body),
            created_at=now,
        )
        _message_added(locked, message, actor=actor, now=now)
        target = ON_CUSTOMER_MESSAGE.get(locked.status)
        fields = ["updated_at", "last_customer_message_at"]
        locked.last_customer_message_at = now
        if target is not None:
            before = locked.status
            locked.status = target
            locked.solved_at = None
            fields += ["status", "solved_at"]
            record_event(
                "ticket.status_changed",
                locked,
                actor=actor,
                ticket_id=locked.pk,
                customer_id=locked.customer_id,
                at=now,
                data={
                    "from": before,
                    "to": target,
                    "reason": "customer_message",
                    "reopened": before == TicketStatus.SOLVED,
                },
            )
        _touch(locked, now, fields)
    return message


def reply_to_customer(
    ticket: Ticket, *, body: str, actor: User, channel: str | None = None
) -> Message:
    """Reply to the customer; the first reply sets the first-response time.

    ``channel`` is the outbound channel the agent chose (default: the ticket's own); it is
    stored on the message, which is what a channel adapter sends it by."""
    body = _clean_text(body, label=str(_("Reply")), limit=MAX_BODY)
    if channel is not None:
        _check_choice(channel, Channel, label=str(_("channel")))
    _require_worker(actor)
    with transaction.atomic():
        locked = _lock_open(ticket)
        now = timezone.now()
        message = Message.objects.create(
            ticket=locked,
            kind=MessageKind.REPLY,
            body=body,
            author=actor,
            channel=channel or locked.channel,
            search_tokens=index_text(body),
            created_at=now,
        )
        _message_added(locked, message, actor=actor, now=now)
        fields = ["updated_at"]
        if locked.first_response_at is None:
            locked.first_response_at = now
            fields.append("first_response_at")
        if locked.status == TicketStatus.NEW:
            locked.status = TicketStatus.OPEN
            fields.append("status")
            record_event(
                "ticket.status_changed",
                locked,
                actor=actor,
                ticket_id=locked.pk,
                customer_id=locked.customer_id,
                at=now,
                data={"from": TicketStatus.NEW, "to": TicketStatus.OPEN, "reason": "reply"},
            )
        if locked.owner_id is None and actor.role != "department_member":
            # 首问负责制: whoever answers an unowned ticket first owns it.
            locked.owner = actor
            fields.append("owner")
            record_event(
                "ticket.assigned",
                locked,
                actor=actor,
                ticket_id=locked.pk,
                customer_id=locked.customer_id,
                at=now,
                data={"from": None, "to": actor.pk, "reason": "first_reply"},
            )
        _touch(locked, now, fields)
    return message


def add_internal_note(ticket: Ticket, *, body: str, actor: User) -> Message:
    """Add an internal note; each @mentioned colleague follows the ticket and is notified."""
    body = _clean_text(body, label=str(_("Note")), limit=MAX_BODY)
    with transaction.atomic():
        locked = _lock_open(ticket)
        now = timezone.now()
        mentioned = _mentioned_users(body, exclude=actor)
        message = Message.objects.create(
            ticket=locked,
            kind=MessageKind.NOTE,
            body=body,
            author=actor,
            channel=locked.channel,
            search_tokens=index_text(body),
            created_at=now,
        )
        event = _message_added(
            locked, message, actor=actor, now=now, mentions=[u.pk for u in mentioned]
        )
        if mentioned:
            locked.followers.add(*mentioned)
            notify(event, mentioned)
        _touch(locked, now, ["updated_at"])
    return message


def _mentioned_users(body: str, *, exclude: User) -> list[User]:
    names = set(_MENTION.findall(body))
    if not names:
        return []
    users = User.objects.filter(is_active=True).exclude(pk=exclude.pk)
    found = list(users.filter(username__in=names)) + list(users.filter(display_name__in=names))
    return list({u.pk: u for u in found}.values())


def _message_added(
    ticket: Ticket,
    message: Message,
    *,
    actor: User | None,
    now: datetime,
    mentions: list[int] | None = None,
) -> Any:
    Ticket.objects.filter(pk=ticket.pk).update(message_count=F("message_count") + 1)
    data: dict[str, Any] = {"message": message.pk, "kind": message.kind}
    if mentions:
        data["mentions"] = mentions
    return record_event(
        "ticket.message_added",
        ticket,
        actor=actor,
        ticket_id=ticket.pk,
        customer_id=ticket.customer_id,
        at=now,
        data=data,
    )


def _touch(ticket: Ticket, now: datetime, fields: list[str]) -> None:
    ticket.updated_at = now
    ticket.save(update_fields=sorted(set(fields) | {"updated_at"}))


def change_status(ticket: Ticket, *, status: str, actor: User, close_reason: str = "") -> Ticket:
    """Move the ticket to ``status`` if the state machine and the loop's rules allow it
    (``loop_rules``: no open task, and to close: commitments settled and the customer called
    back, or ``close_reason`` saying why not)."""
    _require_worker(actor)
    close_reason = _clean_text(close_reason, label=str(_("Reason")), limit=500, required=False)
    with transaction.atomic():
        locked = _lock(ticket)
        _apply_status(locked, status, actor=actor, now=timezone.now(), close_reason=close_reason)
    return locked


def _apply_status(
    ticket: Ticket,
    status: str,
    *,
    actor: User | None,
    now: datetime,
    close_reason: str = "",
    reason: str = "",
) -> None:
    check_transition(ticket.status, status)
    check_status_change(ticket, status, close_reason=close_reason)
    before = ticket.status
    ticket.status = status
    fields = ["status"]
    extra: dict[str, Any] = {}
    if status == TicketStatus.CLOSED and close_reason:
        ticket.close_reason = close_reason
        fields.append("close_reason")
        extra["close_reason"] = close_reason
    if reason:
        extra["reason"] = reason
    if status == TicketStatus.SOLVED:
        ticket.solved_at = now
        fields.append("solved_at")
    elif status == TicketStatus.CLOSED:
        ticket.closed_at = now
        fields.append("closed_at")
    elif before == TicketStatus.SOLVED:
        ticket.solved_at = None
        fields.append("solved_at")
    record_event(
        "ticket.status_changed",
        ticket,
        actor=actor,
        ticket_id=ticket.pk,
        customer_id=ticket.customer_id,
        at=now,
        data={
            "from": before,
            "to": status,
            "reopened": before == TicketStatus.SOLVED and status != TicketStatus.CLOSED,
            **extra,
        },
    )
    _touch(ticket, now, fields)


_UNSET: Any = object()


@dataclass
class TicketChanges:
    """Fields to change on a ticket; a field left ``_UNSET`` is not touched."""

    status: Any = _UNSET
    priority: Any = _UNSET
    kind: Any = _UNSET
    category: Any = _UNSET  # Category | None
    owner: Any = _UNSET  # User | None
    team: Any = _UNSET  # Team | None
    department: Any = _UNSET  # Department | None
    shared_departments: Any = _UNSET  # list[Department]
    tags: Any = _UNSET  # list[str]
    emotion: Any = _UNSET  # str ("" clears)
    subject: Any = _UNSET

    def is_empty(self) -> bool:
        return all(getattr(self, f) is _UNSET for f in self.__dataclass_fields__)


def update_ticket(ticket: Ticket, changes: TicketChanges, *, actor: User) -> Ticket:
    """Change any set of fields at once, with the same rules as each single change.

    Everything is validated first; if one value is refused, nothing is changed. The status
    change (if any) is applied last so the state machine sees the other fields' new values.
    """
    _require_worker(actor)
    return _update_ticket(ticket, changes, actor=actor, reason="manual")


def apply_automatic_changes(
    ticket: Ticket, changes: TicketChanges, *, reason: str, details: dict[str, Any] | None = None
) -> Ticket:
    """Changes decided by the system (triage, routing, assignment), recorded without an actor
    and with ``reason`` so the timeline says why. Status changes are not allowed here."""
    if changes.status is not _UNSET:
        raise ValidationFailed(_("Automatic changes cannot change the status."), code="invalid")
    return _update_ticket(ticket, changes, actor=None, reason=reason, details=details)


def _update_ticket(
    ticket: Ticket,
    changes: TicketChanges,
    *,
    actor: User | None,
    reason: str,
    details: dict[str, Any] | None = None,
) -> Ticket:
    if changes.priority is not _UNSET:
        _check_choice(changes.priority, Priority, label=str(_("priority")))
    if changes.kind is not _UNSET:
        _check_choice(changes.kind, TicketType, label=str(_("type")))
    if changes.emotion is not _UNSET and changes.emotion != "":
        _check_choice(changes.emotion, Emotion, label=str(_("emotion")))
    if changes.owner is not _UNSET and changes.owner is not None:
        owner = changes.owner
        if not owner.is_active or owner.role == "department_member":
            raise ValidationFailed(
                _("%(name)s cannot own tickets."), code="invalid_owner", name=str(owner)
            )
    subject = None
    if changes.subject is not _UNSET:
        subject = _clean_text(changes.subject, label=str(_("Subject")), limit=MAX_SUBJECT)
    with transaction.atomic():
        locked = _lock_open(ticket)
        if changes.status is not _UNSET and changes.status != locked.status:
            check_transition(locked.status, changes.status)
        now = timezone.now()
        diff: dict[str, list[Any]] = {}
        fields: list[str] = []

        def put(name: str, column: str, before: Any, after: Any, value: Any) -> None:
            if before != after:
                diff[name] = [before, after]
                setattr(locked, name, value)
                fields.append(column)

        if changes.priority is not _UNSET:
            put("priority", "priority", locked.priority, changes.priority, changes.priority)
        if changes.kind is not _UNSET:
            put("kind", "kind", locked.kind, changes.kind, changes.kind)
        if changes.emotion is not _UNSET:
            put("emotion", "emotion", locked.emotion, changes.emotion, changes.emotion)
        if subject is not None:
            if subject != locked.subject:
                locked.subject_tokens = index_text(subject)
                fields.append("subject_tokens")
            put("subject", "subject", locked.subject, subject, subject)
        if changes.category is not _UNSET:
            after = changes.category.pk if changes.category else None
            put("category", "category", locked.category_id, after, changes.category)
        if changes.team is not _UNSET:
            after = changes.team.pk if changes.team else None
            put("team", "team", locked.team_id, after, changes.team)
        if changes.department is not _UNSET:
            after = changes.department.pk if changes.department else None
            put("department", "department", locked.department_id, after, changes.department)
        if diff:
            data: dict[str, Any] = {"changes": diff}
            if reason != "manual":
                data["reason"] = reason
            if details:
                data["details"] = details
            record_event(
                "ticket.updated",
                locked,
                actor=actor,
                ticket_id=locked.pk,
                customer_id=locked.customer_id,
                at=now,
                data=data,
            )
        if changes.owner is not _UNSET:
            after = changes.owner.pk if changes.owner else None
            if after != locked.owner_id:
                record_event(
                    "ticket.assigned",
                    locked,
                    actor=actor,
                    ticket_id=locked.pk,
                    customer_id=locked.customer_id,
                    at=now,
                    data={
                        "from": locked.owner_id,
                        "to": after,
                        "reason": reason,
                        **(details or {}),
                    },
                )
                locked.owner = changes.owner
                fields.append("owner")
                if changes.owner is not None and (actor is None or changes.owner.pk != actor.pk):
                    event = record_event(
                        "ticket.assigned_to_you",
                        locked,
                        actor=actor,
                        ticket_id=locked.pk,
                        customer_id=locked.customer_id,
                        at=now,
                    )
                    notify(event, [changes.owner])
        if changes.tags is not _UNSET:
            _set_tags(locked, changes.tags, actor=actor, now=now)
        if changes.shared_departments is not _UNSET:
            _set_shared_departments(locked, changes.shared_departments, actor=actor, now=now)
        if fields:
            _touch(locked, now, fields)
        if changes.status is not _UNSET and changes.status != locked.status and actor is not None:
            _apply_status(locked, changes.status, actor=actor, now=now)
    return locked


def _set_tags(ticket: Ticket, names: list[str], *, actor: User | None, now: datetime) -> None:
    before = sorted(ticket.tags.values_list("name", flat=True))
    tags = get_or_create_tags(names)
    after = sorted({t.name for t in tags})
    if before == after:
        return
    ticket.tags.set(tags)
    record_event(
        "ticket.updated",
        ticket,
        actor=actor,
        ticket_id=ticket.pk,
        customer_id=ticket.customer_id,
        at=now,
        data={"changes": {"tags": [before, after]}},
    )
    _touch(ticket, now, [])


def _set_shared_departments(
    ticket: Ticket, departments: list[Department], *, actor: User | None, now: datetime
) -> None:
    before = sorted(ticket.shared_departments.values_list("pk", flat=True))
    after = sorted({d.pk for d in departments})
    if before == after:
        return
    ticket.shared_departments.set(departments)
    record_event(
        "ticket.updated",
        ticket,
        actor=actor,
        ticket_id=ticket.pk,
        customer_id=ticket.customer_id,
        at=now,
        data={"changes": {"shared_departments": [before, after]}},
    )
    heads = [d.head for d in departments if d.pk not in before and d.head_id]
    if heads:
        event = record_event(
            "ticket.shared_with_department",
            ticket,
            actor=actor,
            ticket_id=ticket.pk,
            customer_id=ticket.customer_id,
            at=now,
            data={"departments": [pk for pk in after if pk not in before]},
        )
        notify(event, heads)
    _touch(ticket, now, [])


def record_need(ticket: Ticket, *, statement: str, is_confirmed: bool, actor: User) -> Ticket:
    """需求确认: the agent's restatement of the need, and whether the customer confirmed it."""
    _require_worker(actor)
    statement = _clean_text(statement, label=str(_("Confirmed need")), limit=5000)
    with transaction.atomic():
        locked = _lock_open(ticket)
        if statement == locked.need_statement and is_confirmed == locked.is_need_confirmed:
            return locked
        now = timezone.now()
        record_event(
            "ticket.need_recorded",
            locked,
            actor=actor,
            ticket_id=locked.pk,
            customer_id=locked.customer_id,
            at=now,
            data={
                "statement": statement,
                "confirmed": is_confirmed,
                "before": {
                    "statement": locked.need_statement,
                    "confirmed": locked.is_need_confirmed,
                },
            },
        )
        locked.need_statement = statement
        locked.is_need_confirmed = is_confirmed
        _touch(locked, now, ["need_statement", "is_need_confirmed"])
    return locked


def record_solution(ticket: Ticket, *, solution: str, actor: User) -> Ticket:
    """The solution given to the customer (处理方案), kept for the communication record."""
    _require_worker(actor)
    solution = _clean_text(solution, label=str(_("Solution")), limit=10000)
    with transaction.atomic():
        locked = _lock_open(ticket)
        if solution == locked.solution:
            return locked
        now = timezone.now()
        record_event(
            "ticket.solution_recorded",
            locked,
            actor=actor,
            ticket_id=locked.pk,
            customer_id=locked.customer_id,
            at=now,
            data={"solution": solution, "before": locked.solution},
        )
        locked.solution = solution
        _touch(locked, now, ["solution"])
    return locked


def add_commitment(
    ticket: Ticket, *, description: str, due_at: datetime, actor: User
) -> Commitment:
    """关键承诺: promise the customer something by ``due_at`` (a future time in the window)."""
    _require_worker(actor)
    description = _clean_text(description, label=str(_("Commitment")), limit=500)
    check_datetime(due_at, label=str(_("Due at")))
    if due_at <= timezone.now():
        raise ValidationFailed(_("A commitment must be due in the future."), code="due_in_the_past")
    with transaction.atomic():
        locked = _lock_open(ticket)
        now = timezone.now()
        commitment = Commitment.objects.create(
            ticket=locked, description=description, due_at=due_at, created_by=actor, created_at=now
        )
        record_event(
            "ticket.commitment_added",
            locked,
            actor=actor,
            ticket_id=locked.pk,
            customer_id=locked.customer_id,
            at=now,
            data={
                "commitment": commitment.pk,
                "description": description,
                "due_at": due_at.isoformat(),
            },
        )
        _touch(locked, now, [])
    return commitment


def complete_commitment(commitment: Commitment, *, actor: User) -> Commitment:
    """Mark a commitment as kept."""
    _require_worker(actor)
    with transaction.atomic():
        locked_ticket = _lock_open(commitment.ticket_id)
        locked = Commitment.objects.select_for_update().get(pk=commitment.pk)
        _check_commitment_open(locked)
        now = timezone.now()
        locked.done_at = now
        locked.save(update_fields=["done_at"])
        record_event(
            "ticket.commitment_done",
            locked_ticket,
            actor=actor,
            ticket_id=locked_ticket.pk,
            customer_id=locked_ticket.customer_id,
            at=now,
            data={"commitment": locked.pk, "description": locked.description},
        )
        _touch(locked_ticket, now, [])
    return locked


def _check_commitment_open(commitment: Commitment) -> None:
    if commitment.done_at is not None:
        raise Conflict(_("This commitment is already done."), code="already_done")
    if commitment.cancelled_at is not None:
        raise Conflict(_("This commitment was cancelled."), code="already_cancelled")


def cancel_commitment(commitment: Commitment, *, reason: str, actor: User) -> Commitment:
    """Withdraw a commitment that will not be kept, saying why (the customer is told why)."""
    _require_worker(actor)
    reason = _clean_text(reason, label=str(_("Reason")), limit=500)
    with transaction.atomic():
        locked_ticket = _lock_open(commitment.ticket_id)
        locked = Commitment.objects.select_for_update().get(pk=commitment.pk)
        _check_commitment_open(locked)
        now = timezone.now()
        locked.cancelled_at = now
        locked.cancel_reason = reason
        locked.save(update_fields=["cancelled_at", "cancel_reason"])
        record_event(
            "ticket.commitment_cancelled",
            locked_ticket,
            actor=actor,
            ticket_id=locked_ticket.pk,
            customer_id=locked_ticket.customer_id,
            at=now,
            data={"commitment": locked.pk, "description": locked.description, "reason": reason},
        )
        _touch(locked_ticket, now, [])
    return locked


def set_sla_status(ticket_id: int, *, state: str, due_at: datetime | None) -> int:
    """Copy the ticket's most urgent SLA clock onto it (state, due instant, sort key).

    Called by the sla app inside its own transaction, which records the clock events; this is
    a derived copy for lists and sorting, so it records none and leaves ``updated_at`` alone.
    Returns the number of rows changed (0 when the copy is already current).
    """
    sort_key = _sla_sort_key(state, due_at)
    current = Q(sla_state=state, sla_sort_key=sort_key) & (
        Q(sla_due_at=due_at) if due_at is not None else Q(sla_due_at__isnull=True)
    )
    return (
        Ticket.objects.filter(pk=ticket_id)
        .exclude(current)
        .update(sla_state=state, sla_due_at=due_at, sla_sort_key=sort_key)
    )


def set_sla_statuses(statuses: Mapping[int, tuple[str, datetime | None]]) -> int:
    """``set_sla_status`` for many tickets in one statement: ``{ticket id: (state, due)}``
    (the sla app's batch of new tickets, whose copy is never current yet)."""
    rows = [
        Ticket(pk=pk, sla_state=state, sla_due_at=due, sla_sort_key=_sla_sort_key(state, due))
        for pk, (state, due) in statuses.items()
    ]
    return Ticket.objects.bulk_update(rows, ["sla_state", "sla_due_at", "sla_sort_key"])


def _sla_sort_key(state: str, due_at: datetime | None) -> int:
    """The list sort key of an SLA copy (soonest due first, none last); refuses an unknown
    state, so that both setters check it."""
    if state and state not in SlaState.values:
        raise ValidationFailed(_("Unknown SLA state."), code="invalid_sla_state")
    return int(due_at.timestamp()) if due_at is not None else NO_SLA_DUE


# What a request may name by id, as the refusal calls it (translated).
REFERENCE_LABELS = {
    "category": _("category"),
    "owner": _("owner"),
    "team": _("queue"),
    "department": _("department"),
    "customer": _("customer"),
    "ticket": _("ticket"),
}


def unknown_reference(kind: str, pk: Any) -> ValidationFailed:
    """The one refusal for an id that names nothing (or nothing the caller may see): the same
    status and code whatever kind of object it is."""
    return ValidationFailed(
        _("There is no %(field)s with id %(id)s."),
        code="unknown_reference",
        field=REFERENCE_LABELS[kind],
        id=pk,
    )


def get_or_invalid(model: Any, pk: int | None, *, label: str, related: tuple[str, ...] = ()) -> Any:
    """The row of ``model`` named by ``pk`` in a request (None stays None), or a 422;
    ``related``: foreign keys to read in the same query.

    ``label`` is a key of ``REFERENCE_LABELS``.
    """
    if pk is None:
        return None
    rows = model.objects.select_related(*related) if related else model.objects.all()
    obj = rows.filter(pk=pk).first()
    if obj is None:
        raise unknown_reference(label, pk)
    return obj


def changes_from_ids(values: dict[str, Any]) -> TicketChanges:
    """Build ``TicketChanges`` from API/form values that name related rows by id.

    Keys present in ``values`` are changes (``None`` clears); unknown ids are refused.
    """
    changes = TicketChanges()
    simple = {"status": "status", "priority": "priority", "type": "kind", "kind": "kind"}
    for key, attr in simple.items():
        if key in values and values[key] is not None:
            setattr(changes, attr, values[key])
    if "emotion" in values and values["emotion"] is not None:
        changes.emotion = values["emotion"]
    if "subject" in values and values["subject"] is not None:
        changes.subject = values["subject"]
    if "tags" in values and values["tags"] is not None:
        changes.tags = list(values["tags"])
    if "category_id" in values:
        changes.category = get_or_invalid(Category, values["category_id"], label="category")
    if "owner_id" in values:
        owner = get_or_invalid(User, values["owner_id"], label="owner")
        changes.owner = owner
    if "team_id" in values:
        changes.team = get_or_invalid(Team, values["team_id"], label="team")
    if "department_id" in values:
        changes.department = get_or_invalid(Department, values["department_id"], label="department")
    if "shared_department_ids" in values and values["shared_department_ids"] is not None:
        ids = list(values["shared_department_ids"])
        found = list(Department.objects.filter(pk__in=ids))
        if len(found) != len(set(ids)):
            raise unknown_reference("department", sorted(set(ids) - {d.pk for d in found})[0])
        changes.shared_departments = found
    return changes


def patch_ticket(
    ticket: Ticket,
    changes: TicketChanges,
    *,
    actor: User,
    need_statement: str | None = None,
    need_confirmed: bool | None = None,
    solution: str | None = None,
    expected_versions: Collection[str] | None = None,
) -> Ticket:
    """Apply field changes, the confirmed need and the solution in one transaction.

    With ``expected_versions`` (the ``If-Match`` of the API, the version the page was shown
    with), a ticket changed since then refuses with 412 and nothing is written.
    """
    _require_worker(actor)
    with transaction.atomic():
        _check_version(_lock(ticket), expected_versions)
        if need_statement is not None or need_confirmed is not None:
            current = _lock(ticket)
            record_need(
                current,
                statement=need_statement if need_statement is not None else current.need_statement,
                is_confirmed=(
                    need_confirmed if need_confirmed is not None else current.is_need_confirmed
                ),
                actor=actor,
            )
        if solution is not None:
            record_solution(ticket, solution=solution, actor=actor)
        if not changes.is_empty():
            update_ticket(ticket, changes, actor=actor)
        return _lock(ticket)
