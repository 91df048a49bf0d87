"""Choosing an agent for a ticket of a queue: round robin, least open tickets, or skills.

Every strategy only picks members who are active, online and below their capacity (open
tickets, and concurrent chats for chat tickets). The chosen agent's row is locked and their
load re-counted before the assignment, so two tickets assigned at once cannot push one agent
over capacity.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from bihuan.accounts.choices import AssignmentStrategy, Availability, Role
from bihuan.accounts.models import Skill, Team, User
from bihuan.core.models import Event
from bihuan.tickets.choices import OPEN_STATUSES, Channel

ASSIGNABLE_ROLES = (Role.AGENT, Role.ADVISOR, Role.SUPERVISOR)


def with_load(users: QuerySet[User]) -> QuerySet[Any]:
    return users.annotate(
        open_count=Count("owned_tickets", filter=Q(owned_tickets__status__in=OPEN_STATUSES)),
        chat_count=Count(
            "owned_tickets",
            filter=Q(owned_tickets__status__in=OPEN_STATUSES, owned_tickets__channel=Channel.CHAT),
        ),
    )


def available_members(team: Team, *, channel: str = "") -> QuerySet[Any]:
    """Members of ``team`` who may take one more ticket now."""
    users = with_load(
        team.members.filter(
            is_active=True, availability=Availability.ONLINE, role__in=ASSIGNABLE_ROLES
        )
    ).filter(open_count__lt=F("max_open_tickets"))
    if channel == Channel.CHAT:
        users = users.filter(chat_count__lt=F("max_concurrent_chats"))
    return users


def has_capacity(user: User, *, channel: str = "") -> bool:
    if not user.is_active or user.availability != Availability.ONLINE:
        return False
    counted = with_load(User.objects.filter(pk=user.pk)).values("open_count", "chat_count").get()
    if counted["open_count"] >= user.max_open_tickets:
        return False
    return not (channel == Channel.CHAT and counted["chat_count"] >= user.max_concurrent_chats)


def ranked_candidates(
    team: Team, *, strategy: str, channel: str = "", skills: Iterable[Skill] = ()
) -> list[User]:
    """Candidates in the order the strategy prefers them (empty for manual queues)."""
    users = available_members(team, channel=channel)
    if strategy == AssignmentStrategy.MANUAL:
        return []
    if strategy == AssignmentStrategy.SKILLS:
        for skill in skills:
            users = users.filter(skills=skill)
        order: list[Any] = ["open_count", F("last_assigned_at").asc(nulls_first=True), "id"]
    elif strategy == AssignmentStrategy.LEAST_OPEN:
        order = ["open_count", F("last_assigned_at").asc(nulls_first=True), "id"]
    else:  # round robin: whoever was assigned longest ago
        order = [F("last_assigned_at").asc(nulls_first=True), "id"]
    return list(users.order_by(*order)[:20])


def claim_agent(candidates: list[User], *, channel: str = "") -> User | None:
    """Lock the first candidate that still has capacity and stamp their last assignment."""
    for candidate in candidates:
        locked = User.objects.select_for_update().filter(pk=candidate.pk).first()
        if locked is None or not has_capacity(locked, channel=channel):
            continue
        locked.last_assigned_at = timezone.now()
        locked.save(update_fields=["last_assigned_at"])
        return locked
    return None


# --- Precedence ----------------------------------------------------------------------------
#
# Whoever asks for an owner (an agent, an automation rule, the routing rules, the queue's
# strategy), one order decides whose choice stands:
#
#     1. an agent's explicit choice (the ticket page, the API, answering an unowned ticket)
#     2. an automation rule
#     3. the routing rules (a VIP customer's advisor)
#     4. the queue's strategy (round robin, least open tickets, skills)
#
# A source may replace an owner chosen by the same or a lower level, never by a higher one.
# The level of the current owner is read from the ticket's last ``ticket.assigned`` event.
AGENT, AUTOMATION, ROUTING, QUEUE = 1, 2, 3, 4
PRECEDENCE = {"agent": AGENT, "automation": AUTOMATION, "routing": ROUTING, "queue": QUEUE}
_ROUTING_REASONS = {"vip_advisor", "routing"}
_QUEUE_REASONS = {s.value for s in AssignmentStrategy}


def level_of(*, reason: str, actor_id: int | None) -> int:
    """The precedence level of an assignment recorded with ``reason`` by ``actor_id``."""
    if actor_id is not None:
        return AGENT  # a person chose ("manual" on the ticket page, "first_reply")
    if reason == "automation":
        return AUTOMATION
    if reason in _ROUTING_REASONS:
        return ROUTING
    if reason in _QUEUE_REASONS:
        return QUEUE
    return QUEUE


def current_level(ticket_id: int) -> int | None:
    """The precedence level of the ticket's current owner (None: nobody owns it)."""
    last = (
        Event.objects.filter(ticket_id=ticket_id, verb="ticket.assigned")
        .order_by("-id")
        .values("actor_id", "data")
        .first()
    )
    if last is None or last["data"].get("to") is None:
        return None
    return level_of(reason=str(last["data"].get("reason", "")), actor_id=last["actor_id"])


def may_assign(ticket_id: int, *, source: str) -> bool:
    """Whether ``source`` ("agent", "automation", "routing", "queue") may set the owner now."""
    level = current_level(ticket_id)
    return level is None or PRECEDENCE[source] <= level
