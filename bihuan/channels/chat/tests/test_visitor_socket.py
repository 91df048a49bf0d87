"""The visitor's WebSocket through the real ASGI stack (``bihuan.asgi``: session middleware,
routing, the consumer) with Channels' WebsocketCommunicator: key and origin checks, bounded and
rate-limited messages, exactly once per client id, identification, agent replies."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.core.cache import cache

from bihuan.accounts.choices import Availability, Role
from bihuan.accounts.models import User
from bihuan.channels.chat import services
from bihuan.channels.chat.models import ChatMessage, ChatVisitor, ChatWidget
from bihuan.customers.models import Customer, CustomerIdentity
from bihuan.customers.services import ContactDetails, resolve_customer
from bihuan.testing.factories import make_department, make_team, make_user
from bihuan.tickets import services as ticket_services
from bihuan.tickets.choices import Channel, MessageKind
from bihuan.tickets.models import Message, Ticket

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

SITE = "https://shop.example.cn"


@pytest.fixture(autouse=True)
def _fresh_rate_counters() -> None:
    cache.clear()


@pytest.fixture
def agents() -> list[User]:
    department = make_department("客服部")
    team = make_team(department, "在线客服组")
    return [
        make_user(
            Role.AGENT,
            username=name,
            department=department,
            teams=[team],
            display_name=display,
            availability=Availability.ONLINE,
        )
        for name, display in (("lina", "李娜"), ("zhaolei", "赵磊"))
    ]


@pytest.fixture
def widget(agents: list[User]) -> ChatWidget:
    admin = make_user(Role.ADMIN, username="admin")
    return services.create_widget(
        services.WidgetFields(
            name="官网客服",
            allowed_origins=f"{SITE}\nhttps://m.example.cn",
            team=agents[0].teams.get(),
            greeting="您好，有什么可以帮您？",
            offline_message="客服已下班，请留下联系方式。",
            max_chats_per_agent=1,
        ),
        actor=admin,
    )


def _socket(key: str, origin: str = SITE) -> WebsocketCommunicator:
    from bihuan.asgi import application

    return WebsocketCommunicator(
        application, f"/ws/chat/{key}/", headers=[(b"origin", origin.encode())]
    )


@asynccontextmanager
async def visitor(
    widget: ChatWidget, *, token: str = "", after: int = 0
) -> AsyncIterator[tuple[WebsocketCommunicator, dict[str, Any]]]:
    socket = _socket(widget.public_key)
    connected, _code = await socket.connect(timeout=10)
    assert connected
    await socket.send_json_to({"type": "hello", "token": token, "after": after})
    welcome = await receive(socket)
    assert welcome["type"] == "welcome"
    try:
        yield socket, welcome
    finally:
        # A failed assertion inside has stopped the app already: report that, not this.
        with suppress(BaseException):
            await socket.disconnect()


async def receive(socket: WebsocketCommunicator) -> dict[str, Any]:
    """The next frame (generous timeout: a shared 2-core machine is slow at times)."""
    frame: dict[str, Any] = await socket.receive_json_from(timeout=10)
    return frame


def _db(function: Callable[..., Any]) -> Callable[..., Any]:
    return sync_to_async(function, thread_sensitive=True)


async def test_an_unknown_key_or_a_foreign_origin_is_refused_at_the_handshake(
    widget: ChatWidget,
) -> None:
    for socket in (
        _socket("no-such-key"),
        _socket(widget.public_key, origin="https://evil.example.com"),
        _socket(widget.public_key, origin=""),
    ):
        connected, _code = await socket.connect(timeout=10)

        assert connected is False

    async with visitor(widget) as (_socket_ok, welcome):
        assert welcome["online"] is True
        assert welcome["greeting"] == "您好，有什么可以帮您？"
        assert welcome["history"] == []
    assert await _db(ChatVisitor.objects.count)() == 0  # connecting writes nothing


async def test_an_oversize_or_overlong_message_is_refused_and_nothing_is_stored(
    widget: ChatWidget,
) -> None:
    async with visitor(widget) as (socket, _welcome):
        await socket.send_to(
            text_data='{"client_id": "c-big", "type": "message", "body": "' + "长" * 20_000 + '"}'
        )
        refused = await receive(socket)
        await socket.send_json_to({"type": "message", "client_id": "c-long", "body": "字" * 2001})
        too_long = await receive(socket)

    assert (refused["type"], refused["code"]) == ("error", "too_large")
    assert refused["client_id"] == "c-big"
    assert (too_long["code"], too_long["client_id"]) == ("too_large", "c-long")
    assert await _db(Message.objects.count)() == 0
    assert await _db(ChatMessage.objects.count)() == 0


async def test_a_message_resent_after_a_reconnect_is_stored_once(
    widget: ChatWidget, agents: list[User]
) -> None:
    frame = {"type": "message", "client_id": "c-1a2b3c", "body": "我的订单还没发货"}
    async with visitor(widget) as (socket, welcome):
        await socket.send_json_to(frame)
        first = await receive(socket)
        token = welcome["token"]

    async with visitor(widget, token=token) as (socket, welcome):  # the same visitor again
        await socket.send_json_to(frame)  # the widget did not see the ack: it resends
        again = await receive(socket)

    assert (first["type"], first["duplicate"]) == ("ack", False)
    assert (again["duplicate"], again["entry"]["id"]) == (True, first["entry"]["id"])
    assert [e["client_id"] for e in welcome["history"]] == ["c-1a2b3c"]
    rows = await _db(lambda: list(Message.objects.values_list("body", "channel", "kind")))()
    assert rows == [("我的订单还没发货", Channel.CHAT, MessageKind.CUSTOMER)]
    ticket = await _db(lambda: Ticket.objects.select_related("owner").get())()
    assert (ticket.channel, ticket.owner) == (Channel.CHAT, agents[0])


async def test_too_many_messages_a_minute_are_refused(widget: ChatWidget, settings: Any) -> None:
    settings.BIHUAN_CHAT_MESSAGES_PER_MINUTE = 2
    async with visitor(widget) as (socket, _welcome):
        answers = []
        for number in range(3):
            await socket.send_json_to(
                {"type": "message", "client_id": f"c-{number}", "body": f"第{number}条"}
            )
            answers.append(await receive(socket))

    assert [a["type"] for a in answers] == ["ack", "ack", "error"]
    assert (answers[2]["code"], answers[2]["client_id"]) == ("rate_limited", "c-2")
    assert await _db(ChatMessage.objects.count)() == 2


async def test_an_anonymous_visitor_who_gives_a_known_email_becomes_that_customer(
    widget: ChatWidget,
) -> None:
    known, _created = await _db(resolve_customer)(
        ContactDetails(name="王芳", email="wang.fang@example.cn"), actor=None
    )
    async with visitor(widget) as (socket, _welcome):
        await socket.send_json_to({"type": "message", "client_id": "c-1", "body": "耳机坏了"})
        await receive(socket)
        anonymous = await _db(lambda: Ticket.objects.get().customer)()
        await socket.send_json_to({"type": "identify", "email": "not-an-email"})
        refused = await receive(socket)
        await socket.send_json_to(
            {"type": "identify", "name": "王芳", "email": "Wang.Fang@example.cn",
             "phone": "138 0013 8000"}
        )  # fmt: skip
        identified = await receive(socket)
        await socket.send_json_to({"type": "message", "client_id": "c-2", "body": "是左耳"})
        await receive(socket)

    assert refused["code"] == "invalid_email"
    assert identified == {"type": "identified"}
    assert anonymous.pk != known.pk
    tickets = await _db(lambda: list(Ticket.objects.values_list("customer_id", flat=True)))()
    assert tickets == [known.pk]  # one ticket, now the known customer's
    merged = await _db(Customer.objects.get)(pk=anonymous.pk)
    assert merged.merged_into_id == known.pk
    kinds = await _db(
        lambda: sorted(
            CustomerIdentity.objects.filter(customer_id=known.pk).values_list("kind", flat=True)
        )
    )()
    assert kinds == ["email", "external", "phone"]  # the visitor key moved with the chat
    senders = await _db(lambda: list(Message.objects.values_list("customer_id", flat=True)))()
    assert senders == [known.pk, known.pk]


async def test_an_agent_reply_reaches_the_visitor_and_waits_in_the_history(
    widget: ChatWidget, agents: list[User]
) -> None:
    async with visitor(widget) as (socket, welcome):
        await socket.send_json_to({"type": "message", "client_id": "c-1", "body": "在吗？"})
        ack = await receive(socket)
        ticket = await _db(Ticket.objects.get)()
        await _db(ticket_services.reply_to_customer)(ticket, body="在的，请讲。", actor=agents[0])
        pushed = await receive(socket)
        token = welcome["token"]
    await _db(ticket_services.add_internal_note)(ticket, body="内部：老客户", actor=agents[0])
    await _db(ticket_services.reply_to_customer)(ticket, body="还在吗？", actor=agents[0])

    async with visitor(widget, token=token, after=pushed["entry"]["id"]) as (_s, again):
        missed = again["history"]

    assert pushed["type"] == "entry"
    assert (pushed["entry"]["from"], pushed["entry"]["body"]) == ("agent", "在的，请讲。")
    assert pushed["entry"]["author"] == "李娜"
    assert pushed["entry"]["id"] > ack["entry"]["id"]
    assert [(e["from"], e["body"]) for e in missed] == [("agent", "还在吗？")]  # no note


def _owner_of(message_id: int) -> int | None:
    return Ticket.objects.values_list("owner_id", flat=True).get(messages__pk=message_id)


async def test_chats_go_to_agents_below_their_maximum_and_offline_visitors_are_told(
    widget: ChatWidget, agents: list[User]
) -> None:
    owners = []
    for _visitor in range(3):  # three visitors; each agent takes one chat at most (widget)
        async with visitor(widget) as (socket, _welcome):
            await socket.send_json_to({"type": "message", "client_id": "c-1", "body": "你好"})
            ack = await receive(socket)
            owners.append(await _db(_owner_of)(ack["entry"]["id"]))
    await _db(User.objects.filter(pk__in=[a.pk for a in agents]).update)(
        availability=Availability.OFFLINE
    )

    async with visitor(widget) as (socket, welcome):
        await socket.send_json_to({"type": "message", "client_id": "c-1", "body": "有人吗"})
        ack = await receive(socket)

    assert owners == [agents[0].pk, agents[1].pk, None]  # the third waits in the queue
    assert welcome["online"] is False
    assert welcome["offline_message"] == "客服已下班，请留下联系方式。"
    assert ack["type"] == "ack"  # kept all the same: answered later by email or SMS
    assert await _db(ChatMessage.objects.filter(is_offline=True).count)() == 1


async def test_typing_is_shown_both_ways_through_the_ticket_presence_group(
    widget: ChatWidget,
) -> None:
    from channels.layers import get_channel_layer

    from bihuan.live.publishing import ticket_group

    layer = get_channel_layer()
    assert layer is not None
    agent_page = await layer.new_channel()
    async with visitor(widget) as (socket, _welcome):
        await socket.send_json_to({"type": "message", "client_id": "c-1", "body": "你好"})
        ack = await receive(socket)
        ticket_id = await _db(lambda: Ticket.objects.get().pk)()
        await layer.group_add(ticket_group(ticket_id), agent_page)
        await socket.send_json_to({"type": "typing", "typing": True})
        seen_by_agent = await layer.receive(agent_page)
        await layer.group_send(
            ticket_group(ticket_id),
            {"type": "live.presence", "user": 7, "name": "李娜", "state": "typing",
             "sender": agent_page, "hello": False},
        )  # fmt: skip
        seen_by_visitor = await receive(socket)

    assert ack["type"] == "ack"
    assert (seen_by_agent["type"], seen_by_agent["state"]) == ("live.presence", "typing")
    assert seen_by_agent["name"].startswith("Chat visitor") or "访客" in seen_by_agent["name"]
    assert seen_by_visitor == {"type": "typing", "typing": True}  # no agent name


async def _agent_page(agent: User) -> WebsocketCommunicator:
    """The agent's live workspace (``/ws/live/``), from the newest event on."""
    from django.conf import settings
    from django.test import Client

    from bihuan.asgi import application
    from bihuan.core.models import Event

    def cookie_and_cursor() -> tuple[bytes, int]:
        client = Client()
        client.force_login(agent)
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        newest = Event.objects.order_by("-id").values_list("id", flat=True).first() or 0
        return f"{settings.SESSION_COOKIE_NAME}={session}".encode(), newest

    cookie, cursor = await _db(cookie_and_cursor)()
    page = WebsocketCommunicator(
        application,
        f"/ws/live/?after={cursor}",
        headers=[(b"origin", b"http://127.0.0.1:8000"), (b"cookie", cookie)],
    )
    connected, _code = await page.connect(timeout=10)
    assert connected
    return page


async def test_a_chat_waiting_while_agents_are_full_lands_on_the_agent_who_solves_one(
    widget: ChatWidget, agents: list[User]
) -> None:
    lina = agents[0]
    for key in ("v1", "v2"):  # one chat each: both agents are at the widget's limit of 1
        await _db(services.receive_visitor_message)(
            widget, visitor_key=key, client_id="c-1", body="你好"
        )
    linas_chat = await _db(lambda: Ticket.objects.get(owner=lina))()
    page = await _agent_page(lina)

    async with visitor(widget) as (socket, _welcome):
        await socket.send_json_to({"type": "message", "client_id": "c-1", "body": "有人吗？"})
        ack = await receive(socket)
        waiting = await receive(socket)
        await _db(ticket_services.change_status)(linas_chat, status="solved", actor=lina)
        placed = await receive(socket)
    heard: list[tuple[int, str]] = []
    while ("ticket.assigned" not in {verb for _t, verb in heard}) and len(heard) < 50:
        frame = await page.receive_json_from(timeout=10)
        heard += [(e["ticket"], e["verb"]) for e in frame.get("events", [])]
    await page.disconnect()

    assert ack["type"] == "ack"
    assert waiting == {"type": "queue", "waiting": True, "position": 1}
    assert placed == {"type": "queue", "waiting": False, "position": None}
    ticket = await _db(lambda: Ticket.objects.get(messages__pk=ack["entry"]["id"]))()
    assert ticket.owner_id == lina.pk  # the agent whose chat was solved
    assert (ticket.pk, "ticket.assigned") in heard  # her workspace shows it without reload
