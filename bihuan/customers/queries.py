"""Read paths for customers, scoped by the viewer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _

from bihuan.accounts.models import User
from bihuan.core.errors import NotFound, ValidationFailed
from bihuan.core.pagination import Page, paginate
from bihuan.customers.choices import IdentityKind
from bihuan.customers.identity import looks_like_email, normalize_email, normalize_phone
from bihuan.customers.models import Customer, CustomerIdentity

if TYPE_CHECKING:
    from bihuan.tickets.models import Ticket


def visible_customers(viewer: User) -> QuerySet[Customer]:
    """Every role but department members sees all customers; they see only those of tickets
    shared with or owned by their department."""
    from bihuan.tickets.permissions import can_see_all_customers, visible_tickets

    if not viewer.is_active:
        return Customer.objects.none()
    if can_see_all_customers(viewer):
        return Customer.objects.all()
    return Customer.objects.filter(pk__in=visible_tickets(viewer).values("customer_id"))


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


def customer_history(viewer: User, customer: Customer, *, limit: int = 200) -> list[Ticket]:
    """The customer's tickets on every channel, newest first, within the viewer's scope."""
    from bihuan.tickets.permissions import visible_tickets  # tickets depend on customers

    return list(
        visible_tickets(viewer)
        .filter(customer=customer)
        .select_related("owner", "category")
        .order_by("-created_at", "-id")[:limit]
    )
