"""Sign-in limits per account and per address, password rules, changing one's own password
(issue 9: sign-in and headers)."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from bihuan.accounts.models import User
from bihuan.core.models import Event, Notification
from bihuan.testing.factories import PASSWORD
from conftest import Org

pytestmark = pytest.mark.django_db


def _sign_in(username: str, password: str, *, address: str, forwarded: str = "") -> Client:
    client = Client(REMOTE_ADDR=address, HTTP_X_FORWARDED_FOR=forwarded)
    client.post(reverse("accounts:login"), {"username": username, "password": password})
    return client


@pytest.mark.parametrize(
    "addresses",
    [
        [f"10.0.0.{i}" for i in range(1, 7)],
        ["10.0.0.1"] * 2 + ["192.168.1.9"] * 2 + ["172.16.0.3"] * 2,
    ],
)
def test_an_account_locks_after_five_failures_from_any_addresses(
    org: Org, addresses: list[str]
) -> None:
    for address in addresses[:5]:
        _sign_in("zhangwei", "wrong", address=address)

    client = _sign_in("zhangwei", PASSWORD, address=addresses[5])
    locked = client.post(reverse("accounts:login"), {"username": "zhangwei", "password": PASSWORD})

    assert "_auth_user_id" not in client.session
    assert locked.status_code == 429
    assert "登录失败次数过多" in locked.content.decode()


@pytest.mark.parametrize("forwarded", ["1.1.1.1", "2.2.2.2, 3.3.3.3", "8.8.8.8"])
def test_a_forged_forwarded_for_does_not_escape_the_lock(org: Org, forwarded: str) -> None:
    for attempt in range(5):
        _sign_in("zhangwei", "wrong", address="10.0.0.1", forwarded=f"9.9.9.{attempt}")

    client = _sign_in("zhangwei", PASSWORD, address="10.0.0.1", forwarded=forwarded)

    assert "_auth_user_id" not in client.session


def test_an_address_that_tries_many_accounts_is_locked(org: Org) -> None:
    for username in ["admin", "supervisor", "lina", "liuyang", "wangqiang"]:
        _sign_in(username, "wrong", address="10.9.9.9")

    client = _sign_in("zhangwei", PASSWORD, address="10.9.9.9")

    assert "_auth_user_id" not in client.session


def test_other_accounts_from_other_addresses_still_sign_in(org: Org) -> None:
    for _attempt in range(5):
        _sign_in("zhangwei", "wrong", address="10.0.0.1")

    client = _sign_in("lina", PASSWORD, address="10.0.0.2")

    assert client.session["_auth_user_id"] == str(org.other_agent.pk)


@pytest.mark.parametrize(
    "password",
    ["83920174", "1234567890123", "short1", "password123", "zhangwei2024", "qwertyuiop"],
)
def test_weak_passwords_are_refused(org: Org, password: str) -> None:
    with pytest.raises(ValidationError):
        validate_password(password, user=org.agent)


def test_a_strong_password_passes(org: Org) -> None:
    validate_password("晚风拂过 tea-kettle 7", user=org.agent)


def _change(client: Client, old: str, new: str) -> int:
    response = client.post(
        reverse("accounts:password"),
        {"old_password": old, "new_password1": new, "new_password2": new},
    )
    return response.status_code


def test_a_user_changes_their_own_password_and_stays_signed_in(org: Org) -> None:
    client = Client()
    client.force_login(org.agent)

    status = _change(client, PASSWORD, "晚风拂过 tea-kettle 7")

    assert status == 302
    assert User.objects.get(pk=org.agent.pk).check_password("晚风拂过 tea-kettle 7")
    assert client.get(reverse("tickets:inbox")).status_code == 200
    event = Event.objects.get(verb="account.password_changed")
    assert event.actor_id == org.agent.pk
    assert "晚风" not in str(event.data)


@pytest.mark.parametrize(
    ("old", "new"),
    [("wrong old password", "晚风拂过 tea-kettle 7"), (PASSWORD, "83920174"), (PASSWORD, "abc")],
)
def test_a_refused_password_change_changes_nothing(org: Org, old: str, new: str) -> None:
    client = Client()
    client.force_login(org.agent)

    status = _change(client, old, new)

    assert status == 200
    assert User.objects.get(pk=org.agent.pk).check_password(PASSWORD)
    assert not Event.objects.filter(verb="account.password_changed").exists()


def test_the_password_page_needs_a_signed_in_user() -> None:
    response = Client().get(reverse("accounts:password"))

    assert response.status_code == 302
    assert "login" in response["Location"]


def test_the_owner_is_told_once_when_their_account_is_locked(org: Org) -> None:
    for attempt in range(5):
        _sign_in("zhangwei", "wrong", address=f"10.0.0.{attempt + 1}")
    for _again in range(3):
        _sign_in("zhangwei", PASSWORD, address="10.0.0.9")

    notices = Notification.objects.filter(recipient=org.agent, event__verb="account.locked")
    assert notices.count() == 1
    assert notices.get().event.data == {"address": "10.0.0.5"}
    client = Client()
    client.force_login(org.agent)
    assert "10.0.0.5" in client.get(reverse("accounts:notifications")).content.decode()


def test_an_address_lock_does_not_tell_an_account_that_was_not_attacked(org: Org) -> None:
    for username in ["admin", "supervisor", "lina", "liuyang", "wangqiang"]:
        _sign_in(username, "wrong", address="10.9.9.9")

    _sign_in("zhangwei", PASSWORD, address="10.9.9.9")

    assert not Notification.objects.filter(recipient=org.agent).exists()
