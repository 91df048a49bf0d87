"""The chat widget's event verbs."""

from __future__ import annotations

from django.utils.translation import gettext as _

from bihuan.core.catalogue import Verb, declare
from bihuan.core.models import Event
from bihuan.tickets.events import ticket_link


def _given(event: Event) -> list[str]:
    given = event.get("given") or []
    return [", ".join(str(value) for value in given)] if isinstance(given, list) else []


declare(
    Verb("chat.widget_created", describe=lambda e: _("added a chat widget")),
    Verb("chat.widget_changed", describe=lambda e: _("changed a chat widget")),
    Verb("chat.widget_key_replaced", describe=lambda e: _("replaced a chat widget's public key")),
    Verb(
        "chat.queued",
        describe=lambda e: _("the chat waits for an agent: everyone online has their maximum"),
        link=ticket_link,
    ),
    Verb(
        "chat.visitor_identified",
        describe=lambda e: _("a chat visitor gave their contact details"),
        details=_given,
        link=ticket_link,
    ),
)
