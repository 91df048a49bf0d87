"""SLA for the demo: queue supervisors for escalations, the default policies, and clocks for
the open demo tickets as their history says (answered, waiting for the customer…). Clocks
already past their warning or due time fire as soon as ``bihuan serve`` starts its runner, so
a new user sees running, paused, at-risk, breached and escalated targets on first start."""

from __future__ import annotations

from django.db import transaction

from bihuan.core.models import DueItem, WorkState
from bihuan.demo.conversation import Cast
from bihuan.demo.material import organisation as org
from bihuan.sla import services
from bihuan.sla.defaults import install_default_policies
from bihuan.sla.models import SlaClock
from bihuan.tickets.choices import OPEN_STATUSES
from bihuan.tickets.models import Commitment, Ticket


def set_up_sla(cast: Cast, ticket_ids: list[int]) -> dict[str, int]:
    """Supervisors of the customer-service queues, the policies, the open tickets' clocks and
    their open commitments' reminders."""
    install_default_policies()
    for team in cast.teams.values():
        if team.department.name == org.SERVICE and team.supervisor_id is None:
            team.supervisor = cast.supervisor
            team.save(update_fields=["supervisor"])
    open_ids = list(
        Ticket.objects.filter(pk__in=ticket_ids, status__in=OPEN_STATUSES)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for ticket_id in open_ids:
        with transaction.atomic():
            services.track_existing_ticket(ticket_id)
    promises = Commitment.objects.filter(
        ticket_id__in=open_ids, done_at__isnull=True, cancelled_at__isnull=True
    ).values_list("pk", flat=True)
    for commitment_id in promises:
        services.schedule_commitment(commitment_id)
    return {"SLA clocks": SlaClock.objects.filter(ticket_id__in=open_ids).count()}


def delete_sla_setup() -> None:
    """Cancel the due work of clocks and commitments that went with the demo tickets."""
    kept = {f"sla.clock:{pk}" for pk in SlaClock.objects.values_list("pk", flat=True)}
    kept |= {f"tickets.commitment:{pk}" for pk in Commitment.objects.values_list("pk", flat=True)}
    orphans = [
        item.pk
        for item in DueItem.objects.filter(kind__startswith="sla.", state=WorkState.PENDING)
        if ":".join(item.key.split(":")[:2]) not in kept
    ]
    DueItem.objects.filter(pk__in=orphans).update(state=WorkState.CANCELLED)
