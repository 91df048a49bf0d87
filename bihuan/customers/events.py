"""The customers domain's event verbs: records created, changed, identities added, views."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bihuan.core.catalogue import Verb, declare
from bihuan.core.models import Event


def _identity(event: Event) -> list[str]:
    # The audit log keeps identities masked (customers.services), so this shows no PII.
    value = event.get("value") or event.get("identity") or ""
    return [str(value)] if value else []


def _moved(event: Event) -> list[str]:
    moved = event.get("moved") or {}
    return [
        _("%(tickets)s tickets, %(identities)s contacts, %(events)s events moved")
        % {
            "tickets": moved.get("tickets", 0),
            "identities": moved.get("identities", 0),
            "events": moved.get("events", 0),
        }
    ]


declare(
    Verb("customer.created", describe=lambda e: _("created the customer record")),
    Verb(
        "customer.identity_added",
        describe=lambda e: _("added a contact to the customer"),
        details=_identity,
    ),
    Verb("customer.updated", describe=lambda e: _("changed the customer record")),
    Verb(
        "customer.named",
        describe=lambda e: _("named the customer as their channel profile does"),
        notifies=gettext_lazy("nobody: kept for the audit log"),
    ),
    Verb(
        "customer.merged",
        describe=lambda e: _("merged customer #%(id)s into this one") % {"id": e.get("merged", "")},
        details=_moved,
        notifies=gettext_lazy("nobody: kept for the audit log"),
    ),
    Verb(
        "customer.merge_undone",
        describe=lambda e: (
            _("undid the merge of customer #%(id)s into this one") % {"id": e.get("merged", "")}
        ),
        notifies=gettext_lazy("nobody: kept for the audit log"),
    ),
    Verb(
        "customer.viewed",
        describe=lambda e: _("opened the full customer record"),
        notifies=gettext_lazy("nobody: kept for the audit log"),
    ),
)
