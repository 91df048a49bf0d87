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


declare(
    Verb("customer.created", describe=lambda e: _("created the customer record")),
    Verb(
        "customer.identity_added",
        describe=lambda e: _("added a contact to the customer"),
        details=_identity,
    ),
    Verb("customer.updated", describe=lambda e: _("changed the customer record")),
    Verb(
        "customer.viewed",
        describe=lambda e: _("opened the full customer record"),
        notifies=gettext_lazy("nobody: kept for the audit log"),
    ),
)
