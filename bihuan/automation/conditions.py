"""A rule's conditions: checked against one ticket, or turned into a filter for the preview.

``conditions`` maps a field to the one value it must have; a missing key matches anything.
The category matches the ticket's category or its parent (a rule on 退款 also takes
退款 › 仅退款), the tag any one of the ticket's tags.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from bihuan.tickets.models import Ticket

FIELDS = ("kind", "priority", "channel", "category", "tag", "customer_tier", "status")


def matches(conditions: dict[str, Any], ticket: Ticket, *, tags: set[str]) -> bool:
    """Whether every condition holds for ``ticket`` (``tags``: the names of its tags)."""
    for name, value in conditions.items():
        if name == "kind" and ticket.kind != value:
            return False
        if name == "priority" and ticket.priority != int(value):
            return False
        if name == "channel" and ticket.channel != value:
            return False
        if name == "status" and ticket.status != value:
            return False
        if name == "customer_tier" and ticket.customer.tier != value:
            return False
        if name == "tag" and value not in tags:
            return False
        if name == "category" and int(value) not in {
            ticket.category_id,
            ticket.category.parent_id if ticket.category else None,
        }:
            return False
    return True


def as_filter(conditions: dict[str, Any]) -> Q:
    """The same conditions as a query filter on tickets (for the preview)."""
    query = Q()
    for name, value in conditions.items():
        if name in ("kind", "channel", "status"):
            query &= Q(**{name: value})
        elif name == "priority":
            query &= Q(priority=int(value))
        elif name == "customer_tier":
            query &= Q(customer__tier=value)
        elif name == "tag":
            query &= Q(tags__name=value)
        elif name == "category":
            query &= Q(category_id=int(value)) | Q(category__parent_id=int(value))
    return query
