"""Read paths for accounts: the agents a viewer manages (availability, skills)."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from bihuan.accounts.choices import Role
from bihuan.accounts.models import Skill, Team, User
from bihuan.core.errors import NotFound

# Roles that take tickets from queues (and so have an availability that matters).
AGENT_ROLES = (Role.AGENT, Role.ADVISOR, Role.SUPERVISOR)
MAX_AGENTS = 500


def managed_agents(viewer: User) -> QuerySet[User]:
    """Active agents whose availability ``viewer`` sees and changes: everyone for admins,
    the department's agents (directly or through its queues) for supervisors, else none."""
    users = User.objects.filter(is_active=True, role__in=AGENT_ROLES)
    if viewer.is_admin:
        return users
    if viewer.role != Role.SUPERVISOR or viewer.department_id is None:
        return users.none()
    in_queues = Team.objects.filter(department_id=viewer.department_id).values("members")
    return users.filter(Q(department_id=viewer.department_id) | Q(pk__in=in_queues))


def list_managed_agents(viewer: User) -> list[User]:
    """The viewer's team for the availability page, with their queues and skills (3 queries);
    NotFound for roles that manage nobody."""
    if not viewer.is_admin and viewer.role != Role.SUPERVISOR:
        raise NotFound(_("Page not found."))
    return list(
        managed_agents(viewer)
        .prefetch_related(
            Prefetch("teams", queryset=Team.objects.order_by("name")),
            Prefetch("skills", queryset=Skill.objects.order_by("name")),
        )
        .order_by("display_name", "username")[:MAX_AGENTS]
    )


def get_managed_agent(viewer: User, user_id: int) -> User:
    """One agent the viewer manages (themselves included), or NotFound."""
    if user_id == viewer.pk:
        return viewer
    user = managed_agents(viewer).filter(pk=user_id).first()
    if user is None:
        raise NotFound(_("User not found."))
    return user


def list_skills(viewer: User) -> list[Skill]:
    if not viewer.is_admin:
        raise NotFound(_("Page not found."))
    return list(Skill.objects.order_by("name"))


def list_queues(viewer: User) -> list[Team]:
    """Every queue with its department and member count (admins only, two queries)."""
    if not viewer.is_admin:
        raise NotFound(_("Page not found."))
    return list(
        Team.objects.select_related("department")
        .annotate(member_count=Count("members", filter=Q(members__is_active=True)))
        .order_by("name")
    )


def get_queue(viewer: User, team_id: int) -> Team:
    if not viewer.is_admin:
        raise NotFound(_("Queue not found."))
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise NotFound(_("Queue not found."))
    return team
