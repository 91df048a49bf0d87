"""Panels other apps add to the ticket page, without tickets importing them.

An app that depends on tickets registers a function in its ``AppConfig.ready``::

    register_ticket_panel("sla", render_sla_panel)   # (request, ticket) -> safe HTML

and the ticket page shows every registered panel in order. The arrow points one way: the
sla app knows tickets, tickets only knows this list.

Notes on single messages work the same way: ``register_message_notes("email", provide)``
where ``provide(messages)`` answers ``{message id: safe HTML}`` for a whole timeline page at
once (one query for the page, never one per message) — the email delivery state, say.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest
from django.utils.safestring import SafeString

from bihuan.tickets.models import Message, Ticket

PanelRenderer = Callable[[HttpRequest, Ticket], SafeString]
MessageNotes = Callable[[list[Message]], dict[int, SafeString]]

_panels: dict[str, PanelRenderer] = {}
_message_notes: dict[str, MessageNotes] = {}


def register_ticket_panel(name: str, render: PanelRenderer) -> None:
    """Show ``render(request, ticket)`` on every ticket page (registering again replaces)."""
    _panels[name] = render


def render_ticket_panels(request: HttpRequest, ticket: Ticket) -> list[SafeString]:
    """The HTML of every registered panel for ``ticket``, in registration order."""
    return [render(request, ticket) for render in _panels.values()]


def register_message_notes(name: str, provide: MessageNotes) -> None:
    """Add ``provide(messages)``'s notes to the timeline's messages (registering again
    replaces). It is called once per page with every message on it."""
    _message_notes[name] = provide


def render_message_notes(messages: list[Message]) -> dict[int, list[SafeString]]:
    """The registered notes of each message, by message id, in registration order."""
    notes: dict[int, list[SafeString]] = {}
    if not messages:
        return notes
    for provide in _message_notes.values():
        for message_id, html in provide(messages).items():
            notes.setdefault(message_id, []).append(html)
    return notes
