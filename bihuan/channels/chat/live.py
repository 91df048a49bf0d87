"""What the chat tells the agents' live workspace (``bihuan.live``) beyond the event log.

A visitor's messages reach open ticket pages and the inbox through the event log like every
change; only the visitor's typing, which is not an event, is published here.
"""

from __future__ import annotations


async def visitor_wrote(ticket_id: int) -> None:
    """A visitor message was stored (its ``ticket.message_added`` event feeds the pages)."""


async def visitor_typing(ticket_id: int, *, typing: bool) -> None:
    """The visitor is typing on ``ticket_id`` (shown on the ticket page)."""
