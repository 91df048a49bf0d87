"""The rules that keep the loop honest (闭环), checked by every status change.

- The ticket waits for collaboration (等待协作) exactly while a collaboration task is open: it
  cannot move there without an open task (opening a task puts it there), nor move to another
  status, be solved or closed until the task is answered or cancelled (the last one answered
  or cancelled takes it back). A ticket already there without a task (old history) may move
  out.
- A ticket closes only when every key commitment is kept or cancelled, no task is open, and
  the customer was called back and satisfied since the ticket was last solved — or the closer
  records why the call-back is not needed (``reason``).

These read rows only; the services that change a ticket call them under its lock.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from bihuan.core.errors import Conflict
from bihuan.tickets.choices import CallBackOutcome, TaskState, TicketStatus
from bihuan.tickets.models import CallBack, CollaborationTask, Commitment, Ticket


def open_task_count(ticket: Ticket) -> int:
    return CollaborationTask.objects.filter(ticket_id=ticket.pk, state=TaskState.OPEN).count()


def check_status_change(ticket: Ticket, target: str, *, close_reason: str = "") -> None:
    """Raise ``Conflict`` unless the loop allows ``ticket`` to move to ``target`` now."""
    if target == TicketStatus.PENDING_COLLABORATION:
        # 等待协作 means "a task is open": opening a task is the only way in (it creates the
        # task first, then moves the ticket), so a move without one is refused.
        if not open_task_count(ticket):
            raise Conflict(
                _(
                    "A ticket waits for collaboration only while a collaboration task is "
                    "open: open a task for the department instead."
                ),
                code="no_open_task",
            )
    else:
        tasks = open_task_count(ticket)
        if tasks:
            raise Conflict(
                _(
                    "%(count)s collaboration task(s) are still open: the ticket waits for "
                    "them until they are answered or cancelled."
                ),
                code="tasks_open",
                count=tasks,
            )
    if target == TicketStatus.CLOSED:
        check_commitments_settled(ticket)
        if not close_reason and not is_called_back(ticket):
            raise Conflict(
                _(
                    "The customer has not been called back yet: record a satisfied call-back, "
                    "or give the reason for closing without one."
                ),
                code="call_back_needed",
            )


def check_commitments_settled(ticket: Ticket) -> None:
    """闭环: a ticket closes only when every key commitment was kept or cancelled."""
    still_open = Commitment.objects.filter(
        ticket_id=ticket.pk, done_at__isnull=True, cancelled_at__isnull=True
    ).count()
    if still_open:
        raise Conflict(
            _(
                "%(count)s commitment(s) are still open: mark them kept or cancel them with a "
                "reason before closing the ticket."
            ),
            code="commitments_open",
            count=still_open,
        )


def is_called_back(ticket: Ticket) -> bool:
    """A call-back reached the customer, who was satisfied, since the ticket was solved."""
    done = CallBack.objects.filter(ticket_id=ticket.pk, outcome=CallBackOutcome.SATISFIED)
    if ticket.solved_at is not None:
        done = done.filter(done_at__gte=ticket.solved_at)
    return done.exists()
