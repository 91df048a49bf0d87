"""A fingerprint of everything a refused request must leave unchanged."""

from __future__ import annotations

from typing import Any

from django.apps import apps

from bihuan.customers.models import Customer, CustomerIdentity
from bihuan.tickets.models import Commitment, Ticket


def db_state() -> dict[str, Any]:
    """Row counts of every domain table, and the fields of tickets, customers, identities and
    commitments that a write could change."""
    state: dict[str, Any] = {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.app_label in {"core", "accounts", "customers", "tickets", "triage"}
    }
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
