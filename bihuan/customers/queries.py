"""Read paths for customers, scoped by the viewer.

Customers do not depend on tickets (tickets depend on customers): the customer's ticket
history is read by a function the tickets app registers at start-up
(``set_history_reader``), so this module never imports it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import BooleanField, Prefetch, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _

from bihuan.accounts.models import User
from bihuan.core.errors import NotFound, ValidationFailed
from bihuan.core.pagination import Page, paginate
from bihuan.customers.choices import IdentityKind
from bihuan.customers.identity import (
    display_phone,
    looks_like_email,
    normalize_email,
    normalize_phone,
    spellings,
)
from bihuan.customers.models import Customer, CustomerIdentity, CustomerMerge
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


def _scope(viewer: User) -> QuerySet[Customer]:
    if not can_see_all_customers(viewer):
        return Customer.objects.none()
    return Customer.objects.all()


def visible_customers(viewer: User) -> QuerySet[Customer]:
    """Every customer for the roles that see customers (see ``permissions``), else none.

    A customer merged into another is in no list or search: its tickets and identities are
    the survivor's now (its own page still opens, to say so and to undo the merge).
    """
    return _scope(viewer).filter(merged_into__isnull=True)


def is_visible(viewer: User, customer: Customer) -> bool:
    """Whether ``viewer`` may open ``customer``'s record (without a query)."""
    return can_see_all_customers(viewer)


def get_customer(viewer: User, customer_id: int) -> Customer:
    customer = (
        _scope(viewer)
        .select_related("organisation", "advisor", "merged_into")
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
            customers = name_contains(customers, text)
    customers = customers.select_related("organisation", "advisor").prefetch_related(
        Prefetch("identities", queryset=CustomerIdentity.objects.order_by("-is_primary", "id")),
        "tags",
    )
    return paginate(
        customers, order_field="id", descending=True, limit=min(limit, 100), cursor=cursor
    )


def name_contains(customers: QuerySet[Customer], text: str) -> QuerySet[Customer]:
    """``customers`` whose name contains ``text``, case-insensitively.

    On PostgreSQL the GIN index on the name's bigrams (migration 0006) narrows the rows to
    those holding every pair of adjacent characters of ``text`` before the containment test,
    so a text that no name contains costs an index probe, not a read of every customer.
    """
    customers = customers.filter(name__icontains=text)
    if connection.vendor == "postgresql" and len(text) >= 2:
        holds_bigrams = RawSQL(
            "customer_name_bigrams(customers_customer.name::text) @> customer_name_bigrams(%s)",
            (text,),
            output_field=BooleanField(),
        )
        customers = customers.filter(holds_bigrams)
    return customers


def _identity_matches(text: str) -> list[int] | None:
    """Ids of the customers with the phone or email ``text`` (in any spelling it may be
    typed or stored in), or of a phone masked as lists show it; None: not a contact."""
    masked = masked_phone_parts(text)
    if masked is not None:
        return customer_ids_by_masked_phone(*masked)
    try:
        if looks_like_email(text):
            kind, value = IdentityKind.EMAIL, normalize_email(text)
        else:
            kind, value = IdentityKind.PHONE, normalize_phone(text)
    except ValidationFailed:
        return None
    return list(
        CustomerIdentity.objects.filter(
            kind=kind, source="", value__in=spellings(kind, value)
        ).values_list("customer_id", flat=True)
    )


_MASKED_PHONE = re.compile(r"^\+?(\d{2,7})(\*{2,8})(\d{2,4})$")
_PHONE_SEPARATORS = re.compile(r"[\s\-().]")


def masked_phone_parts(text: str) -> tuple[str, int, str] | None:
    """(visible start, hidden digit count, visible end) of a phone masked as the lists show
    it (``181****9564``), or None for anything else."""
    found = _MASKED_PHONE.match(_PHONE_SEPARATORS.sub("", text))
    if found is None:
        return None
    return found.group(1), len(found.group(2)), found.group(3)


def customer_ids_by_masked_phone(
    start: str, hidden: int, end: str, *, limit: int = 200
) -> list[int]:
    """Customers with a phone that reads ``start``, ``hidden`` digits, ``end`` as lists show
    it — stored in E.164 (``+8618112349564`` shows as ``181****9564``) or in the digits
    stored before E.164."""
    pattern = re.compile(rf"{re.escape(start)}\d{{{hidden}}}{re.escape(end)}")
    national = start[1:] if start.startswith("0") else start
    starts = Q(value__startswith=start) | Q(value__startswith=f"+86{national}")
    starts |= Q(value__startswith=f"+{start}")
    rows = (
        CustomerIdentity.objects.filter(starts, kind=IdentityKind.PHONE, value__endswith=end)
        .order_by("-customer_id")
        .values_list("customer_id", "value")[:limit]
    )
    return [
        customer_id
        for customer_id, value in rows
        if any(
            pattern.fullmatch(shown)
            for shown in (display_phone(value), value, value.removeprefix("+"))
        )
    ]


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


class DuplicateReason:
    """Why two customers are likely the same person (stable values for API and pages)."""

    PHONE = "same_phone"
    EMAIL = "same_email"
    NAME_AND_ORGANISATION = "same_name_and_organisation"


@dataclass(frozen=True)
class DuplicateSuggestion:
    """Another customer that is likely the same person, and why."""

    customer: Customer
    reasons: tuple[str, ...]


def _normal_or_stored(kind: str, value: str) -> str:
    try:
        return normalize_phone(value) if kind == IdentityKind.PHONE else normalize_email(value)
    except ValidationFailed:
        return value


def list_likely_duplicates(
    viewer: User, customer: Customer, *, limit: int = 10
) -> list[DuplicateSuggestion]:
    """Customers (not merged away) that are likely ``customer``: the same phone or email in
    another spelling (two records the conversion to E.164 could not join), or the same name
    in the same organisation. Newest first; nothing for a viewer who may not see customers.
    """
    if not can_see_all_customers(viewer) or customer.merged_into_id is not None:
        return []
    reasons: dict[int, set[str]] = {}
    condition = Q()
    for identity in customer.identities.all():
        if identity.kind not in (IdentityKind.PHONE, IdentityKind.EMAIL):
            continue
        normal = _normal_or_stored(identity.kind, identity.value)
        values = {identity.value, *spellings(identity.kind, normal)}
        condition |= Q(kind=identity.kind, value__in=sorted(values))
    if condition:
        rows = (
            CustomerIdentity.objects.filter(condition, customer__merged_into__isnull=True)
            .exclude(customer_id=customer.pk)
            .values_list("customer_id", "kind")[:200]
        )
        for other_id, kind in rows:
            reason = DuplicateReason.PHONE if kind == IdentityKind.PHONE else DuplicateReason.EMAIL
            reasons.setdefault(other_id, set()).add(reason)
    if customer.organisation_id is not None:
        same_name = (
            visible_customers(viewer)
            .filter(name__iexact=customer.name, organisation_id=customer.organisation_id)
            .exclude(pk=customer.pk)
            .values_list("pk", flat=True)[:50]
        )
        for other_id in same_name:
            reasons.setdefault(other_id, set()).add(DuplicateReason.NAME_AND_ORGANISATION)
    if not reasons:
        return []
    others = (
        visible_customers(viewer)
        .filter(pk__in=list(reasons))
        .select_related("organisation", "advisor")
        .prefetch_related("identities", "tags")
        .order_by("-id")[:limit]
    )
    order = [DuplicateReason.PHONE, DuplicateReason.EMAIL, DuplicateReason.NAME_AND_ORGANISATION]
    return [
        DuplicateSuggestion(
            customer=other, reasons=tuple(r for r in order if r in reasons[other.pk])
        )
        for other in others
    ]


def list_merges(viewer: User, customer: Customer) -> list[CustomerMerge]:
    """The merges into ``customer`` and the one that merged it away, newest first."""
    if not can_see_all_customers(viewer):
        return []
    return list(
        CustomerMerge.objects.filter(Q(survivor=customer) | Q(merged=customer))
        .select_related("survivor", "merged", "merged_by", "undone_by")
        .order_by("-id")[:50]
    )
