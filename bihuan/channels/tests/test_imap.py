"""IMAP polling against a real dovecot on loopback: once, in order, never blocked, never twice."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connections as db_connections
from django.utils import timezone

from bihuan.channels.choices import ImapSecurity
from bihuan.channels.email.imap import MailboxError, poll_mailbox, watch_mailbox
from bihuan.channels.handlers import POLL_KIND, poll_key
from bihuan.channels.models import InboundEmail, Mailbox, QuarantinedEmail
from bihuan.channels.tests.dovecot import Dovecot
from bihuan.channels.tests.mail import build_mail, corpus
from bihuan.core.due_work import ensure_recurring
from bihuan.core.models import DueItem, WorkState
from bihuan.core.runner import Runner
from bihuan.tickets.models import Ticket
from conftest import Org

pytestmark = pytest.mark.django_db


def _mailbox(dovecot: Dovecot, user: str, org: Org, address: str = "") -> Mailbox:
    return Mailbox.objects.create(
        name=user,
        address=address or f"{user}@shop.example.cn",
        team=org.presales,
        imap_host=dovecot.host,
        imap_port=dovecot.port,
        imap_security=ImapSecurity.NONE,
        imap_username=user,
        imap_password="secret",
        created_at=timezone.now(),
    )


def test_poll_stores_new_mail_once_and_a_broken_one_does_not_block_the_rest(
    dovecot: Dovecot, org: Org
) -> None:
    user = dovecot.add_account()
    dovecot.deliver(
        user,
        [
            build_mail(message_id="<p1@x>"),
            corpus("not_an_email.eml"),
            build_mail(subject="第二个问题", message_id="<p3@x>", sender="李雷 <lilei@example.cn>"),
        ],
    )
    mailbox = _mailbox(dovecot, user, org)

    first = poll_mailbox(mailbox)
    again = poll_mailbox(mailbox)

    assert (first.fetched, first.stored, first.quarantined) == (3, 2, 1)
    assert again.fetched == 0
    assert Ticket.objects.filter(team=org.presales).count() == 2
    assert QuarantinedEmail.objects.get().mailbox_id == mailbox.pk
    mailbox.refresh_from_db()
    assert (mailbox.last_uid, mailbox.last_error) == (3, "")
    assert mailbox.uidvalidity is not None


def test_mail_arriving_later_is_picked_up_by_the_next_poll(dovecot: Dovecot, org: Org) -> None:
    user = dovecot.add_account()
    mailbox = _mailbox(dovecot, user, org)
    dovecot.deliver(user, [build_mail(message_id="<l1@x>")])
    poll_mailbox(mailbox)

    dovecot.deliver(user, [build_mail(subject="又一封", message_id="<l2@x>")])
    report = poll_mailbox(mailbox)

    assert (report.fetched, report.stored) == (1, 1)
    assert InboundEmail.objects.count() == 2


def test_a_new_uidvalidity_refetches_without_duplicating(dovecot: Dovecot, org: Org) -> None:
    user = dovecot.add_account()
    dovecot.deliver(user, [build_mail(message_id="<u1@x>"), build_mail(message_id="<u2@x>")])
    mailbox = _mailbox(dovecot, user, org)
    poll_mailbox(mailbox)
    Mailbox.objects.filter(pk=mailbox.pk).update(uidvalidity=1, last_uid=99)
    mailbox.refresh_from_db()

    report = poll_mailbox(mailbox)

    assert (report.fetched, report.duplicates, report.stored) == (2, 2, 0)
    assert Ticket.objects.count() == 2
    assert InboundEmail.objects.count() == 2


def test_the_same_mail_in_two_polled_mailboxes_lands_once(dovecot: Dovecot, org: Org) -> None:
    first_user, second_user = dovecot.add_account(), dovecot.add_account()
    raw = build_mail(to="a@shop.example.cn, b@shop.example.cn", message_id="<both@x>")
    dovecot.deliver(first_user, [raw])
    dovecot.deliver(second_user, [raw])

    poll_mailbox(_mailbox(dovecot, first_user, org))
    report = poll_mailbox(_mailbox(dovecot, second_user, org))

    assert (report.fetched, report.duplicates) == (1, 1)
    assert Ticket.objects.count() == 1


def test_a_refused_login_is_recorded_on_the_mailbox(dovecot: Dovecot, org: Org) -> None:
    mailbox = _mailbox(dovecot, dovecot.add_account(), org)
    Mailbox.objects.filter(pk=mailbox.pk).update(imap_password="wrong")
    mailbox.refresh_from_db()

    with pytest.raises(MailboxError):
        poll_mailbox(mailbox)

    mailbox.refresh_from_db()
    assert "AUTHENTICATIONFAILED" in mailbox.last_error
    assert mailbox.last_uid == 0


def test_the_engine_polls_every_active_mailbox_and_schedules_its_next_poll(
    dovecot: Dovecot, org: Org
) -> None:
    user = dovecot.add_account()
    dovecot.deliver(user, [build_mail(message_id="<engine-1@x>")])
    mailbox = _mailbox(dovecot, user, org)
    ensure_recurring()
    # Errors of other apps' periodic jobs are logged, not raised: this test is about polling.
    runner = Runner("test")

    runner.run_once(now=timezone.now() + timedelta(seconds=61))  # the periodic scheduler
    runner.run_once()  # the poll it scheduled

    assert Ticket.objects.filter(team=org.presales).count() == 1
    following = DueItem.objects.get(kind=POLL_KIND, key=poll_key(mailbox), state=WorkState.PENDING)
    assert timezone.now() < following.due_at <= timezone.now() + timedelta(seconds=60)


@pytest.mark.django_db(transaction=True)
def test_idle_ingests_mail_as_soon_as_the_server_announces_it(dovecot: Dovecot, org: Org) -> None:
    user = dovecot.add_account()
    mailbox = _mailbox(dovecot, user, org)
    Mailbox.objects.filter(pk=mailbox.pk).update(poll_seconds=3600)  # only IDLE can find it
    mailbox.refresh_from_db()
    stop = threading.Event()

    def watch() -> None:
        try:
            watch_mailbox(mailbox, stop=stop)
        finally:
            db_connections.close_all()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    _wait_for(lambda: Mailbox.objects.get(pk=mailbox.pk).last_polled_at is not None)

    dovecot.deliver(user, [build_mail(message_id="<idle-1@x>")])
    _wait_for(lambda: InboundEmail.objects.filter(message_id="<idle-1@x>").exists())
    stop.set()
    watcher.join(10)

    assert not watcher.is_alive()
    assert Ticket.objects.count() == 1


def _wait_for(condition: Callable[[], bool], seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
