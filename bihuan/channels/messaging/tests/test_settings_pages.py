"""The admins' settings pages: add an account (secrets stored encrypted), see its callback
URL, keep secrets on an edit, and test the connection against the configured API address."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client

from bihuan.channels.messaging.models import PlatformAccount
from bihuan.channels.messaging.tests.conftest import make_account
from bihuan.channels.messaging.tests.platform_server import SECRET, PlatformServer
from bihuan.core.models import Event
from conftest import Org

pytestmark = pytest.mark.django_db


def _stored(column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM bihuan_messaging_platformaccount WHERE id = %s", [pk])  # noqa: S608
        return str(cursor.fetchone()[0])


def test_an_admin_adds_a_wecom_account_and_sees_its_callback_url(
    org: Org, platform: PlatformServer, settings: object
) -> None:
    client = Client()
    client.force_login(org.admin)

    response = client.post(
        "/settings/messaging/new/?platform=wecom",
        {
            "name": "官方客服",
            "app_id": "ww1436e0e65a779aee",
            "secret": SECRET,
            "token": "QDG6eK",
            "aes_key": "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
            "open_kfid": "wkAJ2GCAAASSm4_FhToWMFea0xAFfd3Q",
            "base_url": platform.url,
            "team": org.presales.pk,
            "is_active": "on",
        },
    )

    account = PlatformAccount.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/settings/messaging/{account.pk}/"
    assert (account.platform, account.secret, account.token) == ("wecom", SECRET, "QDG6eK")
    assert SECRET not in _stored("secret", account.pk)  # a Fernet token in the database
    assert "QDG6eK" not in _stored("token", account.pk)
    page = client.get(response["Location"]).content.decode()
    assert f"/messaging/wecom/{account.callback_key}/" in page
    assert SECRET not in page  # secrets are never shown again
    assert "QDG6eK" not in page
    assert Event.objects.filter(verb="messaging.account_saved").count() == 1


def test_an_edit_with_empty_secrets_keeps_the_stored_ones(
    org: Org, platform: PlatformServer
) -> None:
    account = make_account(org, platform, "feishu")
    client = Client()
    client.force_login(org.admin)

    response = client.post(
        f"/settings/messaging/{account.pk}/",
        {"name": "飞书售后", "app_id": account.app_id, "base_url": platform.url, "is_active": "on"},
    )

    account.refresh_from_db()
    assert response.status_code == 302
    assert (account.name, account.secret, account.aes_key) == ("飞书售后", SECRET, "test key")


@pytest.mark.parametrize("platform_name", ["wecom", "wechat", "feishu", "dingtalk"])
def test_test_connection_fetches_a_token_or_shows_the_platforms_error(
    org: Org, platform: PlatformServer, platform_name: str
) -> None:
    account = make_account(org, platform, platform_name)
    client = Client()
    client.force_login(org.admin)

    ok = client.post(f"/settings/messaging/{account.pk}/test/")
    PlatformAccount.objects.filter(pk=account.pk).update(secret="wrong")
    failed = client.post(f"/settings/messaging/{account.pk}/test/")

    assert 'data-ok="yes"' in ok.content.decode()
    assert 'data-ok="no"' in failed.content.decode()
    account.refresh_from_db()
    assert account.last_test_ok is False
    assert (
        account.last_test_message
        == {
            "wecom": "40001: invalid credential",
            "wechat": "40001: invalid credential",
            "feishu": "10014: app secret invalid",
            "dingtalk": "invalidClientSecret: bad secret",
        }[platform_name]
    )


def test_an_unreachable_api_address_is_reported(org: Org, platform: PlatformServer) -> None:
    account = make_account(org, platform, "wechat")
    PlatformAccount.objects.filter(pk=account.pk).update(base_url="http://127.0.0.1:9")
    client = Client()
    client.force_login(org.admin)

    response = client.post(f"/settings/messaging/{account.pk}/test/")

    assert 'data-ok="no"' in response.content.decode()
    assert PlatformAccount.objects.get().last_test_message.startswith("ConnectError")


def test_the_pages_are_for_admins_only(org: Org, platform: PlatformServer) -> None:
    account = make_account(org, platform, "dingtalk")
    client = Client()
    client.force_login(org.supervisor)
    before = Event.objects.count()

    answers = [
        client.get("/settings/messaging/").status_code,
        client.get("/settings/messaging/new/?platform=wecom").status_code,
        client.get(f"/settings/messaging/{account.pk}/").status_code,
        client.post(f"/settings/messaging/{account.pk}/test/").status_code,
    ]

    assert answers == [404, 404, 404, 404]
    assert Event.objects.count() == before
    assert PlatformAccount.objects.get().last_test_ok is None


def test_wecoms_connection_test_names_the_kf_account_or_says_the_corp_has_none(
    org: Org, platform: PlatformServer
) -> None:
    account = make_account(org, platform, "wecom")
    client = Client()
    client.force_login(org.admin)

    found = client.post(f"/settings/messaging/{account.pk}/test/")
    found_message = PlatformAccount.objects.get().last_test_message
    platform.kf_accounts = {"wkOTHERkfid": "售后客服"}
    missing = client.post(f"/settings/messaging/{account.pk}/test/")

    assert 'data-ok="yes"' in found.content.decode()
    assert "咨询客服" in found_message
    assert 'data-ok="no"' in missing.content.decode()
    assert "wkAJ2GCAAASSm4_FhToWMFea0xAFfd3Q" in PlatformAccount.objects.get().last_test_message
    # The connection test's fresh token serves the account check: one token request each.
    assert len(platform.calls("/cgi-bin/gettoken")) == 2
    assert len(platform.calls("/cgi-bin/kf/account/list")) == 2
