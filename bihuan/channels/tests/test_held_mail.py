"""Held mail: the agent sees it, decides about it, and loads remote images only on request."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from bihuan.channels.choices import InboundStatus
from bihuan.channels.email.message_ids import make_message_id
from bihuan.channels.models import InboundEmail
from bihuan.channels.services import ingest_email
from bihuan.channels.tests.mail import build_mail, corpus
from bihuan.core import catalogue
from bihuan.core.models import Event
from bihuan.testing.factories import make_ticket
from bihuan.tickets.choices import MessageKind
from bihuan.tickets.models import Message, Ticket
from conftest import Org

pytestmark = pytest.mark.django_db


def _held_on_ticket(org: Org) -> tuple[Ticket, InboundEmail]:
    ticket = make_ticket(email="wangfang@example.cn", team=org.presales)
    result = ingest_email(
        build_mail(
            sender="同事 <colleague@example.cn>",
            subject="Re: 订单还没发货",
            body="我是王芳的同事，单号是 SF123。",
            message_id="<held-1@example.cn>",
            in_reply_to=make_message_id(ticket.pk),
        )
    )
    return ticket, InboundEmail.objects.get(pk=result.inbound_id or 0)


def _client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_the_agent_of_the_queue_sees_held_mail_and_keeps_it_as_a_note(org: Org) -> None:
    ticket, held = _held_on_ticket(org)
    client = _client(org.agent)

    listing = client.get("/mail/held/")
    response = client.post(f"/mail/inbound/{held.pk}/release/", {"action": "note"})

    assert "colleague@example.cn" in listing.content.decode()
    assert response.status_code == 302
    note = ticket.messages.order_by("id").last()
    assert note is not None
    assert note.kind == MessageKind.NOTE
    assert note.body.endswith("我是王芳的同事，单号是 SF123。")
    held.refresh_from_db()
    assert (held.status, held.released_by_id, held.ticket_message_id) == (
        InboundStatus.RELEASED,
        org.agent.pk,
        note.pk,
    )
    assert Event.objects.filter(verb="email.released", ticket_id=ticket.pk).count() == 1


def test_held_mail_can_open_a_ticket_for_its_sender(org: Org) -> None:
    ticket, held = _held_on_ticket(org)

    _client(org.agent).post(f"/mail/inbound/{held.pk}/release/", {"action": "new_ticket"})

    held.refresh_from_db()
    assert held.ticket_id != ticket.pk
    created = Ticket.objects.get(pk=held.ticket_id or 0)
    assert created.customer.identities.get().value == "colleague@example.cn"
    assert created.messages.get().body == "我是王芳的同事，单号是 SF123。"


def test_mail_dealt_with_once_cannot_be_released_again(org: Org) -> None:
    _ticket, held = _held_on_ticket(org)
    client = _client(org.agent)
    client.post(f"/mail/inbound/{held.pk}/release/", {"action": "dismiss"})
    messages = Message.objects.count()

    again = client.post(f"/mail/inbound/{held.pk}/release/", {"action": "note"})

    assert again.status_code == 302
    assert Message.objects.count() == messages
    held.refresh_from_db()
    assert held.status == InboundStatus.DISMISSED


def test_an_agent_of_another_queue_does_not_find_the_held_mail(org: Org) -> None:
    _ticket, held = _held_on_ticket(org)
    client = _client(org.other_agent)

    listing = client.get("/mail/held/")
    detail = client.get(f"/mail/inbound/{held.pk}/")
    refused = client.post(f"/mail/inbound/{held.pk}/release/", {"action": "dismiss"})

    assert "colleague@example.cn" not in listing.content.decode()
    assert (detail.status_code, refused.status_code) == (404, 404)
    held.refresh_from_db()
    assert held.status == InboundStatus.HELD


def test_remote_images_load_only_when_the_agent_asks(org: Org) -> None:
    result = ingest_email(corpus("outlook_html_only_cp1252.eml"))
    client = _client(org.supervisor)

    page = client.get(f"/mail/inbound/{result.inbound_id}/").content.decode()
    with_images = client.get(f"/mail/inbound/{result.inbound_id}/?images=1").content.decode()

    assert '<img src="https://tracker.example.net' not in page
    assert 'data-remote-src="https://tracker.example.net/pixel.gif?u=1"' in page
    assert '<img src="https://tracker.example.net/pixel.gif?u=1"' in with_images
    assert "alert('x')" not in with_images


def test_the_ticket_timeline_tells_of_held_mail_without_showing_the_address(org: Org) -> None:
    ticket, _held = _held_on_ticket(org)
    event = Event.objects.get(verb="email.held", ticket_id=ticket.pk)

    with translation.override("en"):
        line = catalogue.describe(event)
        details = catalogue.details(event)

    assert line == "held an email from someone who is not the ticket's customer"
    assert details == ["from c***@example.cn"]
