"""Account pages: sign-in (language, lockout), language switch, personal API tokens."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from bihuan.accounts.models import ApiToken, User
from bihuan.testing.factories import PASSWORD
from conftest import Org

pytestmark = pytest.mark.django_db


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_sign_in_page_is_chinese_by_default(org: Org) -> None:
    response = Client().get(reverse("accounts:login"))

    assert response.status_code == 200
    assert "登录客服工作台" in response.content.decode()


def test_sign_in_applies_the_users_saved_language(org: Org) -> None:
    org.agent.language = "en"
    org.agent.save(update_fields=["language"])

    response = Client().post(
        reverse("accounts:login"), {"username": "zhangwei", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("tickets:inbox")
    assert response.cookies["django_language"].value == "en"


def test_repeated_failures_lock_the_account_with_our_page(org: Org) -> None:
    client = Client()
    for _attempt in range(5):
        client.post(reverse("accounts:login"), {"username": "zhangwei", "password": "wrong"})

    locked = client.post(reverse("accounts:login"), {"username": "zhangwei", "password": PASSWORD})

    assert locked.status_code == 429
    assert "登录失败次数过多" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_language_switch_is_remembered_for_the_user(org: Org) -> None:
    client = signed_in(org.agent)

    response = client.post(
        reverse("accounts:set_language"), {"language": "en", "next": reverse("tickets:inbox")}
    )
    inbox = client.get(reverse("tickets:inbox"))

    assert response.status_code == 302
    assert response["Location"] == reverse("tickets:inbox")
    org.agent.refresh_from_db()
    assert org.agent.language == "en"
    assert "Inbox" in inbox.content.decode()
    assert "收件箱" not in inbox.content.decode()


def test_an_unsupported_language_changes_nothing(org: Org) -> None:
    client = signed_in(org.agent)

    client.post(reverse("accounts:set_language"), {"language": "fr", "next": "/"})

    org.agent.refresh_from_db()
    assert org.agent.language == "zh-hans"


def test_api_token_is_shown_once_and_can_be_revoked(org: Org) -> None:
    client = signed_in(org.agent)

    created = client.post(reverse("accounts:tokens"), {"name": "CRM"})
    token = ApiToken.objects.get(user=org.agent, name="CRM")
    listed = client.get(reverse("accounts:tokens"))
    revoked = client.post(reverse("accounts:revoke_token", kwargs={"token_id": token.pk}))

    plaintext = created.context["plaintext"]
    assert plaintext.startswith("bh_")
    assert plaintext in created.content.decode()
    assert created["Cache-Control"] == "no-store"
    assert plaintext not in listed.content.decode()
    assert revoked.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_another_users_token_cannot_be_revoked(org: Org) -> None:
    token = ApiToken.objects.get(user=org.other_agent)

    response = signed_in(org.agent).post(
        reverse("accounts:revoke_token", kwargs={"token_id": token.pk})
    )

    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_sign_out_needs_a_post_and_ends_the_session(org: Org) -> None:
    client = signed_in(org.agent)

    response = client.post(reverse("accounts:logout"))

    assert response.status_code == 302
    assert client.get(reverse("tickets:inbox")).status_code == 302
