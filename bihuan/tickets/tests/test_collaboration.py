"""Collaboration tasks (协作任务): the ticket waits for the department while a task is open,
the department answers it, the ticket's owner is told and stays the customer's contact."""

from __future__ import annotations

import pytest

from bihuan.core.errors import Conflict, PermissionDenied, ValidationFailed
from bihuan.core.models import Event, Notification
from bihuan.testing.factories import make_ticket
from bihuan.tickets import collaboration, services
from bihuan.tickets.choices import TaskState, TicketStatus
from bihuan.tickets.models import CollaborationTask, Ticket
from bihuan.tickets.permissions import visible_tickets
from conftest import Org
from tests.security.state import db_state

pytestmark = pytest.mark.django_db


def owned(org: Org) -> Ticket:
    ticket = make_ticket(team=org.presales)
    services.reply_to_customer(ticket, body="您好，我们先查一下。", actor=org.agent)
    ticket.refresh_from_db()
    return ticket


def ask_tech(org: Org, ticket: Ticket) -> CollaborationTask:
    return collaboration.open_task(
        ticket,
        department=org.tech,
        description="请查一下支付回调为什么没到",
        actor=org.agent,
        assignee=org.tech_member,
    )


def told(verb: str) -> list[str]:
    return sorted(
        Notification.objects.filter(event__verb=verb).values_list("recipient__username", flat=True)
    )


def test_opening_a_task_shares_the_ticket_and_makes_it_wait_for_collaboration(org: Org) -> None:
    ticket = owned(org)

    task = ask_tech(org, ticket)

    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.PENDING_COLLABORATION
    assert list(ticket.shared_departments.values_list("pk", flat=True)) == [org.tech.pk]
    assert (task.state, task.assignee_id, task.department_id) == (
        TaskState.OPEN,
        org.tech_member.pk,
        org.tech.pk,
    )
    verbs = list(
        Event.objects.filter(ticket_id=ticket.pk).order_by("id").values_list("verb", flat=True)
    )
    assert verbs[-3:] == ["ticket.updated", "ticket.task_opened", "ticket.status_changed"]
    assert told("ticket.task_opened") == ["wangqiang"]
    # The department's member now sees the ticket (shared with the department).
    assert visible_tickets(org.tech_member).filter(pk=ticket.pk).exists()


def test_a_task_without_an_owner_notifies_the_department_head(org: Org) -> None:
    collaboration.open_task(owned(org), department=org.tech, description="查日志", actor=org.agent)

    assert told("ticket.task_opened") == ["chenjie"]


def test_answering_the_last_task_puts_the_ticket_back_in_progress_and_tells_the_owner(
    org: Org,
) -> None:
    ticket = owned(org)
    first = ask_tech(org, ticket)
    second = collaboration.open_task(
        ticket, department=org.tech, description="确认退款通道", actor=org.agent
    )

    collaboration.answer_task(first, answer="回调地址配置错误，已修复", actor=org.tech_member)
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.PENDING_COLLABORATION
    collaboration.cancel_task(second, reason="客户已自行处理", actor=org.agent)

    ticket.refresh_from_db()
    first.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN
    assert (first.state, first.answer, first.answered_by_id) == (
        TaskState.ANSWERED,
        "回调地址配置错误，已修复",
        org.tech_member.pk,
    )
    assert told("ticket.task_answered") == ["zhangwei"]
    last = Event.objects.filter(ticket_id=ticket.pk, verb="ticket.status_changed").latest("id")
    assert (last.data["to"], last.data["reason"]) == ("open", "tasks_settled")


def test_a_ticket_with_an_open_task_can_neither_change_status_nor_be_solved(org: Org) -> None:
    ticket = owned(org)
    ask_tech(org, ticket)
    before = db_state()

    for target in (TicketStatus.OPEN, TicketStatus.PENDING_CUSTOMER, TicketStatus.SOLVED):
        with pytest.raises(Conflict) as refused:
            services.change_status(ticket, status=target, actor=org.agent)
        assert refused.value.code == "tasks_open"

    assert db_state() == before


def test_only_the_department_answers_its_task(org: Org) -> None:
    task = ask_tech(org, owned(org))
    before = db_state()

    with pytest.raises(PermissionDenied):
        collaboration.answer_task(task, answer="我来答", actor=org.other_agent)

    assert db_state() == before
    task.refresh_from_db()
    assert task.state == TaskState.OPEN


@pytest.mark.parametrize(
    ("field", "value"),
    [("description", ""), ("description", "   "), ("description", "x" * 5001)],
)
def test_a_task_needs_a_description(org: Org, field: str, value: str) -> None:
    ticket = owned(org)
    before = db_state()

    with pytest.raises(ValidationFailed):
        collaboration.open_task(ticket, department=org.tech, description=value, actor=org.agent)

    assert db_state() == before


def test_a_task_owner_must_belong_to_the_department(org: Org) -> None:
    ticket = owned(org)
    before = db_state()

    with pytest.raises(ValidationFailed) as refused:
        collaboration.open_task(
            ticket, department=org.tech, description="查", actor=org.agent, assignee=org.agent
        )

    assert refused.value.code == "invalid_assignee"
    assert db_state() == before


def test_department_members_may_not_open_tasks_and_a_solved_ticket_refuses_one(org: Org) -> None:
    ticket = owned(org)
    with pytest.raises(PermissionDenied):
        collaboration.open_task(
            ticket, department=org.service, description="查", actor=org.tech_member
        )
    services.change_status(ticket, status=TicketStatus.SOLVED, actor=org.agent)

    with pytest.raises(Conflict) as refused:
        ask_tech(org, ticket)

    assert refused.value.code == "ticket_solved"
    assert not CollaborationTask.objects.exists()


def test_an_answered_task_cannot_be_answered_or_cancelled_again(org: Org) -> None:
    task = ask_tech(org, owned(org))
    collaboration.answer_task(task, answer="已查明", actor=org.tech_head)

    with pytest.raises(Conflict):
        collaboration.answer_task(task, answer="再答", actor=org.tech_member)
    with pytest.raises(Conflict):
        collaboration.cancel_task(task, reason="不要了", actor=org.agent)

    task.refresh_from_db()
    assert (task.answer, task.answered_by_id) == ("已查明", org.tech_head.pk)


def test_a_department_member_takes_a_task(org: Org) -> None:
    task = collaboration.open_task(
        owned(org), department=org.tech, description="查日志", actor=org.agent
    )

    collaboration.assign_task(task, assignee=org.tech_member, actor=org.tech_member)

    task.refresh_from_db()
    assert task.assignee_id == org.tech_member.pk
    assert told("ticket.task_assigned") == []  # nobody is told of taking a task oneself
