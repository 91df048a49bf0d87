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
    if not user.is_active:
        return Q(pk__in=[])
    if user.sees_everything:
        return Q()
    followed = Exists(
        Ticket.followers.through.objects.filter(ticket_id=OuterRef("pk"), user_id=user.pk)
    )
    scope = Q(owner_id=user.pk) | Q(followed)
    if user.department_id:
        shared = Exists(
            Ticket.shared_departments.through.objects.filter(
                ticket_id=OuterRef("pk"), department_id=user.department_id
            )
        )
        scope |= Q(shared)
    if user.role == Role.AGENT:
        scope |= Q(team_id__in=user.teams.values("pk"))
    elif user.role == Role.ADVISOR:
        scope |= Q(customer__advisor_id=user.pk) | Q(team_id__in=user.teams.values("pk"))
    elif user.role == Role.DEPARTMENT_MEMBER and user.department_id:
        scope |= Q(department_id=user.department_id)
    return scope


def visible_tickets(user: User) -> QuerySet[Ticket]:
    return Ticket.objects.filter(ticket_scope(user))


def can_work_ticket(user: User) -> bool:
    """Reply, change fields and status: every role but department members (they add notes)."""
    return user.is_active and user.role != Role.DEPARTMENT_MEMBER
