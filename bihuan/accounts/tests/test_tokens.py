"""Personal API tokens: created in the CLI, used by the API, revoked."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from bihuan.accounts.models import ApiToken
from bihuan.accounts.services import authenticate_token, revoke_api_token
from bihuan.core.errors import NotFound

pytestmark = pytest.mark.django_db


def test_token_create_prints_a_token_that_authenticates_its_user(org: Any) -> None:
    out = StringIO()

    call_command("token", "create", "zhangwei", "--name", "CRM 集成", stdout=out)

    token = out.getvalue().strip()
    assert token.startswith("bh_")
    assert authenticate_token(token) == org.agent
    stored = ApiToken.objects.get(name="CRM 集成")
    assert token not in {stored.digest, stored.prefix}
    response = Client().get("/api/v1/tickets", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_token_create_for_an_unknown_user_fails_clearly(org: Any) -> None:
    before = ApiToken.objects.count()

    with pytest.raises(CommandError, match="nobody"):
        call_command("token", "create", "nobody")

    assert ApiToken.objects.count() == before


def test_a_revoked_token_no_longer_authenticates(org: Any) -> None:
    token = ApiToken.objects.get(user=org.agent)

    revoke_api_token(token.pk, actor=org.agent)

    assert authenticate_token(org.tokens["zhangwei"]) is None
    response = Client().get(
        "/api/v1/tickets", headers={"Authorization": f"Bearer {org.tokens['zhangwei']}"}
    )
    assert response.status_code == 401


def test_nobody_revokes_another_users_token(org: Any) -> None:
    token = ApiToken.objects.get(user=org.other_agent)

    with pytest.raises(NotFound):
        revoke_api_token(token.pk, actor=org.agent)

    token.refresh_from_db()
    assert token.is_active


def test_a_deactivated_user_token_stops_working(org: Any) -> None:
    org.agent.is_active = False
    org.agent.save(update_fields=["is_active"])

    assert authenticate_token(org.tokens["zhangwei"]) is None
