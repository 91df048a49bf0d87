"""The messaging platforms' event verbs."""

from __future__ import annotations

from django.utils.translation import gettext as _

from bihuan.core.catalogue import Verb, declare
from bihuan.core.models import Event
from bihuan.tickets.events import ticket_link


def _platform(event: Event) -> list[str]:
    lines = [str(event.get("platform") or "")]
    if event.get("reason"):
        lines.append(str(event.get("reason")))
    return [line for line in lines if line]


declare(
    Verb(
        "messaging.received",
        describe=lambda e: _("received a message on a messaging platform"),
        details=_platform,
        link=ticket_link,
    ),
    Verb(
        "messaging.queued",
        describe=lambda e: _("queued a reply on a messaging platform"),
        details=_platform,
        link=ticket_link,
    ),
    Verb(
        "messaging.sent",
        describe=lambda e: _("sent a reply on a messaging platform"),
        details=_platform,
        link=ticket_link,
    ),
    Verb(
        "messaging.delivery_failed",
        describe=lambda e: _("could not deliver a reply on a messaging platform"),
        details=_platform,
        link=ticket_link,
    ),
    Verb(
        "messaging.account_saved",
        describe=lambda e: _("changed the settings of a messaging platform account"),
        details=_platform,
    ),
)
