"""Read paths of the automation pages and API, scoped by the viewer."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from bihuan.accounts.models import User
from bihuan.automation.models import AutomationRule, Complaint, ComplaintStep
from bihuan.core.errors import NotFound
from bihuan.tickets.models import Ticket
from bihuan.tickets.queries import get_ticket_to_change


def list_rules(viewer: User) -> list[AutomationRule]:
    """Every rule in the order it is tried (admins only)."""
    if not viewer.is_admin:
        raise NotFound(_("Page not found."))
    return list(AutomationRule.objects.order_by("position", "id"))


def get_rule(viewer: User, rule_id: int) -> AutomationRule:
    if not viewer.is_admin:
        raise NotFound(_("Rule not found."))
    rule = AutomationRule.objects.filter(pk=rule_id).first()
    if rule is None:
        raise NotFound(_("Rule not found."))
    return rule


@dataclass
class ComplaintView:
    """A complaint with its stages (oldest first) and the earlier tickets it found."""

    complaint: Complaint
    steps: list[ComplaintStep]
    earlier: list[Ticket]

    @property
    def current_step(self) -> ComplaintStep | None:
        return next((s for s in self.steps if s.stage == self.complaint.stage), None)


def complaint_of(ticket: Ticket) -> ComplaintView | None:
    """The playbook of a ticket the caller already may see (None: not a complaint)."""
    complaint = Complaint.objects.filter(ticket_id=ticket.pk).first()
    if complaint is None:
        return None
    steps = list(complaint.steps.select_related("owner").order_by("started_at", "id"))
    earlier = list(
        Ticket.objects.filter(pk__in=complaint.earlier_tickets).order_by("-created_at", "-id")
    )
    return ComplaintView(complaint, steps, earlier)


def get_complaint(viewer: User, number: int) -> tuple[Ticket, ComplaintView]:
    """The ticket (in the viewer's scope) and its playbook, or NotFound."""
    ticket = get_ticket_to_change(viewer, number)
    view = complaint_of(ticket)
    if view is None:
        raise NotFound(_("This ticket has no complaint playbook."))
    return ticket, view
