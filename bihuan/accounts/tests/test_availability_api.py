"""Availability through the API: agents set their own, supervisors their team's."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from bihuan.accounts.choices import Availability
from bihuan.accounts.models import User
from bihuan.core.models import Event

pytestmark = pytest.mark.django_db


def _put(org: Any, username: str, path: str, body: Any) -> Any:
    return Client().put(
        path,
        data=json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {org.tokens[username]}"},
    )


def test_an_agent_sets_own_availability_through_the_api(org: Any) -> None:
    response = _put(org, "zhangwei", "/api/v1/agents/me/availability", {"availability": "online"})

    assert response.status_code == 200
    assert response.json()["availability"] == "online"
    assert User.objects.get(pk=org.agent.pk).availability == Availability.ONLINE
    assert Event.objects.filter(verb="agent.availability_changed", actor=org.agent).count() == 1


def test_an_unknown_availability_is_refused_and_changes_nothing(org: Any) -> None:
    response = _put(org, "zhangwei", "/api/v1/agents/me/availability", {"availability": "busy"})

    assert response.status_code == 422
    assert User.objects.get(pk=org.agent.pk).availability == Availability.OFFLINE
    assert not Event.objects.filter(verb="agent.availability_changed").exists()


def test_a_supervisor_changes_a_team_member_but_an_agent_cannot(org: Any) -> None:
    path = f"/api/v1/agents/{org.other_agent.pk}/availability"

    refused = _put(org, "zhangwei", path, {"availability": "online"})
    accepted = _put(org, "supervisor", path, {"availability": "away"})

    assert refused.status_code == 404
    assert accepted.status_code == 200
    assert User.objects.get(pk=org.other_agent.pk).availability == Availability.AWAY
    event = Event.objects.get(verb="agent.availability_changed")
    assert (event.actor_id, event.subject_id) == (org.supervisor.pk, org.other_agent.pk)


def test_a_supervisor_lists_the_team_with_availability(org: Any) -> None:
    response = Client().get(
        "/api/v1/agents", headers={"Authorization": f"Bearer {org.tokens['supervisor']}"}
    )

    assert response.status_code == 200
    names = {row["username"]: row["availability"] for row in response.json()}
    assert names["zhangwei"] == "offline"
    assert "wangqiang" not in names
    refused = Client().get(
        "/api/v1/agents", headers={"Authorization": f"Bearer {org.tokens['zhangwei']}"}
    )
    assert refused.status_code == 404
