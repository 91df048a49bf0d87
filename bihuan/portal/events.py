"""The portal's event verbs: how each reads in the ticket timeline and the audit views."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from bihuan.core.catalogue import Verb, declare
from bihuan.core.models import Event


def _ticket_link(event: Event) -> str | None:
    if event.ticket_id is None:
        return None
    return reverse("tickets:detail", kwargs={"number": event.ticket_id})


def _files_added(event: Event) -> str:
    count = len(event.get("files") or [])
    return ngettext(
        "added %(count)s file in the customer portal",
        "added %(count)s files in the customer portal",
        count,
    ) % {"count": count}


def _file_names(event: Event) -> list[str]:
    return [str(f.get("name", "")) for f in event.get("files") or [] if isinstance(f, dict)]


declare(
    Verb(
        "portal.code_requested",
        describe=lambda e: _("asked for a one-time code in the customer portal"),
    ),
    Verb(
        "portal.session_started",
        describe=lambda e: _("opened the customer portal with a one-time code"),
    ),
    Verb("portal.session_ended", describe=lambda e: _("signed out of the customer portal")),
    Verb(
        "portal.files_added",
        describe=_files_added,
        details=_file_names,
        link=_ticket_link,
    ),
    Verb(
        "portal.solution_confirmed",
        describe=lambda e: _("confirmed in the customer portal that the problem is solved"),
        link=_ticket_link,
    ),
    Verb(
        "portal.solution_rejected",
        describe=lambda e: _("said in the customer portal that the problem is not solved"),
        link=_ticket_link,
    ),
)
