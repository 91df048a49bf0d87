"""Read paths of the sla app: a ticket's clocks, and the breach board, scoped by viewer."""

from __future__ import annotations

from django.db.models import QuerySet

from bihuan.accounts.models import User
from bihuan.sla.choices import ClockState
from bihuan.sla.models import SlaClock
from bihuan.tickets.choices import OPEN_STATUSES
from bihuan.tickets.models import Ticket
from bihuan.tickets.permissions import visible_tickets

BOARD_LIMIT = 200


def list_ticket_clocks(ticket: Ticket) -> list[SlaClock]:
    """A ticket's clocks (already visible to the caller), in metric order."""
    order = {"first_response": 0, "next_response": 1, "resolution": 2}
    clocks = SlaClock.objects.filter(ticket_id=ticket.pk).select_related("policy", "calendar")
    return sorted(clocks, key=lambda c: order.get(c.metric, 9))


def breached_clocks(viewer: User) -> QuerySet[SlaClock]:
    """Missed targets of open tickets the viewer may see, the longest overdue first."""
    return (
        SlaClock.objects.filter(
            state=ClockState.BREACHED,
            completed_at__isnull=True,
            ticket__in=visible_tickets(viewer).filter(status__in=OPEN_STATUSES),
        )
        .select_related(
            "policy",
            "ticket",
            "ticket__owner",
            "ticket__team",
            "ticket__team__supervisor",
            "ticket__customer",
        )
        .order_by("due_at", "id")[:BOARD_LIMIT]
    )
