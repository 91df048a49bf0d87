"""Closing the loop (闭环): the 24-hour call-back (回访) and closing a ticket.

When a ticket is solved the consumer ``tickets.call_backs`` creates a call-back due 24 hours
later (``schedule_call_back``); the owner is reminded two hours before it is due, and a
call-back still open at its due time is escalated to the queue's supervisor and the
department head (due work ``tickets.call_back_remind`` / ``tickets.call_back_overdue``, keyed
``tickets.call_back:<id>``). Its outcome is recorded with ``record_call_back``:

- reached and satisfied — the ticket may close;
- reached and not satisfied — the ticket reopens (back in progress);
- not reached — a new attempt is scheduled (``retry_at``, default four hours later).

A customer reopening the ticket cancels the open call-back. ``close_ticket`` closes a solved
ticket after a satisfied call-back, or with a recorded reason; never with an open commitment
or task (``loop_rules``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bihuan.accounts.models import User
from bihuan.core import due_work
from bihuan.core.consumers import consumer
from bihuan.core.errors import Conflict, NotFound, ValidationFailed
from bihuan.core.events import notify, record_event
from bihuan.core.models import DueItem, Event
from bihuan.core.time_window import check_datetime
from bihuan.tickets.choices import CallBackOutcome, TicketStatus
from bihuan.tickets.models import CallBack, CallBackPurpose, Ticket
from bihuan.tickets.services import (
    _apply_status,
    _check_choice,
    _clean_text,
    _lock,
    _require_worker,
    _touch,
    change_status,
)

CALL_BACK_AFTER = timedelta(hours=24)
REMIND_BEFORE = timedelta(hours=2)
RETRY_AFTER = timedelta(hours=4)
REMIND = "tickets.call_back_remind"
OVERDUE = "tickets.call_back_overdue"


def _data(call_back: CallBack, **extra: object) -> dict[str, object]:
    return {
        "call_back": call_back.pk,
        "attempt": call_back.attempt,
        "due_at": call_back.due_at.isoformat(),
        **extra,
    }


def _arm(call_back: CallBack) -> None:
    remind_at = max(call_back.due_at - REMIND_BEFORE, call_back.created_at)
    due_work.schedule(REMIND, key=call_back.key, due_at=remind_at)
    due_work.schedule(OVERDUE, key=call_back.key, due_at=call_back.due_at)


def _disarm(call_back: CallBack) -> None:
    due_work.cancel(REMIND, key=call_back.key)
    due_work.cancel(OVERDUE, key=call_back.key)


def _create(
    ticket: Ticket,
    *,
    due_at: datetime,
    attempt: int,
    now: datetime,
    actor: User | None,
    purpose: str = CallBackPurpose.FOLLOW_UP,
) -> CallBack:
    call_back = CallBack.objects.create(
        ticket=ticket, purpose=purpose, attempt=attempt, due_at=due_at, created_at=now
    )
    record_event(
        "ticket.call_back_scheduled",
        call_back,
        actor=actor,
        ticket_id=ticket.pk,
        customer_id=ticket.customer_id,
        at=now,
        data=_data(call_back, purpose=purpose),
    )
    _arm(call_back)
    return call_back


def create_call_back(
    ticket: Ticket, *, due_at: datetime, purpose: str, actor: User | None = None
) -> CallBack:
    """A call-back of ``ticket`` due at ``due_at`` (first attempt), reminded and escalated by
    its due work like the follow-up. For other apps' reasons to call a customer back (the
    phone channel's missed calls): it runs in the caller's transaction, which must hold the
    ticket's lock, and never counts as the ticket's 24-hour follow-up unless ``purpose`` says
    so."""
    _check_choice(purpose, CallBackPurpose, label=str(_("purpose")))
    check_datetime(due_at, label=str(_("Due at")))
    with transaction.atomic():
        return _create(
            ticket, due_at=due_at, attempt=1, now=timezone.now(), actor=actor, purpose=purpose
        )


def open_call_back(ticket: Ticket) -> CallBack | None:
    """The ticket's open 24-hour follow-up, if any (a missed call's call-back is not one)."""
    return CallBack.objects.filter(
        ticket_id=ticket.pk,
        purpose=CallBackPurpose.FOLLOW_UP,
        done_at__isnull=True,
        cancelled_at__isnull=True,
    ).first()


def schedule_call_back(ticket_id: int, *, solved_at: datetime | None = None) -> CallBack | None:
    """Create the call-back of a solved ticket, due 24 hours after it was solved; nothing for
    a ticket no longer solved or that has an open follow-up already (safe to run twice). An
    open call-back of another purpose (a missed call still to return) does not replace it."""
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().filter(pk=ticket_id).first()
        if ticket is None or ticket.status != TicketStatus.SOLVED or open_call_back(ticket):
            return None
        solved = ticket.solved_at or solved_at or timezone.now()
        return _create(
            ticket, due_at=solved + CALL_BACK_AFTER, attempt=1, now=timezone.now(), actor=None
        )


def cancel_open_call_backs(ticket: Ticket, *, now: datetime, reason: str) -> int:
    """Cancel the ticket's open call-back (the customer reopened it, or it closed with a
    reason), with its timers. Runs in the caller's transaction."""
    cancelled = 0
    for call_back in CallBack.objects.select_for_update().filter(
        ticket_id=ticket.pk, done_at__isnull=True, cancelled_at__isnull=True
    ):
        call_back.cancelled_at = now
        call_back.save(update_fields=["cancelled_at"])
        _disarm(call_back)
        record_event(
            "ticket.call_back_cancelled",
            call_back,
            ticket_id=ticket.pk,
            customer_id=ticket.customer_id,
            at=now,
            data=_data(call_back, reason=reason),
        )
        cancelled += 1
    return cancelled


def record_call_back(
    call_back: CallBack,
    *,
    outcome: str,
    actor: User,
    note: str = "",
    retry_at: datetime | None = None,
) -> CallBack:
    """Record what the call-back found (see the module doc). ``retry_at`` (not reached only)
    is when to try again: in the future, default four hours from now."""
    _require_worker(actor)
    _check_choice(outcome, CallBackOutcome, label=str(_("outcome")))
    note = _clean_text(note, label=str(_("Note")), limit=2000, required=False)
    now = timezone.now()
    if retry_at is not None:
        if outcome != CallBackOutcome.NOT_REACHED:
            raise ValidationFailed(
                _("Only a call-back that did not reach the customer is tried again."),
                code="retry_not_needed",
            )
        check_datetime(retry_at, label=str(_("Try again at")))
        if retry_at <= now:
            raise ValidationFailed(
                _("The next attempt must be in the future."), code="due_in_the_past"
            )
    with transaction.atomic():
        ticket = _lock(call_back.ticket_id)
        locked = CallBack.objects.select_for_update().get(pk=call_back.pk)
        if not locked.is_open:
            raise Conflict(_("This call-back is already recorded."), code="call_back_done")
        if ticket.status != TicketStatus.SOLVED:
            raise Conflict(_("Only a solved ticket is called back."), code="ticket_not_solved")
        locked.outcome = outcome
        locked.note = note
        locked.done_at = now
        locked.done_by = actor
        locked.save(update_fields=["outcome", "note", "done_at", "done_by"])
        _disarm(locked)
        record_event(
            "ticket.call_back_recorded",
            locked,
            actor=actor,
            ticket_id=ticket.pk,
            customer_id=ticket.customer_id,
            at=now,
            data=_data(locked, outcome=outcome, note=note),
        )
        if outcome == CallBackOutcome.NOT_SATISFIED:
            _apply_status(ticket, TicketStatus.OPEN, actor=actor, now=now, reason="call_back")
        elif outcome == CallBackOutcome.NOT_REACHED:
            _create(
                ticket,
                due_at=retry_at or now + RETRY_AFTER,
                attempt=locked.attempt + 1,
                now=now,
                actor=actor,
                purpose=locked.purpose,
            )
            _touch(ticket, now, [])
        else:
            _touch(ticket, now, [])
    return locked


def close_ticket(ticket: Ticket, *, actor: User, reason: str = "") -> Ticket:
    """Close a solved ticket (已闭环): after a satisfied call-back, or with ``reason`` (why no
    call-back is needed), which is kept on the ticket; an open call-back is then cancelled."""
    with transaction.atomic():
        closed = change_status(ticket, status=TicketStatus.CLOSED, actor=actor, close_reason=reason)
        if closed.close_reason:
            cancel_open_call_backs(closed, now=closed.closed_at or timezone.now(), reason="closed")
    return closed


# ---------------------------------------------------------------------------------------
# Reactions and timers


def _solved_or_reopened(event: Event) -> bool:
    return bool(event.get("to") == TicketStatus.SOLVED or event.get("from") == TicketStatus.SOLVED)


@consumer("tickets.call_backs", verbs=("ticket.status_changed",), accepts=_solved_or_reopened)
def call_backs(events: Sequence[Event]) -> None:
    """Solving schedules the call-back; a ticket leaving solved (other than by closing)
    cancels it."""
    for event in events:
        if event.ticket_id is None:
            continue
        if event.get("to") == TicketStatus.SOLVED:
            schedule_call_back(int(event.ticket_id), solved_at=event.occurred_at)
        elif event.get("to") != TicketStatus.CLOSED:
            with transaction.atomic():
                ticket = Ticket.objects.select_for_update().filter(pk=event.ticket_id).first()
                if ticket is not None and ticket.status != TicketStatus.SOLVED:
                    cancel_open_call_backs(ticket, now=event.occurred_at, reason="reopened")


def _call_back_id(item: DueItem) -> int:
    return int(item.key.rsplit(":", 1)[1])


def _open(call_back_id: int) -> tuple[Ticket, CallBack] | None:
    ticket_id = CallBack.objects.filter(pk=call_back_id).values_list("ticket_id", flat=True).first()
    if ticket_id is None:
        return None
    ticket = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("owner", "team__supervisor", "department__head", "team__department__head")
        .filter(pk=ticket_id)
        .first()
    )
    call_back = CallBack.objects.filter(pk=call_back_id).first()
    if ticket is None or call_back is None or not call_back.is_open:
        return None
    return ticket, call_back


@due_work.due_work(REMIND)
def remind_call_back(item: DueItem) -> None:
    """Two hours before a call-back is due: remind the ticket's owner, once."""
    found = _open(_call_back_id(item))
    if found is None:
        return
    ticket, call_back = found
    now = timezone.now()
    if call_back.due_at <= now:
        return  # late past the due time: the overdue escalation says it
    event = record_event(
        "ticket.call_back_due_soon",
        call_back,
        ticket_id=ticket.pk,
        customer_id=ticket.customer_id,
        at=now,
        data=_data(call_back),
    )
    if ticket.owner is not None:
        notify(event, [ticket.owner])


@due_work.due_work(OVERDUE)
def escalate_call_back(item: DueItem) -> None:
    """A call-back still open at its due time: the owner, the queue's supervisor and the
    department head are told, once."""
    found = _open(_call_back_id(item))
    if found is None:
        return
    ticket, call_back = found
    now = timezone.now()
    if call_back.due_at > now:
        return
    event = record_event(
        "ticket.call_back_overdue",
        call_back,
        ticket_id=ticket.pk,
        customer_id=ticket.customer_id,
        at=now,
        data=_data(call_back),
    )
    department = ticket.department or (ticket.team.department if ticket.team else None)
    people = [
        ticket.owner,
        ticket.team.supervisor if ticket.team else None,
        department.head if department else None,
    ]
    notify(event, [p for p in people if p is not None and p.is_active])


def get_call_back(ticket: Ticket, call_back_id: int) -> CallBack:
    call_back = CallBack.objects.filter(ticket_id=ticket.pk, pk=call_back_id).first()
    if call_back is None:
        raise NotFound(_("Call-back not found."))
    return call_back
