"""Panels other apps add to the ticket page, without tickets importing them.

An app that depends on tickets registers a function in its ``AppConfig.ready``::

    register_ticket_panel("sla", render_sla_panel)   # (request, ticket) -> safe HTML

and the ticket page shows every registered panel in order. The arrow points one way: the
sla app knows tickets, tickets only knows this list.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest
from django.utils.safestring import SafeString

from bihuan.tickets.models import Ticket

PanelRenderer = Callable[[HttpRequest, Ticket], SafeString]

_panels: dict[str, PanelRenderer] = {}


def register_ticket_panel(name: str, render: PanelRenderer) -> None:
    """Show ``render(request, ticket)`` on every ticket page (registering again replaces)."""
    _panels[name] = render


def render_ticket_panels(request: HttpRequest, ticket: Ticket) -> list[SafeString]:
    """The HTML of every registered panel for ``ticket``, in registration order."""
    return [render(request, ticket) for render in _panels.values()]
