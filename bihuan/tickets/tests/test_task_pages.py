"""Collaboration tasks, call-backs, closing and the delay notice through the pages, signed
in: the department's queue and the ticket page's cards."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from bihuan.accounts.models import User
from bihuan.testing.factories import make_ticket
from bihuan.tickets import closing, collaboration, services
from bihuan.tickets.choices import TaskState, TicketStatus
from bihuan.tickets.models import CallBack, CollaborationTask, Ticket
from conftest import Org
from tests.security.state import db_state

pytestmark = pytest.mark.django_db


def signed_in(user: User) -> Client:
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(user)
    return client


def owned(org: Org) -> Ticket:
    ticket = make_ticket(team=org.presales)
    services.reply_to_customer(ticket, body="您好，我们先查一下。", actor=org.agent)
    ticket.refresh_from_db()
    return ticket


# --- Pages ---------------------------------------------------------------------------------


def test_the_department_works_its_tasks_from_its_queue_page(org: Org) -> None:
    ticket = owned(org)
    task = collaboration.open_task(
        ticket, department=org.tech, description="查日志找原因", actor=org.agent
    )
    other = collaboration.open_task(
        make_ticket(team=org.presales),
        department=org.service,
        description="别的部门",
        actor=org.agent,
    )
    client = signed_in(org.tech_member)

    page = client.get(reverse("tickets:tasks"))
    taken = client.post(reverse("tickets:take_task", args=[ticket.pk, task.pk]), {"next": "queue"})
    answered = client.post(
        reverse("tickets:answer_task", args=[ticket.pk, task.pk]),
        {"answer": "日志显示超时，已调整", "next": "queue"},
    )

    assert page.status_code == 200
    assert [t.pk for t in page.context["tasks"]] == [task.pk]
    assert other.pk not in [t.pk for t in page.context["tasks"]]
    assert page.context["answerable"] == {task.pk}
    assert 'data-testid="task-row"' in page.content.decode()
    assert taken.status_code == answered.status_code == 302
    task.refresh_from_db()
    assert (task.state, task.assignee_id, task.answer) == (
        TaskState.ANSWERED,
        org.tech_member.pk,
        "日志显示超时，已调整",
    )


def test_the_ticket_page_opens_a_task_and_shows_its_progress(org: Org) -> None:
    ticket = owned(org)
    client = signed_in(org.agent)

    sent = client.post(
        reverse("tickets:open_task", args=[ticket.pk]),
        {"department": org.tech.pk, "assignee": "", "description": "技术部请查明原因"},
    )
    page = client.get(reverse("tickets:detail", args=[ticket.pk]))

    assert sent.status_code == 302
    task = CollaborationTask.objects.get(ticket=ticket)
    assert (task.department_id, task.assignee_id) == (org.tech.pk, None)
    body = page.content.decode()
    assert 'data-testid="task" data-state="open"' in body
    assert "技术部请查明原因" in body


def test_the_ticket_page_records_the_call_back_and_closes_with_a_reason(org: Org) -> None:
    ticket = owned(org)
    services.change_status(ticket, status=TicketStatus.SOLVED, actor=org.agent)
    call_back = closing.schedule_call_back(ticket.pk)
    assert call_back is not None
    client = signed_in(org.agent)

    page = client.get(reverse("tickets:detail", args=[ticket.pk]))
    retried = client.post(
        reverse("tickets:record_call_back", args=[ticket.pk, call_back.pk]),
        {"outcome": "not_reached", "note": "无人接听"},
    )
    closed = client.post(reverse("tickets:close", args=[ticket.pk]), {"reason": "客户短信回复满意"})

    assert 'data-testid="record-call-back"' in page.content.decode()
    assert retried.status_code == closed.status_code == 302
    assert list(CallBack.objects.filter(ticket=ticket).values_list("attempt", "outcome")) == [
        (1, "not_reached"),
        (2, ""),
    ]
    ticket.refresh_from_db()
    assert (ticket.status, ticket.close_reason) == (TicketStatus.CLOSED, "客户短信回复满意")


def test_a_refused_close_from_the_page_changes_nothing(org: Org) -> None:
    ticket = owned(org)
    services.change_status(ticket, status=TicketStatus.SOLVED, actor=org.agent)
    before = db_state()

    response = signed_in(org.agent).post(
        reverse("tickets:close", args=[ticket.pk]),
        {"reason": ""},
        headers={"Accept": "application/json"},
    )

    assert response.status_code == 409
    assert response.json()["code"] == "call_back_needed"
    assert db_state() == before


def test_a_supervisor_sees_every_departments_tasks_and_filters_by_one(org: Org) -> None:
    tech_task = collaboration.open_task(
        owned(org), department=org.tech, description="查日志", actor=org.agent
    )
    service_task = collaboration.open_task(
        owned(org), department=org.service, description="核对订单", actor=org.agent
    )
    client = signed_in(org.supervisor)

    every = client.get(reverse("tickets:tasks"))
    tech_only = client.get(reverse("tickets:tasks"), {"department": org.tech.pk})

    assert {t.pk for t in every.context["tasks"]} == {tech_task.pk, service_task.pk}
    assert [t.pk for t in tech_only.context["tasks"]] == [tech_task.pk]
    assert 'data-testid="task-filters"' in every.content.decode()
