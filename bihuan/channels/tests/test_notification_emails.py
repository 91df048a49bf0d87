"""Notifications repeated by email to colleagues who turned that on (off by default): sent after
commit through the outbound engine, over a real SMTP session on loopback, retried."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from django.utils.translation import override

from bihuan.channels import services
from bihuan.channels.choices import DeliveryStatus, MailPurpose
from bihuan.channels.models import NotificationEmailPreference, OutboundEmail
from bihuan.channels.tests.conftest import Sink
from bihuan.core.models import DueItem, Event, Notification, WorkState
from bihuan.core.runner import Runner
from bihuan.testing.factories import make_ticket
from bihuan.tickets import services as ticket_services
from conftest import Org

pytestmark = pytest.mark.django_db


def _opt_in(client: Client) -> None:
    response = client.post("/mail/notifications/", {"enabled": "on"})
    assert response.status_code == 302


def _with_address(user: Any, address: str, *, language: str = "zh-hans") -> None:
    user.email = address
    user.language = language
    user.save(update_fields=["email", "language"])


def test_a_colleague_who_opted_in_gets_a_mention_by_email(
    org: Org, smtp: Sink, settings: Any
) -> None:
    settings.CSRF_TRUSTED_ORIGINS = ["https://helpdesk.shop.example.cn"]
    _with_address(org.other_agent, "lina@shop.example.cn")
    client = Client()
    client.force_login(org.other_agent)
    _opt_in(client)
    ticket = make_ticket(email="wangfang@example.cn")

    ticket_services.add_internal_note(ticket, body="@lina 请看一下这个退款", actor=org.agent)
    Runner("test").run_until_idle()

    [sent] = smtp.received
    assert smtp.recipients == [["lina@shop.example.cn"]]
    assert sent["Auto-Submitted"] == "auto-generated"
    # A long encoded subject is folded after "Subject:" (Django's compat32 policy); clients
    # drop the fold's whitespace.
    subject = str(sent["Subject"]).strip()
    assert subject.startswith(f"[#{ticket.pk}] ")
    assert subject.endswith(": 订单还没发货")
    text = sent.get_body(("plain",))
    assert text is not None
    body = text.get_content()
    assert "@lina 请看一下这个退款" in body
    assert f"#{ticket.pk}" in body
    assert f"https://helpdesk.shop.example.cn/tickets/{ticket.pk}/" in body
    outbound = OutboundEmail.objects.get()
    assert (outbound.purpose, outbound.status) == (MailPurpose.NOTIFICATION, DeliveryStatus.SENT)
    assert outbound.notification == Notification.objects.get(recipient=org.other_agent)


def test_notification_emails_are_off_unless_the_user_turns_them_on(org: Org, smtp: Sink) -> None:
    _with_address(org.other_agent, "lina@shop.example.cn")
    ticket = make_ticket(email="wangfang@example.cn")

    ticket_services.add_internal_note(ticket, body="@lina 请看一下", actor=org.agent)
    Runner("test").run_until_idle()

    assert Notification.objects.filter(recipient=org.other_agent).count() == 1  # in the app
    assert smtp.received == []
    assert OutboundEmail.objects.count() == 0


def test_a_user_who_turned_them_off_again_gets_no_more_mail(org: Org, smtp: Sink) -> None:
    _with_address(org.other_agent, "lina@shop.example.cn")
    client = Client()
    client.force_login(org.other_agent)
    _opt_in(client)
    client.post("/mail/notifications/", {"enabled": "off"})
    ticket = make_ticket(email="wangfang@example.cn")

    ticket_services.add_internal_note(ticket, body="@lina 请看一下", actor=org.agent)
    Runner("test").run_until_idle()

    assert smtp.received == []
    assert list(
        Event.objects.filter(verb="email.notifications_changed")
        .order_by("id")
        .values_list("data", flat=True)
    ) == [{"enabled": True}, {"enabled": False}]


def test_an_sla_warning_and_breach_reach_the_owner_by_email_in_their_language(
    org: Org, smtp: Sink
) -> None:
    _with_address(org.agent, "zhangwei@shop.example.cn", language="en")
    services.set_notification_emails(org.agent, is_enabled=True)
    with time_machine.travel("2026-03-02T10:00+08:00", tick=False) as traveller:
        ticket = make_ticket(
            kind="complaint",
            channel="web",
            team=org.complaints,
            explicit_fields=("kind", "priority"),
        )
        ticket_services.update_ticket(
            ticket, ticket_services.TicketChanges(owner=org.agent), actor=org.supervisor
        )

        traveller.move_to("2026-03-02T10:46+08:00")  # past 75 % of the hour: at risk
        Runner("test").run_until_idle()
        traveller.move_to("2026-03-02T11:01+08:00")  # past the hour: missed
        Runner("test").run_until_idle()

    subjects = sorted(str(message["Subject"]).strip() for message in smtp.received)
    assert smtp.recipients == [["zhangwei@shop.example.cn"]] * 2
    assert len(subjects) == 2
    assert all(subject.startswith(f"[#{ticket.pk}] ") for subject in subjects)
    assert any("target missed" in subject for subject in subjects)
    assert any("at risk" in subject for subject in subjects)
    verbs = OutboundEmail.objects.values_list("notification__event__verb", flat=True)
    assert sorted(verbs) == ["sla.breached", "sla.warning"]


def test_a_notification_mail_is_retried_until_the_smtp_server_takes_it(
    org: Org, smtp: Sink, settings: Any
) -> None:
    _with_address(org.other_agent, "lina@shop.example.cn")
    services.set_notification_emails(org.other_agent, is_enabled=True)
    working_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = 1  # nothing listens there: the first attempt fails
    ticket = make_ticket(email="wangfang@example.cn")
    runner = Runner("test")

    ticket_services.add_internal_note(ticket, body="@lina 帮忙看看", actor=org.agent)
    runner.run_until_idle()
    failed = OutboundEmail.objects.get()
    settings.EMAIL_PORT = working_port
    DueItem.objects.filter(state=WorkState.PENDING).update(available_at=timezone.now())
    runner.run_until_idle()

    assert failed.status == DeliveryStatus.QUEUED
    assert "Error" in failed.last_error
    outbound = OutboundEmail.objects.get()
    assert (outbound.status, outbound.attempts) == (DeliveryStatus.SENT, 2)
    assert smtp.recipients == [["lina@shop.example.cn"]]


def test_handling_the_same_events_twice_mails_once(org: Org, smtp: Sink) -> None:
    _with_address(org.other_agent, "lina@shop.example.cn")
    services.set_notification_emails(org.other_agent, is_enabled=True)
    ticket = make_ticket(email="wangfang@example.cn")
    ticket_services.add_internal_note(ticket, body="@lina 看一下", actor=org.agent)
    events = list(Event.objects.filter(verb="ticket.message_added", data__kind="note"))

    first = services.email_notifications(events)
    again = services.email_notifications(events)

    assert (len(first), again) == (1, [])
    assert OutboundEmail.objects.count() == 1


def test_the_preference_page_shows_the_choice_and_refuses_nonsense(org: Org) -> None:
    client = Client()
    client.force_login(org.agent)

    page = client.get("/mail/notifications/")
    with override("en"):
        refused = client.post(
            "/mail/notifications/", {"enabled": "maybe"}, headers={"accept": "application/json"}
        )

    assert page.status_code == 200
    assert page.context["is_enabled"] is False
    assert 'value="off" id="emails-off" checked' in page.content.decode()
    assert refused.status_code == 422
    assert refused.json()["code"] == "invalid_choice"
    assert NotificationEmailPreference.objects.count() == 0
    assert not Event.objects.filter(verb="email.notifications_changed").exists()


def test_the_preference_page_needs_a_signed_in_user() -> None:
    response = Client().post("/mail/notifications/", {"enabled": "on"})

    assert response.status_code == 302
    assert "login" in response["Location"]
    assert NotificationEmailPreference.objects.count() == 0


def test_choosing_what_is_already_so_writes_nothing(org: Org) -> None:
    turned_off = services.set_notification_emails(org.agent, is_enabled=False)
    turned_on = services.set_notification_emails(org.agent, is_enabled=True)
    again = services.set_notification_emails(org.agent, is_enabled=True)

    assert (turned_off, turned_on, again) == (False, True, False)
    assert NotificationEmailPreference.objects.get().is_enabled is True
    assert Event.objects.filter(verb="email.notifications_changed").count() == 1
