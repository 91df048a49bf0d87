"""Who sees which tickets and who may do what with them.

Scope is applied in every query (``visible_tickets``), so a ticket outside the viewer's scope
is simply not found: 404, never 403 that would leak its existence.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from bihuan.accounts.choices import Role
from bihuan.accounts.models import User
from bihuan.tickets.models import Ticket


def ticket_scope(user: User) -> Q:
    """The Q that limits tickets to those ``user`` may see."""
    branches = ticket_scope_branches(user)
    if branches is None:
        return Q()
    if not branches:
        return Q(pk__in=[])
    reasons = list(branches.values())
    scope = reasons[0]
    for branch in reasons[1:]:
        scope |= branch
    return scope


def ticket_scope_branches(user: User) -> dict[str, Q] | None:
    """The reasons ``user`` may see a ticket, one Q each by name ("owner", "followed",
    "shared", "queue", "customer", "department"; their OR is ``ticket_scope``), or None when
    they see everything. Each is narrow enough for an index on its own, so a bounded count
    can union them instead of filtering every ticket by the whole OR."""
    if not user.is_active:
        return {}
    if user.sees_everything:
        return None
    followed = Exists(
        Ticket.followers.through.objects.filter(ticket_id=OuterRef("pk"), user_id=user.pk)
    )
    branches = {"owner": Q(owner_id=user.pk), "followed": Q(followed)}
    if user.department_id:
        shared = Exists(
            Ticket.shared_departments.through.objects.filter(
                ticket_id=OuterRef("pk"), department_id=user.department_id
            )
        )
        branches["shared"] = Q(shared)
    if user.role == Role.AGENT:
        branches["queue"] = Q(team_id__in=user.teams.values("pk"))
    elif user.role == Role.ADVISOR:
        branches["customer"] = Q(customer__advisor_id=user.pk)
        branches["queue"] = Q(team_id__in=user.teams.values("pk"))
    elif user.role == Role.DEPARTMENT_MEMBER and user.department_id:
        branches["department"] = Q(department_id=user.department_id)
    return branches


def visible_tickets(user: User) -> QuerySet[Ticket]:
    return Ticket.objects.filter(ticket_scope(user))


def can_work_ticket(user: User) -> bool:
    """Reply, change fields and status: every role but department members (they add notes)."""
    return user.is_active and user.role != Role.DEPARTMENT_MEMBER
