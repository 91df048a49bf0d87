"""The agent chooses the reply's channel among those the customer can be reached on."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from bihuan.core.errors import ValidationFailed
from bihuan.core.models import Event
from bihuan.testing.factories import make_ticket
from bihuan.tickets import services
from bihuan.tickets.models import Message

pytestmark = pytest.mark.django_db


def _phone_ticket(org: Any) -> Any:
    return make_ticket(
        subject="电话咨询退款",
        body="客户来电询问退款进度",
        channel="phone",
        phone="13800138001",
        email="wangfang@example.com",
        team=org.presales,
    )


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_reply_form_offers_the_customer_channels_and_says_it_is_not_sent(org: Any) -> None:
    ticket = _phone_ticket(org)

    html = _client(org.agent).get(f"/tickets/{ticket.pk}/").content.decode()

    start = html.index('data-testid="reply-channel"')
    options = html[start : html.index("</select>", start)]
    assert [v for v in ("phone", "sms", "email", "wechat") if f'value="{v}"' in options] == [
        "phone",
        "sms",
        "email",
    ]
    assert 'data-testid="reply-note"' in html
    assert "Sent to the customer by" not in html
    assert "将通过" not in html


def test_a_reply_by_email_is_recorded_with_that_channel(org: Any) -> None:
    ticket = _phone_ticket(org)
    client = _client(org.agent)

    response = client.post(
        f"/tickets/{ticket.pk}/reply/", {"body": "已为您登记退款。", "channel": "email"}
    )

    assert response.status_code == 302
    reply = Message.objects.get(ticket=ticket, kind="reply")
    assert (reply.channel, reply.author_id) == ("email", org.agent.pk)
    page = client.get(response["Location"]).content.decode()
    assert "未发送" in page  # the interface's default language is zh-hans


def test_a_channel_the_customer_cannot_be_reached_on_is_refused(org: Any) -> None:
    ticket = _phone_ticket(org)
    events = Event.objects.filter(ticket_id=ticket.pk).count()

    response = _client(org.agent).post(
        f"/tickets/{ticket.pk}/reply/", {"body": "您好", "channel": "wechat"}
    )

    assert response.status_code == 302
    assert not Message.objects.filter(ticket=ticket, kind="reply").exists()
    assert Event.objects.filter(ticket_id=ticket.pk).count() == events


def test_the_service_refuses_an_unknown_channel(org: Any) -> None:
    ticket = _phone_ticket(org)

    with pytest.raises(ValidationFailed):
        services.reply_to_customer(ticket, body="您好", actor=org.agent, channel="fax")

    assert not Message.objects.filter(ticket=ticket, kind="reply").exists()
