"""The agents' WebSocket through the real ASGI stack (session middleware, routing, consumer):
who may connect, what reaches a page (only its user's scope), resuming from an event id,
presence, and read markers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from bihuan.accounts.models import User
from bihuan.core.models import Event
from bihuan.live.models import TicketRead
from bihuan.testing.factories import make_ticket
from bihuan.tickets import services as ticket_services
from bihuan.tickets.models import Ticket
from conftest import Org

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


def _db(function: Callable[..., Any]) -> Callable[..., Any]:
    return sync_to_async(function, thread_sensitive=True)


def _cookie(user: User | None) -> list[tuple[bytes, bytes]]:
    if user is None:
        return []
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    return [(b"cookie", f"{settings.SESSION_COOKIE_NAME}={session}".encode())]


ORIGIN = (b"origin", b"http://127.0.0.1:8000")


async def _open(user: User | None, query: str = "") -> WebsocketCommunicator:
    from bihuan.asgi import application

    headers = [ORIGIN, *await _db(_cookie)(user)]
    socket = WebsocketCommunicator(application, f"/ws/live/{query}", headers=headers)
    connected, _ = await socket.connect()
    assert connected
    return socket


async def _events(socket: WebsocketCommunicator, timeout: float = 3) -> list[dict[str, Any]]:
    frame = await socket.receive_json_from(timeout=timeout)
    assert frame["type"] == "events", frame
    return list(frame["events"])


async def test_an_anonymous_foreign_or_out_of_scope_page_is_refused_without_a_word(
    org: Org,
) -> None:
    from bihuan.asgi import application

    complaint = await _db(make_ticket)(subject="投诉：快递员态度差", team=org.complaints)

    anonymous = await _open(None, "?after=0")
    assert await anonymous.receive_output() == {"type": "websocket.close", "code": 4401}
    foreign = await _open(org.agent, f"?after=0&ticket={complaint.pk}")
    assert await foreign.receive_output() == {"type": "websocket.close", "code": 4404}
    forged = await _open(org.agent, "?after=-1")
    assert await forged.receive_output() == {"type": "websocket.close", "code": 4400}
    cookie = await _db(_cookie)(org.agent)
    for origin in ([(b"origin", b"https://evil.example.com")], []):
        elsewhere = WebsocketCommunicator(application, "/ws/live/", headers=origin + cookie)
        assert await elsewhere.connect() == (False, 1000)  # the handshake is refused


async def test_a_page_resumes_after_its_last_event_id_and_hears_only_its_scope(org: Org) -> None:
    first = await _db(make_ticket)(subject="发票抬头开错了", team=org.presales)
    seen = await _db(lambda: Event.objects.filter(ticket_id=first.pk).latest("id").pk)()
    hidden = await _db(make_ticket)(subject="投诉：快递员态度差", team=org.complaints)
    second = await _db(make_ticket)(subject="退货地址在哪里", team=org.presales)
    note = ticket_services.add_internal_note
    await _db(note)(first, body="已联系财务重开", actor=org.other_agent)

    socket = await _open(org.agent, f"?after={seen}")

    missed = await _events(socket)
    assert {e["ticket"] for e in missed} == {first.pk, second.pk}
    assert all(e["id"] > seen for e in missed)
    assert [e["id"] for e in missed] == sorted(e["id"] for e in missed)
    last = missed[-1]
    assert (last["ticket"], last["verb"], last["actor"], last["mine"], last["alert"]) == (
        first.pk,
        "ticket.message_added",
        str(org.other_agent),
        False,
        "",
    )

    await _db(make_ticket)(subject="投诉：又没送到", team=org.complaints)  # lina's queue
    await _db(note)(second, body=f"@{org.agent.username} 请跟进", actor=org.supervisor)

    live = await _events(socket)
    assert [(e["ticket"], e["verb"], e["alert"]) for e in live] == [
        (second.pk, "ticket.message_added", "mention")
    ]
    assert hidden.pk not in {e["ticket"] for e in missed + live}
    assert await socket.receive_nothing(timeout=0.3)
    await socket.disconnect()


async def test_agents_on_one_ticket_see_each_other_and_what_reaches_a_page_is_read(
    org: Org,
) -> None:
    ticket: Ticket = await _db(make_ticket)(subject="发票抬头开错了", team=org.presales)
    query = f"?ticket={ticket.pk}"
    first = await _open(org.agent, query)
    created = await _db(lambda: Event.objects.filter(ticket_id=ticket.pk).latest("id").pk)()

    second = await _open(org.supervisor, query)

    joined = await first.receive_json_from(timeout=3)
    assert (joined["type"], joined["user"], joined["state"]) == (
        "presence",
        org.supervisor.pk,
        "viewing",
    )
    assert joined["name"] == str(org.supervisor)
    already = await second.receive_json_from(timeout=3)
    assert (already["user"], already["state"]) == (org.agent.pk, "viewing")

    await second.send_json_to({"type": "presence", "state": "typing"})
    typing = await first.receive_json_from(timeout=3)
    assert (typing["user"], typing["state"]) == (org.supervisor.pk, "typing")

    await second.send_json_to({"type": "presence", "state": "viewing"})  # within 200 ms
    back = await first.receive_json_from(timeout=3)  # delayed, not lost
    assert (back["user"], back["state"]) == (org.supervisor.pk, "viewing")
    await second.send_json_to({"type": "presence", "state": "shouting"})  # ignored
    await second.disconnect()
    left = await first.receive_json_from(timeout=3)
    assert (left["user"], left["state"]) == (org.supervisor.pk, "left")
    marker = await _db(TicketRead.objects.get)(user=org.agent, ticket=ticket)
    assert marker.last_event_id == created  # opening the page read it

    await _db(ticket_services.add_internal_note)(ticket, body="已联系财务", actor=org.supervisor)

    events = await _events(first)
    assert await first.receive_nothing(timeout=0.3)
    marker = await _db(TicketRead.objects.get)(user=org.agent, ticket=ticket)
    assert marker.last_event_id == events[-1]["id"] > created
    await first.disconnect()
