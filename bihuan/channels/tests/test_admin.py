"""The admin: an admin adds a mailbox; the quarantine is re-processed from its list."""

from __future__ import annotations

import pytest
from django.test import Client

from bihuan.channels.models import InboundEmail, Mailbox, QuarantinedEmail
from bihuan.channels.services import ingest_email
from bihuan.channels.tests.mail import build_mail
from conftest import Org

pytestmark = pytest.mark.django_db


def test_an_admin_adds_a_mailbox_bound_to_a_queue(org: Org) -> None:
    client = Client()
    client.force_login(org.admin)

    response = client.post(
        "/admin/bihuan_channels/mailbox/add/",
        {
            "name": "售前",
            "address": "Support@Shop.example.cn",
            "team": org.presales.pk,
            "is_active": "on",
            "imap_host": "imap.example.cn",
            "imap_port": "993",
            "imap_security": "ssl",
            "imap_username": "support",
            "imap_password": "secret",
            "imap_folder": "INBOX",
            "poll_seconds": "60",
        },
    )

    assert response.status_code == 302
    mailbox = Mailbox.objects.get()
    assert (mailbox.address, mailbox.team_id, mailbox.is_polled) == (
        "support@shop.example.cn",
        org.presales.pk,
        True,
    )


def test_an_admin_reprocesses_quarantined_mail_after_a_fix(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(raw: bytes) -> None:
        raise RuntimeError("parser bug")

    monkeypatch.setattr("bihuan.channels.services.parse_email", broken)
    ingest_email(build_mail(message_id="<admin-q@x>"))
    monkeypatch.undo()
    row = QuarantinedEmail.objects.get()
    client = Client()
    client.force_login(org.admin)

    listing = client.get("/admin/bihuan_channels/quarantinedemail/")
    response = client.post(
        "/admin/bihuan_channels/quarantinedemail/",
        {"action": "reprocess", "_selected_action": [row.pk]},
    )

    assert "parse_error" in listing.content.decode()
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.inbound_id == InboundEmail.objects.get().pk
