"""The agents REST API: availability (online / away / offline) of oneself and one's team."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.params.functions import Path

from bihuan.accounts import queries, services
from bihuan.accounts.api_auth import current_user
from bihuan.accounts.models import User
from bihuan.core.api_errors import error_responses

router = Router(tags=["agents"])
MAX_ID = 2**62
AvailabilityName = Literal["online", "away", "offline"]


class AvailabilityIn(Schema):
    availability: AvailabilityName


class AgentOut(Schema):
    id: int
    username: str
    name: str
    role: str
    availability: AvailabilityName
    availability_changed_at: datetime | None
    skills: list[str]


def agent_out(user: User) -> dict[str, Any]:
    return {
        "id": user.pk,
        "username": user.username,
        "name": str(user),
        "role": user.role,
        "availability": user.availability,
        "availability_changed_at": user.availability_changed_at,
        "skills": [skill.name for skill in user.skills.all()],
    }


@router.get(
    "/agents",
    response={200: list[AgentOut], **error_responses(401, 404)},
    summary="The agents whose availability you manage (supervisors and admins)",
)
def list_agents(request: HttpRequest) -> Any:
    return [agent_out(user) for user in queries.list_managed_agents(current_user(request))]


@router.get(
    "/agents/me",
    response={200: AgentOut, **error_responses(401)},
    summary="Your own availability and skills",
)
def get_me(request: HttpRequest) -> Any:
    return agent_out(current_user(request))


@router.put(
    "/agents/me/availability",
    response={200: AgentOut, **error_responses(400, 401, 422)},
    summary="Set your own availability (only online agents get tickets automatically)",
)
def set_my_availability(request: HttpRequest, payload: AvailabilityIn) -> Any:
    user = current_user(request)
    changed = services.set_availability(user, availability=payload.availability, actor=user)
    return agent_out(changed)


@router.put(
    "/agents/{user_id}/availability",
    response={200: AgentOut, **error_responses(400, 401, 404, 422)},
    summary="Set a team member's availability (supervisors: their department; admins: all)",
)
def set_agent_availability(
    request: HttpRequest, payload: AvailabilityIn, user_id: int = Path(..., ge=1, le=MAX_ID)
) -> Any:
    actor = current_user(request)
    agent = queries.get_managed_agent(actor, user_id)
    changed = services.set_availability(agent, availability=payload.availability, actor=actor)
    return agent_out(changed)
