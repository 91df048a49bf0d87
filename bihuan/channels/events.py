"""The channels domain's event verbs: what happened to inbound and outbound mail."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bihuan.core.catalogue import Verb, declare
from bihuan.core.masking import mask_email
from bihuan.core.models import Event
from bihuan.tickets.events import ticket_link


def _sender(event: Event) -> list[str]:
    address = str(event.get("from") or "")
    return [_("from %(address)s") % {"address": mask_email(address)}] if address else []


def _recipient(event: Event) -> list[str]:
    lines = []
    address = str(event.get("to") or "")
    if address:
        lines.append(_("to %(address)s") % {"address": mask_email(address)})
    if event.get("reason"):
        lines.append(str(event.get("reason")))
    return lines


def _held(event: Event) -> str:
    if event.get("status") == "automatic":
        return _("received an automatic reply (no ticket opened, no answer sent)")
    if event.get("status") == "bounce":
        return _("received a delivery failure report")
    if event.get("reason") == "unverified_sender":
        return _("held an email whose sender could not be verified")
    return _("held an email from someone who is not the ticket's customer")


def _released(event: Event) -> str:
    action = event.get("action")
    if action == "note":
        return _("kept a held email as an internal note")
    if action == "new_ticket":
        return _("opened a ticket for the sender of a held email")
    return _("dismissed a held email")


declare(
    Verb("email.held", describe=_held, details=_sender, link=ticket_link),
    Verb(
        "email.quarantined",
        describe=lambda e: _("put an email that could not be read into the quarantine"),
        details=lambda e: [str(e.get("reason") or "")],
        notifies=gettext_lazy("admins, in the quarantine list"),
    ),
    Verb(
        "email.reprocessed",
        describe=lambda e: _("re-processed a quarantined email"),
        link=ticket_link,
    ),
    Verb("email.queued", describe=lambda e: _("queued an email"), details=_recipient),
    Verb("email.sent", describe=lambda e: _("sent an email"), details=_recipient, link=ticket_link),
    Verb(
        "email.delivery_failed",
        describe=lambda e: _("could not deliver an email"),
        details=_recipient,
        link=ticket_link,
    ),
    Verb("email.released", describe=_released, details=_sender, link=ticket_link),
)
