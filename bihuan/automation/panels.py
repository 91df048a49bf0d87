"""The ticket page's complaint panel: the playbook's stages and the form of the current one."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from bihuan.accounts.models import User
from bihuan.automation.forms import StageForm
from bihuan.automation.queries import ComplaintView, complaint_of
from bihuan.tickets.models import Ticket
from bihuan.tickets.panels import register_ticket_panel
from bihuan.tickets.permissions import can_work_ticket


def render_complaint_panel(request: HttpRequest, ticket: Ticket) -> SafeString:
    view = complaint_of(ticket)
    if view is None:
        return mark_safe("")
    return panel_html(request, ticket, view, form=None)


def panel_html(
    request: HttpRequest, ticket: Ticket, view: ComplaintView, *, form: StageForm | None
) -> SafeString:
    html = render_to_string(
        "automation/_complaint_panel.html",
        {
            "ticket": ticket,
            "view": view,
            "form": form or StageForm(stage=view.complaint.stage),
            # Department members see the playbook but may not advance it (notes only).
            "can_work": isinstance(request.user, User) and can_work_ticket(request.user),
        },
        request=request,
    )
    return mark_safe(html)  # noqa: S308  (rendered by the template engine, escaped there)


register_ticket_panel("automation", render_complaint_panel)
