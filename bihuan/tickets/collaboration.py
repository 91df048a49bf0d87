"""Collaboration tasks (协作任务): part of a ticket sent to another department.

The ticket's owner opens a task for a department (optionally naming its owner there); the
ticket is shared with that department, so its members see it, and waits for collaboration
(等待协作) while any task is open. The department answers the task from its queue; the answer
goes to the ticket's owner, who stays the customer's one contact (首问负责制). When the last
open task is answered or cancelled the ticket is back in progress.

The deadline comes from the SLA policy's task target: the sla app reacts to
``ticket.task_opened`` and writes it with ``set_task_due``; an overdue task is escalated by
the sla app too (``mark_task_overdue``). Tickets never import sla.

Every service runs in one transaction, locks the ticket first and then the task (the tickets
lock order), checks before writing and records its event in the same transaction.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bihuan.accounts.models import Department, User
from bihuan.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from bihuan.core.events import notify, record_event
from bihuan.core.models import Event
from bihuan.tickets.choices import TaskState, TicketStatus
from bihuan.tickets.models import CollaborationTask, Ticket
from bihuan.tickets.services import (
    _apply_status,
    _clean_text,
    _lock,
    _lock_open,
    _require_worker,
    _touch,
)

MAX_DESCRIPTION = 5000
MAX_ANSWER = 10_000


def can_answer_task(user: User, task: CollaborationTask) -> bool:
    """Members of the task's department answer it; admins and supervisors may too."""
    return user.is_active and (user.sees_everything or user.department_id == task.department_id)


def _check_assignee(assignee: User | None, department: Department) -> None:
    if assignee is not None and (not assignee.is_active or assignee.department_id != department.pk):
        raise ValidationFailed(
            _("%(name)s is not an active member of %(department)s."),
            code="invalid_assignee",
            name=str(assignee),
            department=department.name,
        )


def _lock_task(task: CollaborationTask | int) -> tuple[Ticket, CollaborationTask]:
    pk = task if isinstance(task, int) else task.pk
    ticket_id = CollaborationTask.objects.filter(pk=pk).values_list("ticket_id", flat=True).first()
    if ticket_id is None:
        raise NotFound(_("Collaboration task not found."))
    ticket = _lock(ticket_id)
    locked = CollaborationTask.objects.select_for_update().get(pk=pk)
    return ticket, locked


def _check_open(task: CollaborationTask) -> None:
    if task.state == TaskState.ANSWERED:
        raise Conflict(_("This task is already answered."), code="task_answered")
    if task.state == TaskState.CANCELLED:
        raise Conflict(_("This task was cancelled."), code="task_cancelled")


def _event(
    verb: str,
    ticket: Ticket,
    task: CollaborationTask,
    actor: User | None,
    now: datetime,
    **data: object,
) -> Event:
    return record_event(
        verb,
        task,
        actor=actor,
        ticket_id=ticket.pk,
        customer_id=ticket.customer_id,
        at=now,
        data={
            "task": task.pk,
            "department": task.department_id,
            "department_name": task.department.name,
            "description": task.description,
            **data,
        },
    )


def open_task(
    ticket: Ticket,
    *,
    department: Department,
    description: str,
    actor: User,
    assignee: User | None = None,
) -> CollaborationTask:
    """Ask ``department`` for help with part of ``ticket`` (协作任务).

    The ticket is shared with the department and waits for collaboration; the task's owner in
    the department (or, without one, its head) is notified. The deadline is set afterwards by
    the sla app from the policy's task target. A solved or closed ticket refuses.
    """
    _require_worker(actor)
    description = _clean_text(description, label=str(_("Task")), limit=MAX_DESCRIPTION)
    _check_assignee(assignee, department)
    with transaction.atomic():
        locked = _lock_open(ticket)
        if locked.status == TicketStatus.SOLVED:
            raise Conflict(
                _("This ticket is solved: reopen it before asking another department."),
                code="ticket_solved",
            )
        now = timezone.now()
        task = CollaborationTask.objects.create(
            ticket=locked,
            department=department,
            assignee=assignee,
            description=description,
            created_by=actor,
            created_at=now,
        )
        if not locked.shared_departments.filter(pk=department.pk).exists():
            # Department members see the tickets shared with their department (permissions).
            before = sorted(locked.shared_departments.values_list("pk", flat=True))
            locked.shared_departments.add(department)
            record_event(
                "ticket.updated",
                locked,
                actor=actor,
                ticket_id=locked.pk,
                customer_id=locked.customer_id,
                at=now,
                data={
                    "changes": {"shared_departments": [before, sorted([*before, department.pk])]},
                    "reason": "collaboration_task",
                },
            )
        event = _event(
            "ticket.task_opened",
            locked,
            task,
            actor,
            now,
            assignee=assignee.pk if assignee else None,
        )
        told = assignee or department.head
        if told is not None:
            notify(event, [told])
        if locked.status != TicketStatus.PENDING_COLLABORATION:
            _apply_status(
                locked,
                TicketStatus.PENDING_COLLABORATION,
                actor=actor,
                now=now,
                reason="collaboration_task",
            )
        else:
            _touch(locked, now, [])
    return task


def assign_task(
    task: CollaborationTask, *, assignee: User | None, actor: User
) -> CollaborationTask:
    """Give an open task to a member of its department (or to nobody); the department's
    members take tasks themselves, the ticket's workers may name someone."""
    with transaction.atomic():
        ticket, locked = _lock_task(task)
        if not can_answer_task(actor, locked):
            _require_worker(actor)
        _check_open(locked)
        _check_assignee(assignee, locked.department)
        after = assignee.pk if assignee else None
        if after == locked.assignee_id:
            return locked
        now = timezone.now()
        before = locked.assignee_id
        locked.assignee = assignee
        locked.save(update_fields=["assignee"])
        event = _event(
            "ticket.task_assigned", ticket, locked, actor, now, **{"from": before, "to": after}
        )
        if assignee is not None and assignee.pk != actor.pk:
            notify(event, [assignee])
        _touch(ticket, now, [])
    return locked


def _resume_if_last(ticket: Ticket, *, actor: User, now: datetime) -> None:
    """The last open task settled: a ticket waiting for collaboration is back in progress."""
    still_open = CollaborationTask.objects.filter(ticket_id=ticket.pk, state=TaskState.OPEN)
    if ticket.status == TicketStatus.PENDING_COLLABORATION and not still_open.exists():
        _apply_status(ticket, TicketStatus.OPEN, actor=actor, now=now, reason="tasks_settled")
    else:
        _touch(ticket, now, [])


def answer_task(task: CollaborationTask, *, answer: str, actor: User) -> CollaborationTask:
    """The department answers its task (members of the department, admins, supervisors).

    The answer goes to the ticket's owner (notified), who tells the customer."""
    answer = _clean_text(answer, label=str(_("Answer")), limit=MAX_ANSWER)
    with transaction.atomic():
        ticket, locked = _lock_task(task)
        if not can_answer_task(actor, locked):
            raise PermissionDenied(
                _("Only members of %(department)s answer this task."),
                code="not_task_department",
                department=locked.department.name,
            )
        if ticket.status == TicketStatus.CLOSED:
            raise Conflict(_("A closed ticket cannot change any more."), code="ticket_closed")
        _check_open(locked)
        now = timezone.now()
        locked.state = TaskState.ANSWERED
        locked.answer = answer
        locked.answered_at = now
        locked.answered_by = actor
        locked.save(update_fields=["state", "answer", "answered_at", "answered_by"])
        event = _event("ticket.task_answered", ticket, locked, actor, now, answer=answer)
        if ticket.owner is not None and ticket.owner_id != actor.pk:
            notify(event, [ticket.owner])
        _resume_if_last(ticket, actor=actor, now=now)
    return locked


def cancel_task(task: CollaborationTask, *, reason: str, actor: User) -> CollaborationTask:
    """Withdraw a task no longer needed, saying why (the department is told)."""
    _require_worker(actor)
    reason = _clean_text(reason, label=str(_("Reason")), limit=500)
    with transaction.atomic():
        ticket, locked = _lock_task(task)
        if ticket.status == TicketStatus.CLOSED:
            raise Conflict(_("A closed ticket cannot change any more."), code="ticket_closed")
        _check_open(locked)
        now = timezone.now()
        locked.state = TaskState.CANCELLED
        locked.cancelled_at = now
        locked.cancel_reason = reason
        locked.save(update_fields=["state", "cancelled_at", "cancel_reason"])
        event = _event("ticket.task_cancelled", ticket, locked, actor, now, reason=reason)
        told = locked.assignee or locked.department.head
        if told is not None and told.pk != actor.pk:
            notify(event, [told])
        _resume_if_last(ticket, actor=actor, now=now)
    return locked


def set_task_due(task_id: int, *, due_at: datetime | None) -> int:
    """Write a task's deadline (the sla app, from the policy's task target, inside its own
    transaction, which records the event). Returns the number of rows changed."""
    return (
        CollaborationTask.objects.filter(pk=task_id, state=TaskState.OPEN)
        .exclude(due_at=due_at)
        .update(due_at=due_at)
        if due_at is not None
        else CollaborationTask.objects.filter(pk=task_id, state=TaskState.OPEN).update(due_at=None)
    )


def mark_task_overdue(task_id: int, *, now: datetime) -> CollaborationTask | None:
    """Mark an open task past its deadline as escalated, once (the sla app records the
    escalation and tells the department head). None when there is nothing to escalate."""
    updated = CollaborationTask.objects.filter(
        pk=task_id, state=TaskState.OPEN, overdue_at__isnull=True, due_at__lte=now
    ).update(overdue_at=now)
    if not updated:
        return None
    return CollaborationTask.objects.select_related("department__head", "assignee").get(pk=task_id)
