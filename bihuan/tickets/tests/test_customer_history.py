"""The customer page shows the customer's whole conversation across channels: every message
from them and every reply to them, newest first, only on tickets the viewer may see, by keyset
pages, at a cost that does not grow with the number of tickets."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bihuan.accounts.models import User
from bihuan.customers.models import Customer
from bihuan.testing.factories import make_ticket
from bihuan.tickets import services
from bihuan.tickets.choices import Channel, MessageKind
from bihuan.tickets.models import Message, Ticket
from conftest import Org

pytestmark = pytest.mark.django_db

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _page(user: User, customer: Customer, query: str = "") -> tuple[int, str]:
    client = Client()
    client.force_login(user)
    response = client.get(reverse("customers:detail", kwargs={"customer_id": customer.pk}) + query)
    return response.status_code, response.content.decode()


def _rows(html: str) -> list[tuple[int, str, str]]:
    """(message id, channel, kind) of each row of the panel, in order."""
    return [
        (int(pk), channel, kind)
        for pk, channel, kind in re.findall(
            r'data-testid="customer-message" data-message="(\d+)" data-channel="(\w+)"'
            r' data-kind="(\w+)"',
            html,
        )
    ]


def _conversation(org: Org) -> tuple[Customer, dict[str, Message]]:
    """王芳 writes by email and calls about the same order; a complaint of hers sits in the
    complaints queue, outside the agent's scope."""
    with time_machine.travel(START, tick=False) as clock:
        by_email = make_ticket(
            email="wangfang@example.cn", phone="13800138000", team=org.presales, channel="email"
        )
        clock.shift(timedelta(minutes=5))
        reply = services.reply_to_customer(
            by_email, body="您好，请提供订单号。", actor=org.agent, channel=Channel.EMAIL
        )
        clock.shift(timedelta(minutes=5))
        services.add_internal_note(by_email, body="仓库说周一发货", actor=org.agent)
        clock.shift(timedelta(minutes=5))
        by_phone = make_ticket(
            phone="13800138000", team=org.presales, channel="phone", body="来电：订单号 A123"
        )
        clock.shift(timedelta(minutes=5))
        complaint = make_ticket(phone="13800138000", team=org.complaints, channel="wechat")
    customer = by_email.customer
    assert by_phone.customer_id == customer.pk == complaint.customer_id
    first = {t.pk: t.messages.get(kind=MessageKind.CUSTOMER) for t in (by_email, by_phone)}
    return customer, {
        "email": first[by_email.pk],
        "reply": reply,
        "phone": first[by_phone.pk],
        "complaint": complaint.messages.get(),
    }


def test_the_customer_page_lists_every_message_on_every_channel_newest_first(org: Org) -> None:
    customer, messages = _conversation(org)

    status, html = _page(org.supervisor, customer)

    assert status == 200
    assert _rows(html) == [
        (messages["complaint"].pk, "wechat", "customer"),
        (messages["phone"].pk, "phone", "customer"),
        (messages["reply"].pk, "email", "reply"),
        (messages["email"].pk, "email", "customer"),
    ]
    assert "仓库说周一发货" not in html  # internal notes came by no channel


def test_an_agent_sees_no_message_of_a_ticket_outside_their_scope(org: Org) -> None:
    customer, messages = _conversation(org)

    status, html = _page(org.agent, customer)

    assert status == 200
    assert [pk for pk, _channel, _kind in _rows(html)] == [
        messages["phone"].pk,
        messages["reply"].pk,
        messages["email"].pk,
    ]
    assert f'href="/tickets/{messages["complaint"].ticket_id}/"' not in html


def test_older_messages_come_by_keyset_pages_and_back(org: Org) -> None:
    with time_machine.travel(START, tick=False) as clock:
        ticket = make_ticket(email="wangfang@example.cn", team=org.presales, channel="email")
        for number in range(24):
            clock.shift(timedelta(minutes=1))
            services.add_customer_message(ticket, body=f"补充 {number}")
    newest_first = list(
        Message.objects.filter(ticket=ticket)
        .order_by("-created_at", "-id")
        .values_list("pk", flat=True)
    )

    _status, first = _page(org.agent, ticket.customer)
    older_url = re.search(r'href="([^"]+)" data-testid="customer-messages-older"', first)
    assert older_url is not None
    _status, second = _page(org.agent, ticket.customer, "?" + older_url[1].split("?", 1)[1])
    newer_url = re.search(r'href="([^"]+)" data-testid="customer-messages-newer"', second)
    assert newer_url is not None
    _status, back = _page(org.agent, ticket.customer, "?" + newer_url[1].split("?", 1)[1])

    assert [pk for pk, *_ in _rows(first)] == newest_first[:20]
    assert [pk for pk, *_ in _rows(second)] == newest_first[20:]
    assert 'data-testid="customer-messages-older"' not in second
    assert [pk for pk, *_ in _rows(back)] == newest_first[:20]


def test_a_forged_page_cursor_is_refused(org: Org) -> None:
    ticket = make_ticket(email="wangfang@example.cn", team=org.presales)

    status, _html = _page(org.agent, ticket.customer, "?messages=not-a-cursor")

    assert status == 422


def _queries(user: User, customer: Customer) -> int:
    client = Client()
    client.force_login(user)
    url = reverse("customers:detail", kwargs={"customer_id": customer.pk})
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_panel_costs_the_same_with_one_ticket_and_with_many(org: Org) -> None:
    one = make_ticket(email="one@example.cn", team=org.presales, channel="email")
    many = make_ticket(email="many@example.cn", team=org.presales, channel="email")
    for number in range(12):
        services.add_customer_message(many, body=f"补充 {number}")
        make_ticket(
            email="many@example.cn",
            team=org.presales,
            channel=("phone", "web", "wechat")[number % 3],
            subject=f"问题 {number}",
        )
    assert Ticket.objects.filter(customer=many.customer).count() == 13

    assert _queries(org.agent, many.customer) == _queries(org.agent, one.customer)
