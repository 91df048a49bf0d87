"""The channels domain's event verbs: what happened to inbound and outbound mail."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

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


def _files(event: Event) -> str:
    names = event.get("files") or []
    count = len(names) if isinstance(names, list) else 0
    if event.get("draft"):
        return ngettext(
            "attached %(count)d file to the next email reply",
            "attached %(count)d files to the next email reply",
            count,
        ) % {"count": count}
    return ngettext("attached %(count)d file", "attached %(count)d files", count) % {"count": count}


def _file_names(event: Event) -> list[str]:
    names = event.get("files") or []
    return [", ".join(str(name) for name in names)] if isinstance(names, list) else []


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
    Verb("email.files_attached", describe=_files, details=_file_names, link=ticket_link),
    Verb(
        "email.file_removed",
        describe=lambda e: _("removed a file from the next email reply"),
        details=lambda e: [str(e.get("file") or "")],
        link=ticket_link,
    ),
    Verb(
        "email.mailbox_password_rekeyed",
        describe=lambda e: _("re-encrypted a mailbox password under the current secret key"),
        details=lambda e: [str(e.get("address") or "")],
    ),
    Verb(
        "email.notifications_changed",
        describe=lambda e: (
            _("turned notification emails on")
            if e.get("enabled")
            else _("turned notification emails off")
        ),
    ),
)
