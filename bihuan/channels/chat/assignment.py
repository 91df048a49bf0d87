"""Who answers a new chat: an agent online for chat, below their maximum of concurrent chats.

Online for chat: an active agent (agent, advisor or supervisor) of the widget's queue (any
queue when the widget has none) whose availability is *online* (the top bar's menu, kept by
accounts). A chat counts against an agent while its ticket is open and they own it; the limit
is the smaller of the agent's own ``max_concurrent_chats`` and the widget's
``max_chats_per_agent``. The least busy agent gets the chat (on a tie, whoever was given a
chat longest ago, so that equal agents take turns); their row is locked and their chats
counted again before the assignment, so two chats started at once cannot push one agent over
the limit. A chat nobody had room for waits (``queue``) until room frees.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from bihuan.accounts.choices import Availability, Role
from bihuan.accounts.models import User
from bihuan.channels.chat.models import ChatWidget
from bihuan.tickets import services as ticket_services
from bihuan.tickets.choices import OPEN_STATUSES, Channel
from bihuan.tickets.models import Ticket

CHAT_ROLES = (Role.AGENT, Role.ADVISOR, Role.SUPERVISOR)


def online_agents(widget: ChatWidget) -> QuerySet[User]:
    """The agents who may answer this widget's chats now."""
    users = User.objects.filter(
        is_active=True, availability=Availability.ONLINE, role__in=CHAT_ROLES
    )
    if widget.team_id is not None:
        users = users.filter(teams=widget.team_id)
    return users


def open_chats(user: User) -> int:
    return Ticket.objects.filter(owner=user, status__in=OPEN_STATUSES, channel=Channel.CHAT).count()


def chat_limit(user: User, widget: ChatWidget) -> int:
    return min(user.max_concurrent_chats, widget.max_chats_per_agent)


def assign_chat(ticket: Ticket, widget: ChatWidget) -> User | None:
    """Give the chat ``ticket`` (unowned) to the least busy agent online with room for one
    more chat (in the caller's transaction); None when nobody has room (it waits in the
    queue)."""
    candidates: QuerySet[Any] = online_agents(widget).annotate(
        chat_count=Count(
            "owned_tickets",
            filter=Q(owned_tickets__status__in=OPEN_STATUSES, owned_tickets__channel=Channel.CHAT),
        )
    )
    order = ("chat_count", F("last_assigned_at").asc(nulls_first=True), "id")
    for candidate in candidates.order_by(*order)[:20]:
        if candidate.chat_count >= chat_limit(candidate, widget):
            continue
        locked = User.objects.select_for_update().filter(pk=candidate.pk).first()
        if locked is None or locked.availability != Availability.ONLINE or not locked.is_active:
            continue  # went offline since the candidates were read
        if open_chats(locked) >= chat_limit(locked, widget):
            continue
        locked.last_assigned_at = timezone.now()
        locked.save(update_fields=["last_assigned_at"])
        ticket_services.apply_automatic_changes(
            ticket, ticket_services.TicketChanges(owner=locked), reason="chat"
        )
        return locked
    return None
