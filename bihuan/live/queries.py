"""Read paths of the live workspace: events a viewer may see, unread tickets, preferences.

Every function takes the viewer and scopes by ``tickets.permissions`` (the inbox's own scope),
so an event of a ticket outside an agent's scope is never returned, whatever cursor or ids a
client sends.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Exists, Max, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from bihuan.accounts.models import User
from bihuan.core.models import Event
from bihuan.live.models import LiveSettings, TicketRead
from bihuan.tickets import queries as ticket_queries
from bihuan.tickets.choices import Channel
from bihuan.tickets.models import Ticket
from bihuan.tickets.permissions import visible_tickets

# At most this many events are sent in one frame; a client further behind gets a reset.
CATCH_UP_LIMIT = 200
# An unread count stops at this number (shown as "99+").
UNREAD_CAP = 100


@dataclass(frozen=True)
class LiveEvent:
    """One event as a page receives it: enough to decide what to refresh or announce."""

    id: int
    verb: str
    ticket: int
    actor: str
    is_mine: bool
    # "chat" (a new chat conversation) or "mention" (the viewer was @mentioned), else "".
    alert: str

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "verb": self.verb,
            "ticket": self.ticket,
            "actor": self.actor,
            "mine": self.is_mine,
            "alert": self.alert,
        }


def newest_event_id() -> int:
    """The newest event id now (a page's cursor: it hears about everything after it)."""
    return int(Event.objects.aggregate(newest=Max("id"))["newest"] or 0)


def visible_ticket_ids(viewer: User, ticket_ids: Iterable[int]) -> set[int]:
    """Which of ``ticket_ids`` ``viewer`` may see (one query on the primary key)."""
    wanted = set(ticket_ids)
    if not wanted:
        return set()
    return set(visible_tickets(viewer).filter(pk__in=wanted).values_list("pk", flat=True))


def can_see_ticket(viewer: User, ticket_id: int) -> bool:
    return bool(visible_ticket_ids(viewer, [ticket_id]))


def list_events(
    viewer: User,
    *,
    after: int,
    ids: Iterable[int] = (),
    ticket: int | None = None,
    limit: int = CATCH_UP_LIMIT,
) -> list[LiveEvent]:
    """Ticket events after ``after`` (and those of ``ids``, which may be older: a transaction
    that took its id earlier can commit later), oldest first, only of tickets ``viewer`` sees.

    Two queries whatever the backlog: the candidate events by primary key, then which of
    their tickets are in scope (not a join with the whole scope, which a big queue makes a
    scan)."""
    wanted = Q(id__gt=after)
    extra = [pk for pk in ids if pk <= after]
    if extra:
        wanted |= Q(id__in=extra)
    events = Event.objects.filter(wanted, ticket_id__isnull=False)
    if ticket is not None:
        events = events.filter(ticket_id=ticket)
    rows = list(events.select_related("actor").order_by("id")[:limit])
    allowed = visible_ticket_ids(viewer, {e.ticket_id for e in rows if e.ticket_id is not None})
    rows = [e for e in rows if e.ticket_id in allowed]
    created = {e.ticket_id for e in rows if e.verb == "ticket.created"}
    chats = (
        set(
            Ticket.objects.filter(pk__in=created, channel=Channel.CHAT).values_list("pk", flat=True)
        )
        if created
        else set()
    )
    return [_present(e, viewer, chats) for e in rows]


def _present(event: Event, viewer: User, chats: set[int]) -> LiveEvent:
    ticket = int(event.ticket_id or 0)
    alert = ""
    mentions = event.data.get("mentions") if isinstance(event.data, dict) else None
    if isinstance(mentions, list) and viewer.pk in mentions:
        alert = "mention"
    elif event.verb == "ticket.created" and ticket in chats and event.actor_id != viewer.pk:
        alert = "chat"
    return LiveEvent(
        id=event.pk,
        verb=event.verb,
        ticket=ticket,
        actor=str(event.actor) if event.actor is not None else "",
        is_mine=event.actor_id == viewer.pk,
        alert=alert,
    )


def get_live_settings(viewer: User, *, newest: int | None = None) -> LiveSettings:
    """The viewer's preferences; never writes (a page view is a read).

    Read tracking starts when the viewer's first page connects its live socket (the consumer
    creates the row); until then nothing is unread and the defaults apply (an unsaved row,
    its horizon ``newest`` when the caller has read the newest event id already)."""
    row = LiveSettings.objects.filter(user_id=viewer.pk).first()
    if row is not None:
        return row
    return LiveSettings(
        user_id=viewer.pk,
        read_horizon_event_id=newest_event_id() if newest is None else newest,
        read_horizon_at=timezone.now(),
    )


def _unread_condition(viewer: User, horizon: int) -> Exists:
    """A ticket with an event after what ``viewer`` last saw of it, by someone else."""
    seen = TicketRead.objects.filter(user_id=viewer.pk, ticket_id=OuterRef(OuterRef("pk")))
    newer = Event.objects.filter(
        ticket_id=OuterRef("pk"),
        id__gt=Coalesce(Subquery(seen.values("last_event_id")[:1]), Value(horizon)),
    ).exclude(actor_id=viewer.pk)
    return Exists(newer)


def unread_ticket_ids(viewer: User, ticket_ids: Iterable[int]) -> set[int]:
    """Which of ``ticket_ids`` (an inbox page) are unread for ``viewer`` (one query)."""
    wanted = set(ticket_ids)
    if not wanted:
        return set()
    live = get_live_settings(viewer)
    tickets = visible_tickets(viewer).filter(pk__in=wanted)
    tickets = tickets.filter(_unread_condition(viewer, live.read_horizon_event_id))
    return set(tickets.values_list("pk", flat=True))


def count_unread_by_view(viewer: User) -> dict[str, int]:
    """Unread tickets in each inbox view, up to ``UNREAD_CAP``.

    Only tickets updated since read tracking began can be unread (every service touches
    ``updated_at``), so each count walks the view's ``updated_at`` index from there."""
    live = get_live_settings(viewer)
    unread = _unread_condition(viewer, live.read_horizon_event_id)
    counts: dict[str, int] = {}
    for view in ticket_queries.VIEWS:
        tickets: QuerySet[Ticket] = ticket_queries.filtered_tickets(
            viewer, ticket_queries.TicketFilters(view=view)
        )
        tickets = tickets.filter(updated_at__gte=live.read_horizon_at).filter(unread)
        counts[view] = tickets.values("pk")[:UNREAD_CAP].count()
    return counts


def view_totals(viewer: User) -> dict[str, str]:
    """The inbox's own view counts (cached per viewer by the tickets app), as labels."""
    return {
        key: ticket_queries.count_label(count)
        for key, count in ticket_queries.count_views(viewer).items()
    }


def unread_label(count: int) -> str:
    """An unread count as shown: "" for none, "99+" at the cap."""
    if count <= 0:
        return ""
    return f"{UNREAD_CAP - 1}+" if count >= UNREAD_CAP else str(count)
