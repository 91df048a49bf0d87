"""The ticket page's feedback panel: the CSAT survey's state and answer, the register
entries about the ticket, and the internal-feedback flag (内部反馈)."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from bihuan.accounts.models import User
from bihuan.feedback.forms import InternalFeedbackForm
from bihuan.feedback.queries import ticket_feedback
from bihuan.tickets.models import Ticket
from bihuan.tickets.panels import register_ticket_panel


def render_feedback_panel(request: HttpRequest, ticket: Ticket) -> SafeString:
    user = request.user
    if not isinstance(user, User):
        return SafeString("")
    found = ticket_feedback(user, ticket)
    html = render_to_string(
        "feedback/_ticket_panel.html",
        {
            "ticket": ticket,
            "invitation": found.invitation,
            "response": found.response,
            "entries": found.entries,
            "form": InternalFeedbackForm(),
        },
        request=request,
    )
    return mark_safe(html)  # noqa: S308  (rendered by the template engine, escaped there)


register_ticket_panel("feedback", render_feedback_panel)
