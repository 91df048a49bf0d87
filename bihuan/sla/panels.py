"""The ticket page's SLA panel: each target with its state, due time and history."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from bihuan.sla.queries import list_ticket_clocks
from bihuan.tickets.models import Ticket
from bihuan.tickets.panels import register_ticket_panel
from bihuan.tickets.views import sla_countdown


def render_sla_panel(request: HttpRequest, ticket: Ticket) -> SafeString:
    clocks = list_ticket_clocks(ticket)
    now = timezone.now()
    rows = [(clock, sla_countdown(clock.due_at, now)) for clock in clocks]
    html = render_to_string(
        "sla/_ticket_targets.html", {"rows": rows, "ticket": ticket}, request=request
    )
    return mark_safe(html)  # noqa: S308  (rendered by the template engine, escaped there)


register_ticket_panel("sla", render_sla_panel)
