"""The calls card on the ticket page and on the customer page: recent calls (direction,
duration, agent, recording) and a small form to log a call by hand. Registered with the
tickets and customers apps' one-way hooks."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from bihuan.channels.phone.forms import CallLogForm
from bihuan.channels.phone.queries import list_customer_calls, list_ticket_calls
from bihuan.customers.models import Customer
from bihuan.customers.panels import register_customer_panel
from bihuan.tickets.models import Ticket
from bihuan.tickets.panels import register_ticket_panel
from bihuan.tickets.permissions import can_work_ticket


def render_ticket_calls(request: HttpRequest, ticket: Ticket) -> SafeString:
    user = request.user
    html = render_to_string(
        "phone/_calls.html",
        {
            "calls": list_ticket_calls(ticket),
            "form": CallLogForm(),
            "action_url": reverse("phone:log_ticket_call", args=[ticket.pk]),
            "can_log": ticket.status != "closed" and can_work_ticket(user),  # type: ignore[arg-type]
            "where": "ticket",
        },
        request=request,
    )
    return mark_safe(html)  # noqa: S308  (rendered by the template engine, escaped there)


def render_customer_calls(request: HttpRequest, customer: Customer) -> SafeString:
    user = request.user
    html = render_to_string(
        "phone/_calls.html",
        {
            "calls": list_customer_calls(customer),
            "form": CallLogForm(),
            "action_url": reverse("phone:log_customer_call", args=[customer.pk]),
            "can_log": can_work_ticket(user),  # type: ignore[arg-type]
            "where": "customer",
        },
        request=request,
    )
    return mark_safe(html)  # noqa: S308  (rendered by the template engine, escaped there)


register_ticket_panel("phone_calls", render_ticket_calls)
register_customer_panel("phone_calls", render_customer_calls)
