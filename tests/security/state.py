"""A fingerprint of everything a refused request must leave unchanged."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db import connection

from bihuan.customers.models import Customer, CustomerIdentity
from bihuan.tickets.models import Commitment, Ticket


def db_state() -> dict[str, Any]:
    """Row counts of every domain table, and the fields of tickets, customers, identities and
    commitments that a write could change."""
    state: dict[str, Any] = dict(row_counts({"core", "accounts", "customers", "tickets", "triage"}))
    state["tickets"] = list(
        Ticket.objects.order_by("pk").values_list(
            "pk", "status", "priority", "owner_id", "updated_at", "subject"
        )
    )
    state["customers"] = list(Customer.objects.order_by("pk").values_list("pk", "name", "tier"))
    state["identities"] = list(
        CustomerIdentity.objects.order_by("pk").values_list(
            "customer_id", "kind", "value", "is_primary"
        )
    )
    state["commitments"] = list(
        Commitment.objects.order_by("pk").values_list("pk", "done_at", "cancelled_at")
    )
    return state


def row_counts(app_labels: set[str]) -> dict[str, int]:
    """The row count of every table of ``app_labels``' models, in one round trip (one COUNT
    query per model made tests that check thousands of requests spend their time counting)."""
    tables: dict[str, str] = {}
    for model in apps.get_models():
        meta = model._meta
        if meta.app_label in app_labels and meta.managed and not meta.proxy:
            tables.setdefault(meta.db_table, meta.label)
    names = sorted(tables)
    quote = connection.ops.quote_name
    # Table names come from the models, quoted: no input reaches this SQL.
    counts = ", ".join(f"(SELECT COUNT(*) FROM {quote(name)})" for name in names)  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {counts}")
        row = cursor.fetchone()
    return {tables[name]: count for name, count in zip(names, row, strict=True)}
