"""The customer page's conversation across channels: every message the customer sent and
every reply they got, on every ticket of theirs the viewer may see, newest first.

Registered with ``bihuan.customers.panels`` (customers never imports tickets). One query per
page whatever the number of tickets (the viewer's scope is a subquery); pages are keyset
cursors in the customer page's own address (``?messages=…``), so no route of its own.
Internal notes are not part of it: they came by no channel and the customer never saw them.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from bihuan.accounts.models import User
from bihuan.core.pagination import Page, paginate
from bihuan.customers.models import Customer
from bihuan.customers.panels import register_customer_panel
from bihuan.tickets.choices import MessageKind
from bihuan.tickets.models import Message
from bihuan.tickets.permissions import visible_tickets

PAGE_SIZE = 20
CURSOR_PARAMETER = "messages"
HISTORY_KINDS = (MessageKind.CUSTOMER, MessageKind.REPLY)


def list_customer_messages(
    viewer: User, customer: Customer, *, cursor: str | None = None, limit: int = PAGE_SIZE
) -> Page[Message]:
    """One page of the customer's conversation on every channel, newest first: messages
    from them and replies to them, on the tickets ``viewer`` may see (one query)."""
    tickets = visible_tickets(viewer).filter(customer=customer).values("pk")
    messages = Message.objects.filter(ticket__in=tickets, kind__in=HISTORY_KINDS).select_related(
        "ticket", "author"
    )
    return paginate(messages, order_field="created_at", descending=True, limit=limit, cursor=cursor)


def _page_url(request: HttpRequest, cursor: str | None) -> str | None:
    if not cursor:
        return None
    query = request.GET.copy()
    query[CURSOR_PARAMETER] = cursor
    return f"{request.path}?{urlencode(sorted(query.items()))}#customer-messages"


def render_customer_history(request: HttpRequest, customer: Customer) -> SafeString:
    """The panel: the page of messages the address asks for (the newest without a cursor)."""
    if not isinstance(request.user, User):
        return SafeString("")
    page = list_customer_messages(
        request.user, customer, cursor=request.GET.get(CURSOR_PARAMETER) or None
    )
    html = render_to_string(
        "tickets/_customer_history.html",
        {
            "page": page,
            "next_url": _page_url(request, page.next_cursor),
            "previous_url": _page_url(request, page.previous_cursor),
        },
        request=request,
    )
    return mark_safe(html)  # noqa: S308  (rendered by the template engine, escaped there)


register_customer_panel("message_history", render_customer_history)
