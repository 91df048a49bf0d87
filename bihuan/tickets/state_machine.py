"""The ticket status state machine: the one table of allowed transitions.

待处理 new → 处理中 open → 等待客户 / 等待协作 → 已解决 solved → 已闭环 closed.
``closed`` is reachable only from ``solved`` and is final. A customer message to a solved
ticket reopens it; to a ticket waiting for the customer, puts it back in progress.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from bihuan.core.errors import Conflict, ValidationFailed
from bihuan.tickets.choices import TicketStatus as S

ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    S.NEW: frozenset({S.OPEN, S.PENDING_CUSTOMER, S.PENDING_COLLABORATION, S.SOLVED}),
    S.OPEN: frozenset({S.PENDING_CUSTOMER, S.PENDING_COLLABORATION, S.SOLVED}),
    S.PENDING_CUSTOMER: frozenset({S.OPEN, S.PENDING_COLLABORATION, S.SOLVED}),
    S.PENDING_COLLABORATION: frozenset({S.OPEN, S.PENDING_CUSTOMER, S.SOLVED}),
    S.SOLVED: frozenset({S.OPEN, S.CLOSED}),
    S.CLOSED: frozenset(),
}

# What a new customer message does to each status (None: stays as it is).
ON_CUSTOMER_MESSAGE: dict[str, str | None] = {
    S.NEW: None,
    S.OPEN: None,
    S.PENDING_CUSTOMER: S.OPEN,
    S.PENDING_COLLABORATION: None,
    S.SOLVED: S.OPEN,
    S.CLOSED: None,
}


def can_transition(current: str, target: str) -> bool:
    return target in ALLOWED_TRANSITIONS.get(current, frozenset())


def check_transition(current: str, target: str) -> None:
    """Raise unless ``current → target`` is allowed."""
    if target not in S.values:
        raise ValidationFailed(
            _("Unknown status “%(status)s”."), code="invalid_status", status=target
        )
    if current == target:
        raise Conflict(_("The ticket already has this status."), code="same_status")
    if current == S.CLOSED:
        raise Conflict(_("A closed ticket cannot change any more."), code="ticket_closed")
    if not can_transition(current, target):
        raise Conflict(
            _("A ticket cannot go from “%(current)s” to “%(target)s”."),
            code="forbidden_transition",
            current=S(current).label,
            target=S(target).label,
        )


def allowed_targets(current: str) -> list[str]:
    return [s for s in S.values if s in ALLOWED_TRANSITIONS.get(current, frozenset())]
