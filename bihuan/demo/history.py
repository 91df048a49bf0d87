"""Demo history written exactly as the services would have written it, but in the past.

The ticket and customer services stamp every row and event with ``timezone.now()``; a demo
needs 90 days of past. So the demo builds the rows itself, and **this module is the one place
that mirrors what each service records**: the fields it sets, the events (verb, actor, data,
anchors) in the order it writes them, the followers it adds and the notifications it sends.
Each method names the service it mirrors; when a service changes what it records, change the
method here (``bihuan/demo/tests`` compares the two on a real ticket).

Nothing is written to the database here: rows are collected unsaved and ``DemoWriter`` (in
``generate``) inserts them in bulk, in time order, once their primary keys can be known.
Transitions are checked with the real state machine, and the other refusals of the services
(a closed ticket is final…) raise ``ImpossibleStep``, so a demo story cannot do what the
product would refuse.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from bihuan.accounts.choices import Role
from bihuan.accounts.models import Department, Team, User
from bihuan.core.text_search import _TOKEN, tokens
from bihuan.customers.models import Customer, CustomerIdentity
from bihuan.tickets.choices import MessageKind, TicketStatus
from bihuan.tickets.models import Category, Commitment, Message, Ticket
from bihuan.tickets.services import _MENTION
from bihuan.tickets.state_machine import ON_CUSTOMER_MESSAGE, check_transition


@lru_cache(maxsize=2**16)
def _chunk_tokens(chunk: str) -> tuple[str, ...]:
    return tuple(tokens(chunk))


def index_text(text: str) -> str:
    """``core.text_search.index_text``, memoised per chunk: the same string, several times
    faster on templated text. ``tokens`` segments each run of word characters on its own, so
    segmenting the runs one by one gives the same tokens (``test_demo`` checks it)."""
    return " ".join(t for chunk in _TOKEN.findall(text.lower()) for t in _chunk_tokens(chunk))


class ImpossibleStep(Exception):
    """A demo story tried something the services would refuse."""


@dataclass
class PendingEvent:
    """An event row waiting for the primary keys it refers to."""

    seq: int
    verb: str
    at: datetime
    actor: User | None
    data: dict[str, Any]
    customer: Customer
    ticket: Ticket | None = None  # the subject for ticket.* verbs, else the customer
    message: Message | None = None  # data["message"] becomes its pk
    commitment: Commitment | None = None  # data["commitment"] becomes its pk
    recipients: list[User] = field(default_factory=list)  # notified users


class EventLog:
    """Every pending event of the demo, in the order the services would have recorded them."""

    def __init__(self) -> None:
        self.events: list[PendingEvent] = []

    def record(
        self,
        verb: str,
        *,
        at: datetime,
        actor: User | None,
        customer: Customer,
        ticket: Ticket | None = None,
        data: dict[str, Any] | None = None,
        message: Message | None = None,
        commitment: Commitment | None = None,
    ) -> PendingEvent:
        """Mirror of ``core.events.record_event`` (an actor without a pk is recorded as None)."""
        event = PendingEvent(
            seq=len(self.events),
            verb=verb,
            at=at,
            actor=actor if actor is not None and actor.pk else None,
            data=data or {},
            customer=customer,
            ticket=ticket,
            message=message,
            commitment=commitment,
        )
        self.events.append(event)
        return event

    @staticmethod
    def notify(event: PendingEvent, recipients: list[User | None]) -> None:
        """Mirror of ``core.events.notify``: one notification per distinct user."""
        for user in {u.pk: u for u in recipients if u is not None}.values():
            if all(r.pk != user.pk for r in event.recipients):
                event.recipients.append(user)

    # --- customers.services ------------------------------------------------------------

    def customer_created(
        self,
        customer: Customer,
        identities: list[CustomerIdentity],
        *,
        at: datetime,
        actor: User | None,
    ) -> PendingEvent:
        """``resolve_customer`` creating a customer: the row, its identities, one event.

        A new customer's first identities get no event of their own; the first of each kind
        is primary. ``create_customer`` (staff) then sets organisation and tier without an
        event of their own; a first contact (``create_ticket``) passes its own actor.
        """
        customer.created_at = at
        customer.updated_at = at
        seen: set[str] = set()
        for identity in identities:
            identity.customer = customer
            identity.created_at = at
            identity.is_primary = identity.kind not in seen
            seen.add(identity.kind)
        return self.record(
            "customer.created", at=at, actor=actor, customer=customer, data={"name": customer.name}
        )

    def customer_identity_added(
        self, customer: Customer, identity: CustomerIdentity, *, at: datetime
    ) -> None:
        """``resolve_customer`` meeting a known customer under a new phone/email: not primary."""
        identity.customer = customer
        identity.created_at = at
        identity.is_primary = False
        self.record(
            "customer.identity_added",
            at=at,
            actor=None,
            customer=customer,
            data={"kind": identity.kind, "value": identity.value},
        )

    def customer_updated(
        self,
        customer: Customer,
        *,
        at: datetime,
        actor: User,
        tier: str | None = None,
        lifecycle_stage: str | None = None,
        advisor: User | None = None,
    ) -> None:
        """``update_customer``: changed fields as [before, after], one event."""
        changes: dict[str, list[object]] = {}
        if tier is not None and tier != customer.tier:
            changes["tier"] = [customer.tier, tier]
            customer.tier = tier
        if lifecycle_stage is not None and lifecycle_stage != customer.lifecycle_stage:
            changes["lifecycle_stage"] = [customer.lifecycle_stage, lifecycle_stage]
            customer.lifecycle_stage = lifecycle_stage
        if advisor is not None and advisor.pk != customer.advisor_id:
            changes["advisor"] = [customer.advisor_id, advisor.pk]
            customer.advisor = advisor
        if not changes:
            return
        customer.updated_at = at
        self.record("customer.updated", at=at, actor=actor, customer=customer, data=changes)


class TicketHistory:
    """One ticket's rows and events, built step by step as the ticket services would."""

    def __init__(self, log: EventLog, staff: list[User]) -> None:
        self.log = log
        self.staff = staff
        self.ticket = Ticket()
        self.customer = Customer()
        self.messages: list[Message] = []
        self.commitments: list[Commitment] = []
        self.tags: list[str] = []
        self.shared: list[Department] = []
        self.followers: list[User] = []
        self.created_by: User | None = None

    @property
    def status(self) -> str:
        return str(self.ticket.status)

    def _event(
        self,
        verb: str,
        at: datetime,
        actor: User | None,
        data: dict[str, Any] | None = None,
        **refs: Any,
    ) -> PendingEvent:
        return self.log.record(
            verb,
            at=at,
            actor=actor,
            customer=self.customer,
            ticket=self.ticket,
            data=data,
            **refs,
        )

    def _refuse_if_closed(self, what: str) -> None:
        if self.ticket.status == TicketStatus.CLOSED:
            raise ImpossibleStep(f"{what} on a closed ticket")

    def _require_worker(self, actor: User) -> None:
        if actor.role == Role.DEPARTMENT_MEMBER:
            raise ImpossibleStep(f"{actor.username} may only add notes")

    def _touch(self, at: datetime) -> None:
        if at < self.ticket.updated_at:
            raise ImpossibleStep("steps must be in time order")
        self.ticket.updated_at = at

    def _message(self, kind: str, body: str, at: datetime, author: User | None) -> Message:
        message = Message(
            ticket=self.ticket,
            kind=kind,
            body=body,
            author=author,
            customer=self.customer if kind == MessageKind.CUSTOMER else None,
            channel=self.ticket.channel,
            search_tokens=index_text(body),
            created_at=at,
        )
        self.messages.append(message)
        return message

    def _message_added(
        self, message: Message, at: datetime, actor: User | None, mentions: list[int] | None = None
    ) -> PendingEvent:
        """``tickets.services._message_added``: count the message, record it."""
        self.ticket.message_count += 1
        data: dict[str, Any] = {"message": None, "kind": message.kind}
        if mentions:
            data["mentions"] = mentions
        return self._event("ticket.message_added", at, actor, data, message=message)

    # --- tickets.services ---------------------------------------------------------------

    def create(
        self,
        *,
        customer: Customer,
        subject: str,
        body: str,
        channel: str,
        kind: str,
        priority: int,
        team: Team | None,
        category: Category | None,
        tags: list[str],
        at: datetime,
        actor: User | None,
        explicit: tuple[str, ...] = (),
    ) -> None:
        """``create_ticket``: the ticket, its first customer message, ``ticket.created``.

        ``explicit``: the fields the creator chose on purpose (``NewTicket.explicit_fields``),
        which triage then never overrides.
        """
        self.customer = customer
        self.created_by = actor
        self.ticket = Ticket(
            subject=subject,
            subject_tokens=index_text(subject),
            channel=channel,
            kind=kind,
            priority=priority,
            customer=customer,
            team=team,
            department_id=team.department_id if team else None,
            category=category,
            created_at=at,
            updated_at=at,
            last_customer_message_at=at,
            message_count=1,
        )
        message = self._message(MessageKind.CUSTOMER, body, at, None)
        self.tags = sorted(set(tags))
        self._event(
            "ticket.created",
            at,
            actor,
            {
                "subject": subject,
                "channel": channel,
                "kind": kind,
                "priority": priority,
                "message": None,
                "explicit": sorted(explicit),
            },
            message=message,
        )

    def customer_message(self, body: str, *, at: datetime) -> None:
        """``add_customer_message``: a solved ticket reopens, a waiting one resumes."""
        self._refuse_if_closed("a customer message")
        message = self._message(MessageKind.CUSTOMER, body, at, None)
        self._message_added(message, at, None)
        self.ticket.last_customer_message_at = at
        target = ON_CUSTOMER_MESSAGE.get(self.status)
        if target is not None:
            before = self.status
            self.ticket.status = target
            self.ticket.solved_at = None
            self._event(
                "ticket.status_changed",
                at,
                None,
                {
                    "from": before,
                    "to": target,
                    "reason": "customer_message",
                    "reopened": before == TicketStatus.SOLVED,
                },
            )
        self._touch(at)

    def reply(self, body: str, *, at: datetime, actor: User) -> None:
        """``reply_to_customer``: first response time, new → open, 首问负责制 ownership."""
        self._require_worker(actor)
        self._refuse_if_closed("a reply")
        message = self._message(MessageKind.REPLY, body, at, actor)
        self._message_added(message, at, actor)
        if self.ticket.first_response_at is None:
            self.ticket.first_response_at = at
        if self.status == TicketStatus.NEW:
            self.ticket.status = TicketStatus.OPEN
            self._event(
                "ticket.status_changed",
                at,
                actor,
                {"from": TicketStatus.NEW, "to": TicketStatus.OPEN, "reason": "reply"},
            )
        if self.ticket.owner_id is None and actor.role != Role.DEPARTMENT_MEMBER:
            self.ticket.owner = actor
            self._event(
                "ticket.assigned",
                at,
                actor,
                {"from": None, "to": actor.pk, "reason": "first_reply"},
            )
        self._touch(at)

    def note(self, body: str, *, at: datetime, actor: User) -> None:
        """``add_internal_note``: @mentioned colleagues follow the ticket and are notified."""
        mentioned = self._mentioned_users(body, exclude=actor)
        message = self._message(MessageKind.NOTE, body, at, actor)
        event = self._message_added(message, at, actor, mentions=[u.pk for u in mentioned])
        if mentioned:
            for user in mentioned:
                if all(f.pk != user.pk for f in self.followers):
                    self.followers.append(user)
            self.log.notify(event, list(mentioned))
        self._touch(at)

    def _mentioned_users(self, body: str, *, exclude: User) -> list[User]:
        """``tickets.services._mentioned_users``: by username, then by display name."""
        names = set(_MENTION.findall(body))
        if not names:
            return []
        users = [u for u in self.staff if u.is_active and u.pk != exclude.pk]
        found = [u for u in users if u.username in names]
        found += [u for u in users if u.display_name in names]
        return list({u.pk: u for u in found}.values())

    def change_status(
        self, status: str, *, at: datetime, actor: User, close_reason: str = ""
    ) -> None:
        """``change_status`` / ``_apply_status``: the state machine decides (the demo's
        history closes tickets with the reason it gives, as its call-backs are not recorded)."""
        self._require_worker(actor)
        check_transition(self.status, status)
        before = self.status
        self.ticket.status = status
        extra: dict[str, Any] = {}
        if status == TicketStatus.CLOSED and close_reason:
            self.ticket.close_reason = close_reason
            extra["close_reason"] = close_reason
        if status == TicketStatus.SOLVED:
            self.ticket.solved_at = at
        elif status == TicketStatus.CLOSED:
            self.ticket.closed_at = at
        elif before == TicketStatus.SOLVED:
            self.ticket.solved_at = None
        self._event(
            "ticket.status_changed",
            at,
            actor,
            {
                "from": before,
                "to": status,
                "reopened": before == TicketStatus.SOLVED and status != TicketStatus.CLOSED,
                **extra,
            },
        )
        self._touch(at)

    def update(
        self,
        *,
        at: datetime,
        actor: User,
        priority: int | None = None,
        kind: str | None = None,
        emotion: str | None = None,
        category: Category | None = None,
        team: Team | None = None,
        owner: User | None = None,
        tags: list[str] | None = None,
        shared_departments: list[Department] | None = None,
    ) -> None:
        """``update_ticket``: field diff, then owner, tags, shared departments (in its order)."""
        self._require_worker(actor)
        self._refuse_if_closed("an update")
        if owner is not None and (not owner.is_active or owner.role == Role.DEPARTMENT_MEMBER):
            raise ImpossibleStep(f"{owner.username} cannot own tickets")
        ticket = self.ticket
        diff: dict[str, list[Any]] = {}
        if priority is not None and priority != ticket.priority:
            diff["priority"] = [ticket.priority, priority]
            ticket.priority = priority
        if kind is not None and kind != ticket.kind:
            diff["kind"] = [ticket.kind, kind]
            ticket.kind = kind
        if emotion is not None and emotion != ticket.emotion:
            diff["emotion"] = [ticket.emotion, emotion]
            ticket.emotion = emotion
        if category is not None and category.pk != ticket.category_id:
            diff["category"] = [ticket.category_id, category.pk]
            ticket.category = category
        if team is not None and team.pk != ticket.team_id:
            diff["team"] = [ticket.team_id, team.pk]
            ticket.team = team
        changed = bool(diff)
        if diff:
            self._event("ticket.updated", at, actor, {"changes": diff})
        if owner is not None and owner.pk != ticket.owner_id:
            changed = True
            self._event(
                "ticket.assigned",
                at,
                actor,
                {"from": ticket.owner_id, "to": owner.pk, "reason": "manual"},
            )
            ticket.owner = owner
            if owner.pk != actor.pk:
                event = self._event("ticket.assigned_to_you", at, actor)
                self.log.notify(event, [owner])
        if tags is not None:
            changed = self._set_tags(tags, at=at, actor=actor) or changed
        if shared_departments is not None:
            changed = (
                self._set_shared_departments(shared_departments, at=at, actor=actor) or changed
            )
        if changed:
            self._touch(at)

    def _set_tags(self, names: list[str], *, at: datetime, actor: User) -> bool:
        before = sorted(self.tags)
        after = sorted(set(names))
        if before == after:
            return False
        self.tags = after
        self._event("ticket.updated", at, actor, {"changes": {"tags": [before, after]}})
        return True

    def _set_shared_departments(
        self, departments: list[Department], *, at: datetime, actor: User
    ) -> bool:
        before = sorted(d.pk for d in self.shared)
        after = sorted({d.pk for d in departments})
        if before == after:
            return False
        self.shared = list({d.pk: d for d in departments}.values())
        self._event(
            "ticket.updated",
            at,
            actor,
            {"changes": {"shared_departments": [before, after]}},
        )
        heads = [d.head for d in departments if d.pk not in before and d.head_id]
        if heads:
            event = self._event(
                "ticket.shared_with_department",
                at,
                actor,
                {"departments": [pk for pk in after if pk not in before]},
            )
            self.log.notify(event, list(heads))
        return True

    def record_need(self, statement: str, *, confirmed: bool, at: datetime, actor: User) -> None:
        """``record_need``: the restated need and whether the customer confirmed it."""
        self._require_worker(actor)
        self._refuse_if_closed("a need")
        ticket = self.ticket
        if statement == ticket.need_statement and confirmed == ticket.is_need_confirmed:
            return
        self._event(
            "ticket.need_recorded",
            at,
            actor,
            {
                "statement": statement,
                "confirmed": confirmed,
                "before": {
                    "statement": ticket.need_statement,
                    "confirmed": ticket.is_need_confirmed,
                },
            },
        )
        ticket.need_statement = statement
        ticket.is_need_confirmed = confirmed
        self._touch(at)

    def record_solution(self, solution: str, *, at: datetime, actor: User) -> None:
        """``record_solution``: the solution given to the customer."""
        self._require_worker(actor)
        self._refuse_if_closed("a solution")
        if solution == self.ticket.solution:
            return
        self._event(
            "ticket.solution_recorded",
            at,
            actor,
            {"solution": solution, "before": self.ticket.solution},
        )
        self.ticket.solution = solution
        self._touch(at)

    def add_commitment(
        self, description: str, *, due_at: datetime, at: datetime, actor: User
    ) -> Commitment:
        """``add_commitment``: a key commitment with its due time."""
        self._require_worker(actor)
        self._refuse_if_closed("a commitment")
        commitment = Commitment(
            ticket=self.ticket,
            description=description,
            due_at=due_at,
            created_by=actor,
            created_at=at,
        )
        self.commitments.append(commitment)
        self._event(
            "ticket.commitment_added",
            at,
            actor,
            {"commitment": None, "description": description, "due_at": due_at.isoformat()},
            commitment=commitment,
        )
        self._touch(at)
        return commitment

    def complete_commitment(self, commitment: Commitment, *, at: datetime, actor: User) -> None:
        """``complete_commitment``: mark a commitment as kept."""
        self._require_worker(actor)
        if commitment.done_at is not None:
            raise ImpossibleStep("commitment already done")
        commitment.done_at = at
        self._event(
            "ticket.commitment_done",
            at,
            actor,
            {"commitment": None, "description": commitment.description},
            commitment=commitment,
        )
        self._touch(at)
