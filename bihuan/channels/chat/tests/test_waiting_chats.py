"""Waiting chats: a chat nobody had room for goes, oldest first, to the agent whose room
frees (a chat solved, back online, a raised limit), never over anyone's limit, once even when
two chats are solved at the same moment."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bihuan.accounts.choices import Availability, Role
from bihuan.accounts.models import User
from bihuan.accounts.services import set_availability
from bihuan.channels.chat import queue, services
from bihuan.channels.chat.models import ChatWidget
from bihuan.core.models import Event
from bihuan.core.runner import run_inline
from bihuan.testing.factories import make_department, make_team, make_user
from bihuan.tickets import services as ticket_services
from bihuan.tickets.choices import OPEN_STATUSES, Channel, TicketStatus
from bihuan.tickets.models import Ticket


@pytest.fixture(autouse=True)
def _fresh_rate_counters() -> None:
    cache.clear()


@pytest.fixture
def agents() -> list[User]:
    department = make_department("客服部")
    team = make_team(department, "在线客服组")
    return [
        make_user(Role.AGENT, username=name, department=department, teams=[team],
                  availability=Availability.ONLINE)
        for name in ("lina", "zhaolei")
    ]  # fmt: skip


@pytest.fixture
def widget(agents: list[User]) -> ChatWidget:
    return services.create_widget(
        services.WidgetFields(
            name="官网客服",
            allowed_origins="https://shop.example.cn",
            team=agents[0].teams.get(),
            max_chats_per_agent=1,
        ),
        actor=make_user(Role.ADMIN, username="admin"),
    )


def _write(widget: ChatWidget, visitor: str, body: str = "你好") -> services.Received:
    return services.receive_visitor_message(widget, visitor_key=visitor, client_id="c-1", body=body)


def _owner(received: services.Received) -> int | None:
    return Ticket.objects.values_list("owner_id", flat=True).get(pk=received.ticket_id)


def _solve(received: services.Received, agent: User) -> None:
    ticket = Ticket.objects.get(pk=received.ticket_id)
    ticket_services.change_status(ticket, status=TicketStatus.SOLVED, actor=agent)


def _open_chats(agent: User) -> int:
    return Ticket.objects.filter(
        owner=agent, status__in=OPEN_STATUSES, channel=Channel.CHAT
    ).count()


def _chat_assignments(ticket_id: int) -> int:
    return Event.objects.filter(
        ticket_id=ticket_id, verb="ticket.assigned", data__reason="chat"
    ).count()


@pytest.mark.django_db
def test_waiting_chats_go_oldest_first_to_the_agent_whose_chat_is_solved(
    widget: ChatWidget, agents: list[User]
) -> None:
    lina, zhaolei = agents
    first, second = _write(widget, "v1"), _write(widget, "v2")
    third, fourth = _write(widget, "v3"), _write(widget, "v4")  # both agents are at their limit

    _solve(first, lina)
    run_inline()  # the reactions of the events so far, as after their commit

    assert [_owner(r) for r in (first, second)] == [lina.pk, zhaolei.pk]
    assert (third.queue_position, fourth.queue_position) == (1, 2)
    assert _owner(third) == lina.pk  # the oldest waiting chat, to the agent with room
    assert _owner(fourth) is None
    assert services.waiting_position(widget, "v4") == 1  # moved up
    assert _open_chats(lina) == 1
    assert _chat_assignments(third.ticket_id) == 1
    assert Event.objects.filter(verb="chat.queued", ticket_id=third.ticket_id).count() == 1


@pytest.mark.django_db
def test_an_agent_back_online_or_a_raised_widget_limit_takes_the_waiting_chats(
    widget: ChatWidget, agents: list[User]
) -> None:
    lina, zhaolei = agents
    set_availability(zhaolei, availability=Availability.OFFLINE, actor=zhaolei)
    first, second, third = _write(widget, "v1"), _write(widget, "v2"), _write(widget, "v3")
    waiting_before = (second.queue_position, third.queue_position)

    run_inline()  # the queue as it stands: nobody has room
    set_availability(zhaolei, availability=Availability.ONLINE, actor=zhaolei)
    run_inline()
    back_online = (_owner(second), _owner(third))
    services.update_widget(
        widget,
        services.WidgetFields(name="官网客服", allowed_origins="https://shop.example.cn",
                              team=widget.team, max_chats_per_agent=2),
        actor=User.objects.get(username="admin"),
    )  # fmt: skip
    run_inline()

    assert _owner(first) == lina.pk
    assert waiting_before == (1, 2)
    assert back_online == (zhaolei.pk, None)  # one chat each: the limit is still 1
    # Both agents have one chat; the one given a chat longest ago takes the next.
    assert _owner(third) == lina.pk
    assert (_open_chats(lina), _open_chats(zhaolei)) == (2, 1)


@pytest.mark.django_db
def test_an_offline_message_does_not_wait_for_an_agent(
    widget: ChatWidget, agents: list[User]
) -> None:
    User.objects.filter(pk__in=[a.pk for a in agents]).update(availability=Availability.OFFLINE)
    offline = _write(widget, "v1", "有人吗")
    User.objects.filter(pk__in=[a.pk for a in agents]).update(availability=Availability.ONLINE)

    placed = queue.assign_waiting_chats()

    assert offline.queue_position is None
    assert placed == []
    assert _owner(offline) is None  # an inbox ticket, answered by email or SMS


@pytest.mark.django_db(transaction=True)
def test_two_chats_solved_at_once_place_each_waiting_chat_once_within_the_limits(
    widget: ChatWidget, agents: list[User], settings: Any
) -> None:
    settings.BIHUAN_REACTIONS_INLINE = False  # the reactions run below, in parallel workers
    lina, zhaolei = agents
    first, second = _write(widget, "v1"), _write(widget, "v2")
    waiting = [_write(widget, f"v{n}") for n in (3, 4, 5)]

    def at_once(jobs: list[Callable[[], object]]) -> None:
        start = threading.Barrier(len(jobs))

        def run(job: Callable[[], object]) -> None:
            try:
                start.wait(timeout=10)
                job()
            finally:
                connection.close()

        with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
            for future in [pool.submit(run, job) for job in jobs]:
                future.result(timeout=60)

    at_once([lambda: _solve(first, lina), lambda: _solve(second, zhaolei)])
    # Two workers handle the two events' reactions at the same moment (and two more runs).
    at_once([queue.assign_waiting_chats for _ in range(4)])

    owners = [_owner(r) for r in waiting]
    assert set(owners[:2]) == {lina.pk, zhaolei.pk}  # the two oldest, one each
    assert owners[2] is None
    assert (_open_chats(lina), _open_chats(zhaolei)) == (1, 1)
    assert [_chat_assignments(r.ticket_id) for r in waiting] == [1, 1, 0]


# --- What one message costs --------------------------------------------------------------

TRANSACTION_CONTROL = ("SAVEPOINT", "RELEASE SAVEPOINT", "BEGIN", "COMMIT")


def _statements(widget: ChatWidget, client_id: str, body: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        services.receive_visitor_message(widget, visitor_key="v1", client_id=client_id, body=body)
    sql = [q["sql"] for q in captured.captured_queries]
    return [s for s in sql if not s.startswith(TRANSACTION_CONTROL)]


@pytest.mark.django_db
def test_a_message_on_an_open_chat_costs_eight_statements_and_a_resend_two(
    widget: ChatWidget, agents: list[User]
) -> None:
    _write(widget, "v1")  # opens the chat

    second = _statements(widget, "c-2", "我的订单还没发货")
    tenth = [_statements(widget, f"c-{n}", "订单号 2024112233" * n) for n in range(3, 11)][-1]
    resent = _statements(widget, "c-2", "我的订单还没发货")

    # The visitor locked with its ticket and the resend check; the ticket services' lock,
    # message, counter, event, reactions and ticket update; the chat message row (the visit
    # time is written at most once a minute).
    assert len(second) == len(tenth) == 8
    assert len(resent) == 2  # the lock finds the stored message; it is read and answered
