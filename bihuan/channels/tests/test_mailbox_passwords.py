"""Mailbox passwords are encrypted at rest: the database never holds the plain password, the
admin never shows it, a migration encrypted the rows stored before, and a secret-key rotation
keeps them readable."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.utils import timezone

from bihuan.channels import secrets
from bihuan.channels.models import Mailbox
from bihuan.core.models import Event
from conftest import Org

PLAIN = "s3cret-邮箱-密码"
FORM = {
    "name": "售后",
    "address": "aftersales@shop.example.cn",
    "is_active": "on",
    "imap_host": "imap.example.cn",
    "imap_port": "993",
    "imap_security": "ssl",
    "imap_username": "aftersales",
    "imap_password": PLAIN,
    "imap_folder": "INBOX",
    "poll_seconds": "60",
}


def _stored(pk: int) -> str:
    """The column as the database holds it, read without the model."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT imap_password FROM bihuan_channels_mailbox WHERE id = %s", [pk])
        row = cursor.fetchone()
    assert row is not None
    return str(row[0])


def _every_text_column_of_mailboxes() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM bihuan_channels_mailbox")
        return " ".join(str(value) for row in cursor.fetchall() for value in row)


@pytest.mark.django_db
def test_the_database_never_holds_the_plain_password(org: Org) -> None:
    admin = Client()
    admin.force_login(org.admin)

    admin.post("/admin/bihuan_channels/mailbox/add/", FORM)
    mailbox = Mailbox.objects.get()
    Mailbox.objects.filter(pk=mailbox.pk).update(imap_password="另一个密码")  # every write path

    stored = _stored(mailbox.pk)
    assert "另一个密码" not in _every_text_column_of_mailboxes()
    assert PLAIN not in _every_text_column_of_mailboxes()
    assert stored.startswith("gAAAAA")  # a Fernet token
    assert secrets.decrypt(stored) == "另一个密码"
    assert Mailbox.objects.get().imap_password == "另一个密码"


@pytest.mark.django_db
def test_the_admin_never_shows_the_password_and_an_empty_field_keeps_it(org: Org) -> None:
    admin = Client()
    admin.force_login(org.admin)
    admin.post("/admin/bihuan_channels/mailbox/add/", FORM)
    mailbox = Mailbox.objects.get()
    token = _stored(mailbox.pk)

    page = admin.get(f"/admin/bihuan_channels/mailbox/{mailbox.pk}/change/").content.decode()
    saved = admin.post(
        f"/admin/bihuan_channels/mailbox/{mailbox.pk}/change/",
        {**FORM, "imap_password": "", "poll_seconds": "120"},
    )

    assert PLAIN not in page
    assert token not in page
    assert saved.status_code == 302
    mailbox.refresh_from_db()
    assert (mailbox.poll_seconds, mailbox.imap_password) == (120, PLAIN)


@pytest.mark.django_db
def test_a_password_is_unreadable_under_another_secret_key_and_readable_with_a_fallback(
    settings: Any,
) -> None:
    mailbox = Mailbox.objects.create(
        name="售后", address="a@shop.example.cn", imap_password=PLAIN, created_at=timezone.now()
    )
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY = "a-new-secret-key-" + "x" * 40

    unreadable = Mailbox.objects.get(pk=mailbox.pk).imap_password
    settings.SECRET_KEY_FALLBACKS = [old_key]
    readable = Mailbox.objects.get(pk=mailbox.pk).imap_password
    out = StringIO()
    call_command("mail", "rekey", stdout=out)
    settings.SECRET_KEY_FALLBACKS = []

    assert (unreadable, readable) == ("", PLAIN)
    assert out.getvalue().strip() == "1 mailbox passwords re-encrypted"
    assert Mailbox.objects.get(pk=mailbox.pk).imap_password == PLAIN  # the new key alone
    assert Event.objects.filter(verb="email.mailbox_password_rekeyed").count() == 1


@pytest.mark.django_db
def test_rekeying_leaves_a_password_no_key_opens_untouched(settings: Any) -> None:
    mailbox = Mailbox.objects.create(
        name="售后", address="a@shop.example.cn", imap_password=PLAIN, created_at=timezone.now()
    )
    token = _stored(mailbox.pk)
    settings.SECRET_KEY = "a-new-secret-key-" + "y" * 40

    call_command("mail", "rekey", stdout=StringIO())

    assert _stored(mailbox.pk) == token


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_the_passwords_stored_before_and_reverses() -> None:
    executor = MigrationExecutor(connection)
    before = [("bihuan_channels", "0004_files_notification_emails_longer_password")]
    after = [("bihuan_channels", "0005_encrypt_mailbox_passwords")]
    executor.migrate(before)
    old_state = executor.loader.project_state(before[0])
    OldMailbox = old_state.apps.get_model("bihuan_channels", "Mailbox")
    row = OldMailbox.objects.create(
        name="旧", address="old@shop.example.cn", imap_password=PLAIN, created_at=timezone.now()
    )
    empty = OldMailbox.objects.create(
        name="空", address="lmtp@shop.example.cn", imap_password="", created_at=timezone.now()
    )
    assert _stored(row.pk) == PLAIN

    MigrationExecutor(connection).migrate(after)
    encrypted = _stored(row.pk)
    MigrationExecutor(connection).migrate(before)
    reversed_back = _stored(row.pk)
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes("bihuan_channels")
    MigrationExecutor(connection).migrate(latest)  # the schema the other tests expect

    assert encrypted != PLAIN
    assert secrets.decrypt(encrypted) == PLAIN
    assert _stored(empty.pk) == ""
    assert reversed_back == PLAIN
    assert Mailbox.objects.get(pk=row.pk).imap_password == PLAIN
