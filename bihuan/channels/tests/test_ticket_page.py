"""The ticket page shows each message's channel and the delivery state of email replies; the
held-mail list is one click away in the top bar."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.translation import gettext

from bihuan.accounts.models import User
from bihuan.channels.services import queue_email_reply
from bihuan.channels.tests.conftest import Sink
from bihuan.core.runner import Runner
from bihuan.testing.factories import make_ticket
from bihuan.tickets import services as ticket_services
from bihuan.tickets.choices import Channel
from bihuan.tickets.models import Ticket
from conftest import Org

pytestmark = pytest.mark.django_db


def _page(user: User, ticket: Ticket) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(reverse("tickets:detail", kwargs={"number": ticket.pk}))
    assert response.status_code == 200
    return response.content.decode()


def _delivery_badges(html: str) -> list[str]:
    """The text of each delivery-state badge on the page, in order."""
    parts = html.split('data-testid="delivery-state"')[1:]
    return [part.split(">", 1)[1].split("</span>", 1)[0] for part in parts]


def test_an_email_reply_shows_queued_then_sent_once_the_engine_has_sent_it(
    org: Org, smtp: Sink
) -> None:
    ticket = make_ticket(email="wangfang@example.cn")
    reply = ticket_services.reply_to_customer(
        ticket, body="您好", actor=org.agent, channel=Channel.EMAIL
    )
    queue_email_reply(reply)  # what the reply's reaction does; the sending is due work

    queued = _page(org.agent, ticket)
    Runner("test").run_until_idle()
    sent = _page(org.agent, ticket)

    assert _delivery_badges(queued) == [gettext("Queued")]
    assert 'data-delivery="queued"' in queued
    assert smtp.recipients == [["wangfang@example.cn"]]
    assert _delivery_badges(sent) == [gettext("Sent")]
    assert 'data-delivery="sent"' in sent


def test_an_email_reply_that_cannot_be_sent_shows_failed_with_the_reason(
    org: Org, smtp: Sink
) -> None:
    ticket = make_ticket(phone="13800000000")  # no email address to send to
    ticket_services.reply_to_customer(ticket, body="您好", actor=org.agent, channel=Channel.EMAIL)

    Runner("test").run_until_idle()
    html = _page(org.agent, ticket)

    reason = gettext("The customer has no email address.")
    assert _delivery_badges(html) == [gettext("Failed: %(reason)s") % {"reason": reason}]
    assert 'data-delivery="failed"' in html
    assert smtp.received == []


def test_a_phone_message_shows_its_channel_and_no_delivery_state(org: Org, smtp: Sink) -> None:
    ticket = make_ticket(phone="13800000000")
    ticket_services.add_customer_message(ticket, body="我刚才打电话说过了", channel=Channel.PHONE)
    ticket_services.reply_to_customer(ticket, body="已记录", actor=org.agent, channel=Channel.PHONE)

    Runner("test").run_until_idle()
    html = _page(org.agent, ticket)

    phone = str(Channel.PHONE.label)
    assert f"{gettext('Customer')} · {phone}" in html
    assert f"{gettext('Reply to customer')} · {phone}" in html
    assert _delivery_badges(html) == []


def test_the_ticket_page_costs_the_same_with_one_and_with_many_email_replies(
    org: Org, smtp: Sink
) -> None:
    ticket = make_ticket(email="wangfang@example.cn")
    runner = Runner("test")
    client = Client()
    client.force_login(org.agent)
    url = reverse("tickets:detail", kwargs={"number": ticket.pk})

    def count() -> int:
        client.get(url)  # warm: session
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200
        return len(captured)

    ticket_services.reply_to_customer(ticket, body="第 0 次", actor=org.agent, channel="email")
    runner.run_until_idle()
    with_one = count()
    for number in range(1, 12):
        ticket_services.reply_to_customer(
            ticket, body=f"第 {number} 次", actor=org.agent, channel="email"
        )
    runner.run_until_idle()
    with_twelve = count()

    assert with_one == with_twelve
    assert len(smtp.received) == 12


def test_agents_and_supervisors_find_the_held_mail_in_the_top_bar(org: Org) -> None:
    ticket = make_ticket(email="wangfang@example.cn", team=org.presales)
    held = reverse("channels:held")

    pages = {user.username: _page(user, ticket) for user in (org.agent, org.supervisor)}

    for html in pages.values():
        assert f'href="{held}" data-testid="held-mail-link">{gettext("Held mail")}</a>' in html


def test_department_members_have_no_held_mail_link(org: Org) -> None:
    client = Client()
    client.force_login(org.tech_member)

    response = client.get(reverse("tickets:inbox"))

    assert response.status_code == 200
    assert 'data-testid="notifications-link"' in response.content.decode()
    assert 'data-testid="held-mail-link"' not in response.content.decode()
