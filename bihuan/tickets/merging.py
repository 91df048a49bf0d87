"""Merging a duplicate request into another ticket, and linking related tickets.

``merge_ticket`` copies the duplicate's messages onto the surviving ticket (each recorded
there as ``ticket.message_merged``, so its timeline shows them; the duplicate keeps its own
history), moves its commitments and collaboration tasks, cancels its call-back, and closes the
duplicate pointing at the survivor (``merged_into``). Copies are recorded with their own verb,
never ``ticket.message_added``: nothing is sent to the customer again and no clock restarts.
Both tickets get an event. ``link_tickets`` records that two tickets are related.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bihuan.accounts.models import User
from bihuan.core.errors import Conflict, ValidationFailed
from bihuan.core.events import record_event
from bihuan.tickets.choices import TaskState, TicketStatus
from bihuan.tickets.closing import cancel_open_call_backs
from bihuan.tickets.models import CollaborationTask, Commitment, Message, Ticket, TicketLink
from bihuan.tickets.services import _apply_status, _lock, _require_worker, _touch


def _lock_pair(first: Ticket, second: Ticket) -> tuple[Ticket, Ticket]:
    """Lock two tickets in the fixed order (lower number first), so that two merges of the
    same pair never deadlock."""
    if first.pk == second.pk:
        raise ValidationFailed(_("A ticket cannot be merged or linked with itself."), code="same")
    low, high = sorted((first.pk, second.pk))
    locked = {low: _lock(low), high: _lock(high)}
    return locked[first.pk], locked[second.pk]


def merge_ticket(duplicate: Ticket, *, into: Ticket, actor: User) -> Ticket:
    """Merge ``duplicate`` (a repeated request of the same customer) into ``into``.

    Both must be open (not solved or closed) and of the same customer. Returns the survivor.
    """
    _require_worker(actor)
    with transaction.atomic():
        dup, survivor = _lock_pair(duplicate, into)
        for ticket in (dup, survivor):
            if ticket.status in (TicketStatus.SOLVED, TicketStatus.CLOSED):
                raise Conflict(
                    _("Ticket #%(number)s is solved or closed: only open tickets are merged."),
                    code="ticket_not_open",
                    number=ticket.pk,
                )
        if dup.customer_id != survivor.customer_id:
            raise ValidationFailed(
                _("Only tickets of the same customer are merged; link them instead."),
                code="different_customer",
            )
        now = timezone.now()
        copied = 0
        for message in Message.objects.filter(ticket_id=dup.pk).order_by("id"):
            copy = Message.objects.create(
                ticket=survivor,
                kind=message.kind,
                body=message.body,
                author_id=message.author_id,
                customer_id=message.customer_id,
                channel=message.channel,
                search_tokens=message.search_tokens,
                created_at=message.created_at,
            )
            record_event(
                "ticket.message_merged",
                survivor,
                actor=actor,
                ticket_id=survivor.pk,
                customer_id=survivor.customer_id,
                at=now,
                data={"message": copy.pk, "kind": copy.kind, "from": dup.pk},
            )
            copied += 1
        Ticket.objects.filter(pk=survivor.pk).update(message_count=F("message_count") + copied)
        commitments = Commitment.objects.filter(ticket_id=dup.pk).update(ticket=survivor)
        departments = set(
            CollaborationTask.objects.filter(ticket_id=dup.pk).values_list("department", flat=True)
        )
        tasks = CollaborationTask.objects.filter(ticket_id=dup.pk).update(ticket=survivor)
        if departments:
            survivor.shared_departments.add(*departments)
        cancel_open_call_backs(dup, now=now, reason="merged")
        data = {"copied_messages": copied, "commitments": commitments, "tasks": tasks}
        record_event(
            "ticket.merged",
            survivor,
            actor=actor,
            ticket_id=survivor.pk,
            customer_id=survivor.customer_id,
            at=now,
            data={"other": dup.pk, **data},
        )
        record_event(
            "ticket.merged_into",
            dup,
            actor=actor,
            ticket_id=dup.pk,
            customer_id=dup.customer_id,
            at=now,
            data={"other": survivor.pk, **data},
        )
        # A merge closes the duplicate whatever its status: what it owed now lives on the
        # survivor, so the closing rules (commitments, tasks, call-back) are met there.
        before = dup.status
        dup.status = TicketStatus.CLOSED
        dup.closed_at = now
        dup.merged_into = survivor
        dup.close_reason = str(_("Merged into #%(number)s") % {"number": survivor.pk})
        record_event(
            "ticket.status_changed",
            dup,
            actor=actor,
            ticket_id=dup.pk,
            customer_id=dup.customer_id,
            at=now,
            data={"from": before, "to": TicketStatus.CLOSED, "reason": "merged"},
        )
        _touch(dup, now, ["status", "closed_at", "merged_into", "close_reason"])
        has_open_task = CollaborationTask.objects.filter(
            ticket_id=survivor.pk, state=TaskState.OPEN
        ).exists()
        if has_open_task and survivor.status != TicketStatus.PENDING_COLLABORATION:
            _apply_status(
                survivor,
                TicketStatus.PENDING_COLLABORATION,
                actor=actor,
                now=now,
                reason="collaboration_task",
            )
        else:
            _touch(survivor, now, [])
    return survivor


def link_tickets(ticket: Ticket, *, other: Ticket, actor: User) -> TicketLink:
    """Record that two tickets are related (the same incident, a follow-up); both timelines
    say so. A closed ticket may be linked (to point at its follow-up)."""
    _require_worker(actor)
    with transaction.atomic():
        first, second = _lock_pair(ticket, other)
        low, high = sorted((first.pk, second.pk))
        if TicketLink.objects.filter(ticket_id=low, other_id=high).exists():
            raise Conflict(_("These tickets are already linked."), code="already_linked")
        now = timezone.now()
        link = TicketLink.objects.create(
            ticket_id=low, other_id=high, created_by=actor, created_at=now
        )
        for this, that in ((first, second), (second, first)):
            record_event(
                "ticket.linked",
                this,
                actor=actor,
                ticket_id=this.pk,
                customer_id=this.customer_id,
                at=now,
                data={"other": that.pk},
            )
    return link
