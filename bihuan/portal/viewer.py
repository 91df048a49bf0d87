"""Who is looking at the portal: what a verified one-time code opened."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PortalViewer:
    """The customer a verified code opened the portal for, and the one ticket of a lookup
    (None: every ticket of a customer signed in by email)."""

    session_id: int
    customer_id: int
    ticket_id: int | None

    @property
    def is_signed_in(self) -> bool:
        return self.ticket_id is None
