"""The delay notice: moving a key commitment's due time, with the customer told.

A commitment whose date must move records the reason (``ticket.commitment_moved``) and the
customer gets a reply on the ticket's channel — through the one reply service — naming the
commitment, the reason and the new date. The sla app moves the commitment's reminder and
escalation with the event.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bihuan.accounts.models import User
from bihuan.core.errors import ValidationFailed
from bihuan.core.events import record_event
from bihuan.core.time_window import check_datetime
from bihuan.tickets.models import Commitment
from bihuan.tickets.services import (
    _check_commitment_open,
    _clean_text,
    _lock_open,
    _require_worker,
    reply_to_customer,
)


def delay_notice(commitment: Commitment, *, due_at: datetime, reason: str) -> str:
    """The reply that tells the customer the new date (in the active language)."""
    return _(
        "About “%(commitment)s”: %(reason)s. The new expected time is %(due)s. We are sorry "
        "for the delay and will keep you informed."
    ) % {
        "commitment": commitment.description,
        "reason": reason,
        "due": date_format(timezone.localtime(due_at), "Y-m-d H:i"),
    }


def move_commitment(
    commitment: Commitment, *, due_at: datetime, reason: str, actor: User
) -> Commitment:
    """Move an open commitment to ``due_at`` (future, different) for ``reason``; the customer
    is told by a reply on the ticket's channel (the delay notice). All or nothing."""
    _require_worker(actor)
    reason = _clean_text(reason, label=str(gettext_lazy("Reason")), limit=500)
    check_datetime(due_at, label=str(gettext_lazy("Due at")))
    if due_at <= timezone.now():
        raise ValidationFailed(
            gettext_lazy("A commitment must be due in the future."), code="due_in_the_past"
        )
    with transaction.atomic():
        ticket = _lock_open(commitment.ticket_id)
        locked = Commitment.objects.select_for_update().get(pk=commitment.pk)
        _check_commitment_open(locked)
        if locked.due_at == due_at:
            raise ValidationFailed(
                gettext_lazy("The commitment is already due then."), code="same_due_time"
            )
        now = timezone.now()
        before = locked.due_at
        locked.due_at = due_at
        locked.save(update_fields=["due_at"])
        message = reply_to_customer(
            ticket, body=delay_notice(locked, due_at=due_at, reason=reason), actor=actor
        )
        record_event(
            "ticket.commitment_moved",
            ticket,
            actor=actor,
            ticket_id=ticket.pk,
            customer_id=ticket.customer_id,
            at=now,
            data={
                "commitment": locked.pk,
                "description": locked.description,
                "from": before.isoformat(),
                "due_at": due_at.isoformat(),
                "reason": reason,
                "message": message.pk,
            },
        )
    return locked
