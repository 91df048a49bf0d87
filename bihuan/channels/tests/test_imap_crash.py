"""Fault test: the polling process is killed (SIGKILL) in the middle of a batch on a real IMAP
server; after a restart every message is stored exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from bihuan.channels.choices import ImapSecurity
from bihuan.channels.models import InboundEmail, Mailbox, QuarantinedEmail
from bihuan.channels.tests.dovecot import Dovecot
from bihuan.channels.tests.mail import build_mail
from bihuan.tickets.models import Message, Ticket
from conftest import Org

# Enough for the kill to land mid-batch with a hundred messages stored and two hundred to go;
# a larger batch proves nothing more and only drains longer (BIHUAN_TEST_KILL_MESSAGES=1000
# for a long run; ingest throughput is bench/mail_ingest.py's).
MESSAGES = int(os.environ.get("BIHUAN_TEST_KILL_MESSAGES", "300"))


def _poll_command(address: str, media_root: Path) -> tuple[list[str], dict[str, str]]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bihuan.settings_test",
        "BIHUAN_WORKER_DB_NAME": str(connection.settings_dict["NAME"]),
        "BIHUAN_MEDIA_ROOT": str(media_root),
        # As in production, the poller only ingests; reactions are left to the workers.
        "BIHUAN_TEST_WORKER": "1",
    }
    command = [sys.executable, "-m", "django", "mail", "poll", address, "--limit", str(MESSAGES)]
    return command, env


@pytest.mark.django_db(transaction=True)
def test_a_poll_killed_mid_batch_stores_every_message_exactly_once_after_restart(
    dovecot: Dovecot, org: Org, media_root: Path
) -> None:
    user = dovecot.add_account()
    dovecot.drop(
        user,
        [
            build_mail(
                sender=f"客户{n} <customer{n}@example.cn>",
                subject=f"第 {n} 封邮件",
                body=f"这是第 {n} 封邮件的正文。",
                message_id=f"<kill-{n}@example.cn>",
            )
            for n in range(MESSAGES)
        ],
    )
    mailbox = Mailbox.objects.create(
        name="售前",
        address="support@shop.example.cn",
        team=org.presales,
        imap_host=dovecot.host,
        imap_port=dovecot.port,
        imap_security=ImapSecurity.NONE,
        imap_username=user,
        imap_password="secret",
        created_at=timezone.now(),
    )
    command, env = _poll_command(mailbox.address, media_root)
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while InboundEmail.objects.count() < MESSAGES // 3:
        assert process.poll() is None, "the poll ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.05)

    process.send_signal(signal.SIGKILL)
    process.wait()
    stored_at_kill = InboundEmail.objects.count()
    restarted = subprocess.run(command, env=env, capture_output=True, timeout=600, check=False)

    assert 0 < stored_at_kill < MESSAGES
    assert restarted.returncode == 0, restarted.stderr.decode()[-2000:]
    assert InboundEmail.objects.count() == MESSAGES
    assert InboundEmail.objects.values("message_id").distinct().count() == MESSAGES
    assert Ticket.objects.count() == MESSAGES
    assert Message.objects.count() == MESSAGES
    assert QuarantinedEmail.objects.count() == 0
    mailbox.refresh_from_db()
    assert mailbox.last_uid == MESSAGES
