"""The feedback panels: on the ticket page, the CSAT survey's state and answer, the register
entries about the ticket and the internal-feedback flag (内部反馈); on the customer page,
whether the customer accepts surveys (a switch for those who may change customers) and their
latest survey answers."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from bihuan.accounts.models import User
from bihuan.customers.models import Customer
from bihuan.customers.panels import register_customer_panel
from bihuan.customers.permissions import can_change_customers
from bihuan.feedback.forms import InternalFeedbackForm
from bihuan.feedback.queries import customer_surveys, ticket_feedback
from bihuan.feedback.services import shown_address
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
            "shown_address": (
                shown_address(found.invitation.route, found.invitation.to_address)
                if found.invitation
                else ""
            ),
            "response": found.response,
            "entries": found.entries,
            "form": InternalFeedbackForm(),
        },
        request=request,
    )
    return mark_safe(html)  # noqa: S308  (rendered by the template engine, escaped there)


register_ticket_panel("feedback", render_feedback_panel)


def render_customer_surveys_panel(request: HttpRequest, customer: Customer) -> SafeString:
    user = request.user
    if not isinstance(user, User) or customer.merged_into_id is not None:
        return SafeString("")
    found = customer_surveys(customer)
    html = render_to_string(
        "feedback/_customer_panel.html",
        {
            "customer": customer,
            "opt_out": found.opt_out,
            "responses": found.responses,
            "can_change": can_change_customers(user),
        },
        request=request,
    )
    return mark_safe(html)  # noqa: S308  (rendered by the template engine, escaped there)


register_customer_panel("feedback_surveys", render_customer_surveys_panel)
