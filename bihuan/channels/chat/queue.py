"""Waiting chats: the chats nobody had room for, and who takes them when room frees.

A chat waits when its ticket is open, unowned and of channel ``chat``, and was not left
through the offline form (those are tickets answered later by email or SMS, in the inbox like
any other). The longest waiting (the oldest ticket) comes first.

``assign_waiting_chats`` walks the waiting chats oldest first and gives each to the least busy
agent with room (``assignment.assign_chat``: online, in the widget's queue, below the smaller
of their own and the widget's maximum of concurrent chats; on a tie, whoever was given a chat
longest ago). It runs whenever room may have freed (``handlers.assign_waiting_chats``: a chat
solved, closed or given to someone else, an agent back online, a widget's limit raised, a chat
just queued) and once a minute (an admin raising an agent's own limit records no event).

Safe under concurrency: each chat is taken in its own transaction that locks its ticket row
and assigns only if it is still unowned; ``assign_chat`` locks the agent's row and counts their
open chats again before giving one more. Two runs at once (two chats solved at the same
moment) therefore neither give one chat twice nor push an agent over their limit: the second
waits for the first's locks and then sees what it did.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet

from bihuan.accounts.models import User
from bihuan.channels.chat import assignment, live
from bihuan.channels.chat.models import ChatMessage, ChatVisitor
from bihuan.tickets.choices import OPEN_STATUSES, Channel
from bihuan.tickets.models import Ticket

# One run takes at most this many waiting chats (the next run continues).
BATCH = 200
# Visitors told their new place after a run, per queue.
TELL_AT_MOST = 100


def waiting_chats() -> QuerySet[ChatVisitor]:
    """The visitors whose current chat waits for an agent, longest waiting first."""
    offline = ChatMessage.objects.filter(ticket=OuterRef("ticket_id"), is_offline=True)
    return (
        ChatVisitor.objects.filter(
            ticket__owner__isnull=True,
            ticket__status__in=OPEN_STATUSES,
            ticket__channel=Channel.CHAT,
        )
        .exclude(Exists(offline))
        .order_by("ticket__created_at", "ticket_id")
    )


def _same_queue(team_id: int | None) -> Q:
    # Chats of widgets with the same queue wait for the same agents.
    return Q(widget__team__isnull=True) if team_id is None else Q(widget__team=team_id)


def queue_position(ticket: Ticket, *, team_id: int | None) -> int | None:
    """The chat's place among the chats waiting in its queue (1: next), None when it is not
    waiting (it has an owner, is closed, or was left through the offline form)."""
    if ticket.owner_id is not None:
        return None
    ahead = (
        waiting_chats()
        .filter(_same_queue(team_id))
        .filter(
            Q(ticket__created_at__lt=ticket.created_at)
            | Q(ticket__created_at=ticket.created_at, ticket_id__lte=ticket.pk)
        )
        .values_list("ticket_id", flat=True)
    )
    found = list(ahead[: TELL_AT_MOST + 1])
    if ticket.pk not in found and len(found) <= TELL_AT_MOST:
        return None
    return len(found)


def waiting_frame(position: int | None) -> dict[str, Any]:
    """What the widget is told: waiting (and its place) or not (an agent has the chat)."""
    return {"type": "queue", "waiting": position is not None, "position": position}


@dataclass(frozen=True)
class Placed:
    """A waiting chat given to an agent."""

    ticket_id: int
    owner_id: int
    visitor_key: str


def assign_waiting_chats(*, limit: int = BATCH) -> list[Placed]:
    """Give waiting chats, oldest first, to agents with room; answer what was placed.

    Each chat in its own transaction (see the module docstring for the locks). A queue whose
    oldest chat found nobody with room is skipped for the rest of the run: its younger chats
    would find nobody either, and they must not overtake it.
    """
    placed: list[Placed] = []
    full_widgets: set[int] = set()
    candidates = list(waiting_chats().select_related("widget")[:limit])
    for visitor in candidates:
        if visitor.widget_id in full_widgets or visitor.ticket_id is None:
            continue
        with transaction.atomic():
            ticket = (
                Ticket.objects.select_for_update()
                .filter(
                    pk=visitor.ticket_id,
                    owner__isnull=True,
                    status__in=OPEN_STATUSES,
                    channel=Channel.CHAT,
                )
                .first()
            )
            if ticket is None:
                continue  # taken meanwhile (an agent, another run, triage)
            owner: User | None = assignment.assign_chat(ticket, visitor.widget)
            if owner is None:
                full_widgets.add(visitor.widget_id)
                continue
            placed.append(Placed(ticket.pk, owner.pk, visitor.key))
            key = visitor.key
            transaction.on_commit(lambda key=key: tell_place(key, None))  # type: ignore[misc]
    if placed:
        _tell_new_places({v.widget.team_id for v in candidates})
    return placed


def tell_place(visitor_key: str, position: int | None) -> None:
    """Tell the visitor's open connections where their chat stands (``waiting_frame``)."""
    live.push(
        live.visitor_group(visitor_key), {"type": "chat.queue", "frame": waiting_frame(position)}
    )


def _tell_new_places(team_ids: set[int | None]) -> None:
    """Each visitor still waiting in these queues hears their new place."""
    for team_id in team_ids:
        waiting = waiting_chats().filter(_same_queue(team_id)).values_list("key", flat=True)
        for position, key in enumerate(waiting[:TELL_AT_MOST], start=1):
            tell_place(key, position)
