"""Collaboration tasks, call-backs, closing, the delay notice and the SLA fields through the
API, with a token."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from bihuan.accounts.models import User
from bihuan.core.models import Event
from bihuan.testing.factories import make_ticket
from bihuan.tickets import closing, collaboration, services
from bihuan.tickets.choices import TaskState, TicketStatus
from bihuan.tickets.models import CallBack, CollaborationTask, Ticket
from conftest import Org
from tests.security.state import db_state

# The API runs in the ASGI client's own thread and connection: these tests commit.
pytestmark = pytest.mark.django_db(transaction=True)


def signed_in(user: User) -> Client:
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(user)
    return client


def owned(org: Org) -> Ticket:
    ticket = make_ticket(team=org.presales)
    services.reply_to_customer(ticket, body="您好，我们先查一下。", actor=org.agent)
    ticket.refresh_from_db()
    return ticket


# --- API -----------------------------------------------------------------------------------


def test_the_api_opens_a_task_and_the_department_answers_it(org: Org) -> None:
    ticket = owned(org)

    opened = org.client("zhangwei").post(
        f"/api/v1/tickets/{ticket.pk}/tasks",
        json={
            "department_id": org.tech.pk,
            "description": "请查明支付失败的原因",
            "assignee_id": org.tech_member.pk,
        },
    )
    assert opened.status_code == 201, opened.text
    task = opened.json()
    queue = org.client("wangqiang").get("/api/v1/tasks")
    answered = org.client("wangqiang").post(
        f"/api/v1/tickets/{ticket.pk}/tasks/{task['id']}/answer",
        json={"answer": "第三方支付通道故障，已恢复"},
    )
    detail = org.client("zhangwei").get(f"/api/v1/tickets/{ticket.pk}").json()

    assert (task["state"], task["department"]["id"], task["assignee"]["username"]) == (
        "open",
        org.tech.pk,
        "wangqiang",
    )
    assert [t["id"] for t in queue.json()["items"]] == [task["id"]]
    assert answered.status_code == 200
    assert (answered.json()["state"], answered.json()["answer"]) == (
        "answered",
        "第三方支付通道故障，已恢复",
    )
    assert detail["status"] == "open"


def test_the_ticket_api_carries_the_sla_state_and_next_due_instant(org: Org) -> None:
    ticket = owned(org)
    due = timezone.now() + timedelta(hours=2)
    services.set_sla_status(ticket.pk, state="warning", due_at=due)

    body = org.client("zhangwei").get(f"/api/v1/tickets/{ticket.pk}").json()
    listed = org.client("zhangwei").get("/api/v1/tickets").json()["items"]

    assert body["sla_state"] == "warning"
    assert body["sla_due_at"] is not None
    assert abs((datetime.fromisoformat(body["sla_due_at"]) - due).total_seconds()) < 1
    assert [(t["number"], t["sla_state"]) for t in listed] == [(ticket.pk, "warning")]


def test_the_api_refuses_an_unknown_department_and_changes_nothing(org: Org) -> None:
    ticket = owned(org)
    before = db_state()

    response = org.client("zhangwei").post(
        f"/api/v1/tickets/{ticket.pk}/tasks",
        json={"department_id": 999_999, "description": "查"},
    )

    assert response.status_code == 422
    assert response.json()["code"] == "unknown_reference"
    assert db_state() == before


def test_a_department_member_may_not_open_or_cancel_tasks_by_api(org: Org) -> None:
    ticket = owned(org)
    task = collaboration.open_task(
        ticket, department=org.tech, description="查原因", actor=org.agent
    )
    before = db_state()

    opened = org.client("wangqiang").post(
        f"/api/v1/tickets/{ticket.pk}/tasks",
        json={"department_id": org.service.pk, "description": "帮忙"},
    )
    cancelled = org.client("wangqiang").post(
        f"/api/v1/tickets/{ticket.pk}/tasks/{task.pk}/cancel", json={"reason": "不做了"}
    )

    assert (opened.status_code, cancelled.status_code) == (403, 403)
    assert db_state() == before


def test_a_task_of_a_ticket_out_of_scope_is_not_found(org: Org) -> None:
    ticket = make_ticket(team=org.complaints)  # lina's queue, not zhangwei's
    task = collaboration.open_task(
        ticket, department=org.tech, description="查原因", actor=org.other_agent
    )

    response = org.client("zhangwei").post(
        f"/api/v1/tickets/{ticket.pk}/tasks/{task.pk}/cancel", json={"reason": "不做了"}
    )

    assert response.status_code == 404
    assert CollaborationTask.objects.get(pk=task.pk).state == TaskState.OPEN


def test_the_api_closes_only_with_a_call_back_or_a_reason(org: Org) -> None:
    ticket = owned(org)
    services.change_status(ticket, status=TicketStatus.SOLVED, actor=org.agent)
    # The consumer may have scheduled it already (a runner woken by the commit).
    call_back = closing.schedule_call_back(ticket.pk) or CallBack.objects.get(ticket=ticket)
    client = org.client("zhangwei")

    refused = client.post(f"/api/v1/tickets/{ticket.pk}/close", json={})
    listed = client.get(f"/api/v1/tickets/{ticket.pk}/call-backs").json()["items"]
    recorded = client.post(
        f"/api/v1/tickets/{ticket.pk}/call-backs/{call_back.pk}",
        json={"outcome": "satisfied", "note": "客户满意"},
    )
    closed = client.post(f"/api/v1/tickets/{ticket.pk}/close", json={})

    assert (refused.status_code, refused.json()["code"]) == (409, "call_back_needed")
    assert [c["id"] for c in listed] == [call_back.pk]
    assert recorded.json()["outcome"] == "satisfied"
    assert (closed.status_code, closed.json()["status"]) == (200, "closed")


def test_the_api_moves_a_commitment_and_the_customer_is_told(org: Org) -> None:
    ticket = owned(org)
    commitment = services.add_commitment(
        ticket,
        description="退款到账",
        due_at=timezone.now() + timedelta(days=1),
        actor=org.agent,
    )
    new_due = (timezone.now() + timedelta(days=3)).replace(microsecond=0)

    response = org.client("zhangwei").post(
        f"/api/v1/tickets/{ticket.pk}/commitments/{commitment.pk}/move",
        json={"due_at": new_due.isoformat(), "reason": "银行处理需要更多时间"},
    )

    assert response.status_code == 200, response.text
    assert Event.objects.filter(verb="ticket.commitment_moved", ticket_id=ticket.pk).count() == 1
    assert ticket.messages.filter(kind="reply", body__contains="银行处理需要更多时间").count() == 1


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/tickets/{number}/tasks", {"department_id": 0, "description": "帮忙查"}),
        ("/api/v1/tickets/{number}/tasks/{task}/cancel", {"reason": "不做了"}),
        ("/api/v1/tickets/{number}/call-backs/{call_back}", {"outcome": "satisfied"}),
        ("/api/v1/tickets/{number}/close", {"reason": "客户确认"}),
        (
            "/api/v1/tickets/{number}/commitments/{commitment}/move",
            {"due_at": "2030-12-10T10:00:00+08:00", "reason": "延迟"},
        ),
    ],
)
def test_a_notes_only_role_is_refused_every_loop_write_and_nothing_changes(
    org: Org, path: str, body: dict[str, object]
) -> None:
    ticket = owned(org)
    commitment = services.add_commitment(
        ticket, description="回电", due_at=timezone.now() + timedelta(days=1), actor=org.agent
    )
    services.change_status(ticket, status=TicketStatus.SOLVED, actor=org.agent)
    call_back = closing.schedule_call_back(ticket.pk) or CallBack.objects.get(ticket=ticket)
    services.change_status(ticket, status=TicketStatus.OPEN, actor=org.agent)
    task = collaboration.open_task(ticket, department=org.tech, description="查", actor=org.agent)
    if body.get("department_id") == 0:
        body = {**body, "department_id": org.service.pk}
    before = db_state()
    response = org.client("wangqiang").post(
        path.format(
            number=ticket.pk, task=task.pk, call_back=call_back.pk, commitment=commitment.pk
        ),
        json=body,
    )

    assert response.status_code == 403, response.text
    assert response.json()["code"] == "read_only_role"
    assert db_state() == before


def test_the_api_merges_a_duplicate_and_links_a_related_ticket(org: Org) -> None:
    survivor = make_ticket(team=org.presales, phone="13800138000")
    duplicate = make_ticket(team=org.presales, phone="13800138000", body="重复来问")
    related = make_ticket(team=org.presales, phone="13900139000", name="李雷")
    client = org.client("zhangwei")

    merged = client.post(f"/api/v1/tickets/{duplicate.pk}/merge", json={"into": survivor.pk})
    linked = client.post(f"/api/v1/tickets/{survivor.pk}/links", json={"other": related.pk})
    gone = client.get(f"/api/v1/tickets/{duplicate.pk}").json()

    assert merged.status_code == 200, merged.text
    assert (merged.json()["number"], merged.json()["message_count"]) == (survivor.pk, 2)
    assert (linked.status_code, linked.json()["linked"]) == (201, [related.pk])
    assert (gone["status"], gone["merged_into"]) == ("closed", survivor.pk)
