"""The agent workspace pages: query budgets, scope, status rules, audit and forms."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from bihuan.accounts.choices import Role
from bihuan.accounts.models import Department, Team, User
from bihuan.core.models import Event, Notification
from bihuan.customers.services import ContactDetails
from bihuan.tickets import services
from bihuan.tickets.models import Category, Ticket

PASSWORD = "a-long-test-password"

pytestmark = pytest.mark.django_db


@dataclass
class Desk:
    department: Department
    other_department: Department
    team: Team
    agent: User
    colleague: User
    outsider: User
    technician: User
    category: Category


@pytest.fixture
def desk() -> Desk:
    department = Department.objects.create(name="客服部")
    other_department = Department.objects.create(name="技术部")
    team = Team.objects.create(name="售后处理组", department=department)

    def user(username: str, role: str, dept: Department, display_name: str) -> User:
        return User.objects.create_user(
            username,
            password=PASSWORD,
            role=role,
            department=dept,
            display_name=display_name,
        )

    agent = user("lina", Role.AGENT, department, "李娜")
    colleague = user("wangqiang", Role.AGENT, department, "王强")
    outsider = user("zhaolei", Role.AGENT, other_department, "赵磊")
    technician = user("chenjie", Role.DEPARTMENT_MEMBER, other_department, "陈杰")
    team.members.add(agent, colleague)
    parent = Category.objects.create(name="退款/退货")
    category = Category.objects.create(name="仅退款", parent=parent)
    return Desk(
        department=department,
        other_department=other_department,
        team=team,
        agent=agent,
        colleague=colleague,
        outsider=outsider,
        technician=technician,
        category=category,
    )


@pytest.fixture
def open_ticket(desk: Desk) -> Callable[..., Ticket]:
    counter = iter(range(1, 10_000))

    def make(subject: str = "订单已付款但一直没有发货", **overrides: Any) -> Ticket:
        n = next(counter)
        new = services.NewTicket(
            subject=subject,
            body=f"您好，订单 2024{n:04d} 还没有发货，请尽快处理。",
            channel="phone",
            kind="complaint",
            contact=ContactDetails(
                name=f"客户{n}", phone=f"138{n:08d}", email=f"customer{n}@example.com"
            ),
            team=desk.team,
            category=desk.category,
            tags=["加急", f"批次{n % 3}"],
        )
        for key, value in overrides.items():
            setattr(new, key, value)
        return services.create_ticket(new, actor=None)

    return make


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


# --- Query budgets --------------------------------------------------------------------------


def test_inbox_issues_the_same_number_of_queries_for_one_and_thirty_tickets(
    desk: Desk, open_ticket: Callable[..., Ticket], django_assert_max_num_queries: Any
) -> None:
    client = signed_in(desk.agent)
    first = open_ticket()
    services.reply_to_customer(first, body="已收到", actor=desk.agent)
    url = reverse("tickets:inbox") + "?view=all"
    with_one = count_queries(client, url)

    for n in range(29):
        ticket = open_ticket(subject=f"第 {n} 个问题")
        if n % 2:
            services.reply_to_customer(ticket, body="已收到", actor=desk.colleague)

    with django_assert_max_num_queries(with_one):
        response = client.get(url)
    assert response.status_code == 200
    assert len(response.context["rows"]) == 25


def test_inbox_htmx_swap_renders_only_the_list_with_masked_contacts(
    desk: Desk, open_ticket: Callable[..., Ticket]
) -> None:
    open_ticket()

    response = signed_in(desk.agent).get(
        reverse("tickets:inbox") + "?view=all&priority=2",
        headers={"HX-Request": "true", "HX-Target": "ticket-list"},
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert body.startswith('<div id="ticket-list"')
    assert "138****0001" in body
    assert "13800000001" not in body
    assert "customer1@example.com" not in body


def test_ticket_page_issues_the_same_number_of_queries_for_two_and_forty_messages(
    desk: Desk, open_ticket: Callable[..., Ticket], django_assert_max_num_queries: Any
) -> None:
    client = signed_in(desk.agent)
    ticket = open_ticket()
    services.reply_to_customer(ticket, body="您好，正在核实。", actor=desk.agent)
    url = reverse("tickets:detail", kwargs={"number": ticket.pk})
    with_two = count_queries(client, url)

    for n in range(38):
        if n % 3 == 0:
            services.add_internal_note(ticket, body=f"@wangqiang 请看第 {n} 条", actor=desk.agent)
        elif n % 3 == 1:
            services.add_customer_message(ticket, body=f"还有问题 {n}")
        else:
            services.reply_to_customer(ticket, body=f"回复 {n}", actor=desk.colleague)
    services.change_status(ticket, status="pending_customer", actor=desk.agent)
    services.add_commitment(
        ticket, description="明天回电", due_at=timezone.now() + timedelta(days=1), actor=desk.agent
    )
    services.patch_ticket(
        ticket,
        services.changes_from_ids(
            {"priority": 4, "shared_department_ids": [desk.other_department.pk]}
        ),
        actor=desk.agent,
        need_statement="客户希望本周收到货",
        need_confirmed=True,
    )

    with django_assert_max_num_queries(with_two):
        response = client.get(url)
    assert response.status_code == 200
    assert Ticket.objects.get(pk=ticket.pk).message_count == 40


# --- Scope ----------------------------------------------------------------------------------


def test_agent_gets_404_for_a_ticket_outside_their_scope(
    desk: Desk, open_ticket: Callable[..., Ticket]
) -> None:
    ticket = open_ticket()
    client = signed_in(desk.outsider)
    events_before = Event.objects.count()

    page = client.get(reverse("tickets:detail", kwargs={"number": ticket.pk}))
    reply = client.post(reverse("tickets:reply", kwargs={"number": ticket.pk}), {"body": "你好"})
    export = client.get(reverse("tickets:export_record", kwargs={"number": ticket.pk}))

    assert page.status_code == 404
    assert reply.status_code == 404
    assert export.status_code == 404
    assert Ticket.objects.get(pk=ticket.pk).message_count == 1
    assert Event.objects.count() == events_before


def test_a_ticket_number_beyond_any_id_is_not_found(desk: Desk) -> None:
    response = signed_in(desk.agent).get("/tickets/99999999999999999999999/")

    assert response.status_code == 404


# --- Kanban ---------------------------------------------------------------------------------


def test_kanban_refuses_a_forbidden_transition_and_changes_nothing(
    desk: Desk, open_ticket: Callable[..., Ticket]
) -> None:
    ticket = open_ticket()
    events_before = list(Event.objects.filter(ticket_id=ticket.pk).values_list("id", flat=True))

    response = signed_in(desk.agent).post(
        reverse("tickets:kanban_move"),
        {"number": ticket.pk, "status": "closed"},
        headers={"Accept": "application/json"},
    )

    assert response.status_code == 409
    assert response.json()["code"] == "forbidden_transition"
    assert "已闭环" in response.json()["message"]
    assert Ticket.objects.get(pk=ticket.pk).status == "new"
    assert (
        list(Event.objects.filter(ticket_id=ticket.pk).values_list("id", flat=True))
        == events_before
    )


def test_kanban_move_changes_the_status_and_records_the_event(
    desk: Desk, open_ticket: Callable[..., Ticket]
) -> None:
    ticket = open_ticket()

    response = signed_in(desk.agent).post(
        reverse("tickets:kanban_move"),
        {"number": ticket.pk, "status": "pending_customer"},
        headers={"Accept": "application/json"},
    )

    assert response.status_code == 200
    assert response.json()["status"] == "pending_customer"
    assert Ticket.objects.get(pk=ticket.pk).status == "pending_customer"
    event = Event.objects.get(ticket_id=ticket.pk, verb="ticket.status_changed")
    assert event.actor_id == desk.agent.pk
    assert event.data["from"] == "new"
    assert event.data["to"] == "pending_customer"


def test_kanban_refuses_a_drag_to_pending_collaboration_without_an_open_task(
    desk: Desk, open_ticket: Callable[..., Ticket]
) -> None:
    ticket = open_ticket()
    events_before = list(Event.objects.filter(ticket_id=ticket.pk).values_list("id", flat=True))

    with translation.override("en"):
        response = signed_in(desk.agent).post(
            reverse("tickets:kanban_move"),
            {"number": ticket.pk, "status": "pending_collaboration"},
            headers={"Accept": "application/json", "Accept-Language": "en"},
        )

    assert response.status_code == 409
    assert response.json()["code"] == "no_open_task"
    assert "collaboration task" in response.json()["message"]
    assert Ticket.objects.get(pk=ticket.pk).status == "new"
    assert (
        list(Event.objects.filter(ticket_id=ticket.pk).values_list("id", flat=True))
        == events_before
    )


def test_department_member_cannot_move_cards(
    desk: Desk, open_ticket: Callable[..., Ticket]
) -> None:
    ticket = open_ticket()
    services.patch_ticket(
        ticket,
        services.changes_from_ids({"shared_department_ids": [desk.other_department.pk]}),
        actor=desk.agent,
    )

    response = signed_in(desk.technician).post(
        reverse("tickets:kanban_move"),
        {"number": ticket.pk, "status": "open"},
        headers={"Accept": "application/json"},
    )

    assert response.status_code == 403
    assert Ticket.objects.get(pk=ticket.pk).status == "new"


def test_kanban_columns_are_bounded_and_link_to_the_inbox(
    desk: Desk, open_ticket: Callable[..., Ticket]
) -> None:
    open_ticket()

    response = signed_in(desk.agent).get(reverse("tickets:kanban"))

    body = response.content.decode()
    assert response.status_code == 200
    assert [c.status for c in response.context["columns"]] == [
        "new",
        "open",
        "pending_customer",
        "pending_collaboration",
        "solved",
        "closed",
    ]
    assert "待处理" in body
    assert "/?view=all&amp;status=new" in body


# --- Ticket page forms ----------------------------------------------------------------------


def test_side_panel_changes_fields_through_one_patch(
    desk: Desk, open_ticket: Callable[..., Ticket]
) -> None:
    ticket = open_ticket()

    response = signed_in(desk.agent).post(
        reverse("tickets:update", kwargs={"number": ticket.pk}),
        {
            "status": "open",
            "priority": "4",
            "kind": "complaint",
            "category": str(desk.category.pk),
            "owner": str(desk.colleague.pk),
            "team": str(desk.team.pk),
            "department": str(desk.department.pk),
            "shared_departments": [str(desk.other_department.pk)],
            "tags": "加急，媒体曝光风险",
            "emotion": "angry",
        },
    )

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "open"
    assert ticket.priority == 4
    assert ticket.owner_id == desk.colleague.pk
    assert ticket.emotion == "angry"
    assert sorted(t.name for t in ticket.tags.all()) == ["加急", "媒体曝光风险"]
    assert [d.pk for d in ticket.shared_departments.all()] == [desk.other_department.pk]
    assert Notification.objects.filter(recipient=desk.colleague).count() == 1


def test_side_panel_refuses_a_department_member_as_owner_and_changes_nothing(
    desk: Desk, open_ticket: Callable[..., Ticket]
) -> None:
    ticket = open_ticket()
    events_before = Event.objects.filter(ticket_id=ticket.pk).count()
    client = signed_in(desk.agent)

    response = client.post(
        reverse("tickets:update", kwargs={"number": ticket.pk}),
        {
            "status": "open",
            "priority": "3",
            "kind": "complaint",
            "owner": str(desk.technician.pk),
        },
        follow=True,
    )

    assert response.status_code == 200
    assert any(m.level_tag == "error" for m in response.context["messages"])
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.owner_id) == ("new", 2, None)
    assert Event.objects.filter(ticket_id=ticket.pk).count() == events_before


def test_reply_note_with_mention_need_and_commitment(
    desk: Desk, open_ticket: Callable[..., Ticket]
) -> None:
    ticket = open_ticket()
    client = signed_in(desk.agent)
    kwargs = {"number": ticket.pk}

    client.post(reverse("tickets:reply", kwargs=kwargs), {"body": "您好，正在核实。"})
    client.post(reverse("tickets:note", kwargs=kwargs), {"body": "@wangqiang 请协助"})
    client.post(
        reverse("tickets:handling", kwargs=kwargs),
        {"need_statement": "客户希望本周收到货", "need_confirmed": "on", "solution": "加急发货"},
    )
    client.post(
        reverse("tickets:add_commitment", kwargs=kwargs),
        {"description": "明天 18:00 前回电", "due_at": "2030-01-02T18:00"},
    )

    ticket.refresh_from_db()
    assert ticket.status == "open"
    assert ticket.owner_id == desk.agent.pk
    assert ticket.need_statement == "客户希望本周收到货"
    assert ticket.is_need_confirmed is True
    assert ticket.solution == "加急发货"
    commitment = ticket.commitments.get()
    assert timezone.localtime(commitment.due_at).strftime("%Y-%m-%d %H:%M") == "2030-01-02 18:00"
    notification = Notification.objects.get(recipient=desk.colleague)
    assert notification.event.verb == "ticket.message_added"

    done = client.post(
        reverse("tickets:complete_commitment", kwargs={**kwargs, "commitment_id": commitment.pk})
    )
    page = client.get(reverse("tickets:detail", kwargs=kwargs))

    assert done.status_code == 302
    commitment.refresh_from_db()
    assert commitment.is_done
    body = page.content.decode()
    assert "bubble-note" in body
    assert "提及了 王强" in body


def test_export_record_is_a_csv_with_the_communication_record(
    desk: Desk, open_ticket: Callable[..., Ticket]
) -> None:
    ticket = open_ticket(subject="=HYPERLINK(1)")
    services.patch_ticket(
        ticket,
        services.TicketChanges(),
        actor=desk.agent,
        need_statement="客户希望本周收到货",
        need_confirmed=True,
        solution="加急发货",
    )

    response = signed_in(desk.agent).get(
        reverse("tickets:export_record", kwargs={"number": ticket.pk})
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header, row = rows
    record = dict(zip(header, row, strict=True))
    assert record["主题"] == "'=HYPERLINK(1)"
    assert record["联系方式"] == "13800000001; customer1@example.com"
    assert record["需求确认"] == "客户希望本周收到货"
    assert record["客户已确认需求"] == "是"
    assert record["处理方案"] == "加急发货"
    assert record["状态"] == "待处理"
    assert "客户1" in record["处理过程摘要"]
    assert Event.objects.filter(
        verb="customer.viewed", customer_id=ticket.customer_id, data__via="export"
    ).exists()


# --- Search ----------------------------------------------------------------------------------


def test_search_by_number_jumps_to_the_ticket_and_words_list_tickets(
    desk: Desk, open_ticket: Callable[..., Ticket]
) -> None:
    ticket = open_ticket(subject="申请退款，商品有质量问题")
    client = signed_in(desk.agent)

    by_number = client.get(reverse("tickets:search") + f"?q=%23{ticket.pk}")
    by_words = client.get(reverse("tickets:search") + "?q=退款")
    by_phone = client.get(reverse("tickets:search") + "?q=13800000001")

    assert by_number.status_code == 302
    assert by_number["Location"] == reverse("tickets:detail", kwargs={"number": ticket.pk})
    assert [row.ticket.pk for row in by_words.context["rows"]] == [ticket.pk]
    assert [c.pk for c, _contact in by_phone.context["customers"]] == [ticket.customer_id]


def test_a_forged_cursor_is_answered_with_an_error_fragment_for_htmx(desk: Desk) -> None:
    client = signed_in(desk.agent)

    swapped = client.get(
        reverse("tickets:inbox") + "?view=all&cursor=not-a-cursor",
        headers={"HX-Request": "true", "HX-Target": "ticket-list"},
    )
    page = client.get(reverse("tickets:inbox") + "?cursor=not-a-cursor")

    assert swapped.status_code == 422
    assert swapped["HX-Retarget"] == "#flash"
    assert "分页游标无效" in swapped.content.decode()
    assert page.status_code == 422
    assert "分页游标无效" in page.content.decode()
