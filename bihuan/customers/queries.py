"""Read paths for customers, scoped by the viewer.

Customers do not depend on tickets (tickets depend on customers): the customer's ticket
history is read by a function the tickets app registers at start-up
(``set_history_reader``), so this module never imports it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _

from bihuan.accounts.models import User
from bihuan.core.errors import NotFound, ValidationFailed
from bihuan.core.pagination import Page, paginate
from bihuan.customers.choices import IdentityKind
from bihuan.customers.identity import looks_like_email, normalize_email, normalize_phone
from bihuan.customers.models import Customer, CustomerIdentity
from bihuan.customers.permissions import can_see_all_customers


@dataclass(frozen=True)
class TicketSummary:
    """One line of a customer's history, as the customer page and API show it."""

    number: int
    subject: str
    status: str
    status_label: str
    channel: str
    channel_label: str
    kind: str
    kind_label: str
    category: str
    owner: str
    created_at: datetime


HistoryReader = Callable[[User, Customer, int], list[TicketSummary]]
_history_reader: list[HistoryReader] = []


def set_history_reader(reader: HistoryReader) -> None:
    """Register how a customer's tickets are read (the tickets app does, when it starts)."""
    _history_reader[:] = [reader]


def visible_customers(viewer: User) -> QuerySet[Customer]:
    """Every customer for the roles that see customers (see ``permissions``), else none."""
    if not can_see_all_customers(viewer):
        return Customer.objects.none()
    return Customer.objects.all()


def is_visible(viewer: User, customer: Customer) -> bool:
    """Whether ``viewer`` may open ``customer``'s record (without a query)."""
    return can_see_all_customers(viewer)


def get_customer(viewer: User, customer_id: int) -> Customer:
    customer = (
        visible_customers(viewer)
        .select_related("organisation", "advisor")
        .prefetch_related("identities", "tags")
        .filter(pk=customer_id)
        .first()
    )
    if customer is None:
        raise NotFound(_("Customer not found."))
    return customer


def list_customers(
    viewer: User, *, query: str = "", cursor: str | None = None, limit: int = 25
) -> Page[Customer]:
    customers = visible_customers(viewer)
    query = query.replace("\x00", "")  # PostgreSQL refuses NUL in text
    if query.strip():
        text = query.strip()
        ids = _identity_matches(text)
        if ids is not None:
            customers = customers.filter(pk__in=ids)
        else:
            customers = customers.filter(name__icontains=text)
    customers = customers.select_related("organisation", "advisor").prefetch_related(
        Prefetch("identities", queryset=CustomerIdentity.objects.order_by("-is_primary", "id")),
        "tags",
    )
    return paginate(
        customers, order_field="id", descending=True, limit=min(limit, 100), cursor=cursor
    )


def _identity_matches(text: str) -> list[int] | None:
    try:
        if looks_like_email(text):
            pairs = [(IdentityKind.EMAIL, normalize_email(text))]
        else:
            pairs = [(IdentityKind.PHONE, normalize_phone(text))]
    except ValidationFailed:
        return None
    kind, value = pairs[0]
    return list(
        CustomerIdentity.objects.filter(kind=kind, value=value).values_list(
            "customer_id", flat=True
        )
    )


def find_customers_by_contact(viewer: User, text: str) -> list[Customer]:
    ids = _identity_matches(text)
    if not ids:
        return []
    return list(visible_customers(viewer).filter(pk__in=ids).prefetch_related("identities", "tags"))


def customer_history(viewer: User, customer: Customer, *, limit: int = 200) -> list[TicketSummary]:
    """The customer's tickets on every channel, newest first, within the viewer's scope."""
    if not _history_reader:
        return []
    return _history_reader[0](viewer, customer, limit)
