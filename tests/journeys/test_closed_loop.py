"""The closed loop (闭环), end to end through the API and the ticket page: a complaint arrives,
is triaged and owned, answered within its clock, a task goes to 技术部 and is answered within
24 h, the customer gets a progress update, the solution is confirmed, the call-back is done,
and the ticket closes — with the complaint playbook walked from 受理 to 复盘 on the way.

Time is frozen and moved with time-machine; reactions run after each commit and due work is
run by the engine as a worker would (``Runner``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
import time_machine
from django.test import Client

from bihuan.accounts.services import configure_queue, set_availability
from bihuan.automation import services as automation
from bihuan.core.models import Event
from bihuan.core.runner import Runner
from bihuan.sla.defaults import install_default_policies
from bihuan.tickets.models import Ticket
from conftest import Org

pytestmark = pytest.mark.django_db(transaction=True)


class Clock:
    def __init__(self) -> None:
        self.traveller: Any = None

    def at(self, text: str) -> None:
        """Move to ``text`` and run whatever became due there."""
        if self.traveller is not None:
            self.traveller.stop()
        self.traveller = time_machine.travel(datetime.fromisoformat(text), tick=False)
        self.traveller.start()
        Runner("journey", raise_errors=True).run_until_idle()


@pytest.fixture
def clock() -> Iterator[Clock]:
    moving = Clock()
    yield moving
    if moving.traveller is not None:
        moving.traveller.stop()


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def verbs(number: int) -> list[str]:
    return list(
        Event.objects.filter(ticket_id=number).order_by("id").values_list("verb", flat=True)
    )


def test_a_complaint_closes_its_loop(org: Org, clock: Clock) -> None:
    # Given: the seeded SLA policies, an online complaints agent, a round-robin queue and
    # one automation rule for complaints.
    clock.at("2026-03-02T10:00+08:00")  # a Monday, inside business hours
    install_default_policies()
    set_availability(org.other_agent, availability="online", actor=org.other_agent)
    configure_queue(
        org.complaints,
        assignment_strategy="round_robin",
        offline_release_minutes=0,
        actor=org.admin,
    )
    automation.save_rule(
        automation.RuleInput(
            name="投诉加急",
            trigger="ticket.created",
            conditions={"kind": "complaint"},
            actions=[{"type": "set_priority", "value": 3}, {"type": "add_tag", "value": "投诉"}],
        ),
        actor=org.admin,
    )
    lina, tech, supervisor = org.client("lina"), org.client("wangqiang"), org.client("supervisor")

    # 1. The complaint arrives (the app channel) and is triaged and owned.
    created = ok(
        supervisor.post(
            "/api/v1/tickets",
            json={
                "subject": "App 付款成功但订单显示未支付",
                "body": "我昨天在 App 付了 299 元，订单一直显示未支付，客服电话打不通，非常不满！",
                "channel": "api",
                "type": "complaint",
                "customer": {"name": "赵敏", "phone": "13912345678"},
                "team_id": org.complaints.pk,
            },
        ),
        201,
    )
    number = created["number"]
    ticket = Ticket.objects.get(pk=number)
    assert ticket.owner_id == org.other_agent.pk  # the queue's round robin
    assert ticket.priority == 3  # the automation rule, named in its event
    assert list(ticket.tags.values_list("name", flat=True)) == ["投诉"]
    playbook = ok(lina.get(f"/api/v1/tickets/{number}/complaint"))
    assert playbook["stage"] == "acceptance"
    assert playbook["steps"][0]["owner_id"] == org.other_agent.pk

    # 2. Answered within its clock (complaints: first response within 1 hour).
    clock.at("2026-03-02T10:30+08:00")
    ok(
        lina.post(
            f"/api/v1/tickets/{number}/messages",
            json={"kind": "reply", "body": "赵女士您好，已收到，我来跟进。"},
        ),
        201,
    )
    targets = {t["metric"]: t for t in ok(lina.get(f"/api/v1/tickets/{number}/sla"))}
    assert targets["first_response"]["state"] == "met"
    ok(lina.post(f"/api/v1/tickets/{number}/complaint/stages", json={"stage": "acceptance"}))

    # 3. A task goes to 技术部 and is answered within 24 hours.
    task = ok(
        lina.post(
            f"/api/v1/tickets/{number}/tasks",
            json={"department_id": org.tech.pk, "description": "查支付回调为何没有更新订单状态"},
        ),
        201,
    )
    assert Ticket.objects.get(pk=number).status == "pending_collaboration"
    clock.at("2026-03-02T14:00+08:00")
    answered = ok(
        tech.post(
            f"/api/v1/tickets/{number}/tasks/{task['id']}/answer",
            json={"answer": "支付回调超时，已补单，订单状态已更新。"},
        )
    )
    assert answered["state"] == "answered"
    assert answered["due_at"] is not None
    assert answered["overdue_at"] is None
    assert datetime.fromisoformat(answered["answered_at"]) <= datetime.fromisoformat(
        answered["due_at"]
    )

    # 4. Diagnosis (the customer's history answers "has it happened before") and the plan.
    diagnosed = ok(
        lina.post(
            f"/api/v1/tickets/{number}/complaint/stages",
            json={
                "stage": "diagnosis",
                "what_where": "App 支付后回调超时，订单状态未更新",
                "expectation": "订单生效，并对耽误的时间有个说法",
            },
        )
    )
    assert diagnosed["has_happened_before"] is False
    ok(
        lina.post(
            f"/api/v1/tickets/{number}/complaint/stages",
            json={"stage": "plan", "plan_kind": "compensation", "plan_options": "补单并赠 20 元券"},
        )
    )

    # 5. The customer gets a progress update; the execution is done.
    clock.at("2026-03-02T15:00+08:00")
    ok(
        lina.post(
            f"/api/v1/tickets/{number}/complaint/progress",
            json={"body": "您好，订单已补好，20 元券今天到账。"},
        )
    )
    ok(
        lina.post(
            f"/api/v1/tickets/{number}/complaint/stages",
            json={"stage": "execution", "execution_note": "已补单、已发券"},
        )
    )

    # 6. The solution is confirmed by the customer and the ticket is solved.
    ok(
        lina.post(
            f"/api/v1/tickets/{number}/messages",
            json={"kind": "customer", "body": "看到了，订单好了，谢谢。"},
        ),
        201,
    )
    ok(
        lina.patch(
            f"/api/v1/tickets/{number}",
            json={
                "solution": "补单并赠 20 元券",
                "need_statement": "订单生效并得到补偿",
                "need_confirmed": True,
                "status": "solved",
            },
        )
    )
    assert Ticket.objects.get(pk=number).status == "solved"

    # 7. The call-back within 24 hours: reached and satisfied.
    clock.at("2026-03-03T10:00+08:00")
    (call_back,) = ok(lina.get(f"/api/v1/tickets/{number}/call-backs"))["items"]
    assert call_back["outcome"] == ""
    ok(
        lina.post(
            f"/api/v1/tickets/{number}/call-backs/{call_back['id']}",
            json={"outcome": "satisfied", "note": "客户表示满意"},
        )
    )

    # 8. 复盘 records the lesson, and the ticket closes (已闭环).
    reviewed = ok(
        lina.post(
            f"/api/v1/tickets/{number}/complaint/stages",
            json={"stage": "review", "lesson": "支付回调超时需自动重试并告警"},
        )
    )
    assert reviewed["stage"] == "done"
    closed = ok(lina.post(f"/api/v1/tickets/{number}/close", json={}))

    assert closed["status"] == "closed"
    ticket = Ticket.objects.get(pk=number)
    assert ticket.closed_at is not None
    history = verbs(number)
    for verb in (
        "ticket.created",
        "automation.rule_applied",
        "automation.complaint_started",
        "ticket.task_opened",
        "ticket.task_answered",
        "automation.complaint_progress_sent",
        "ticket.call_back_recorded",
    ):
        assert verb in history, verb
    assert history.count("automation.complaint_stage_completed") == 5
    assert "sla.breached" not in history
    assert "automation.complaint_stage_overdue" not in history
    assert "automation.complaint_progress_missing" not in history
    page = Client()
    page.force_login(org.other_agent)
    html = page.get(f"/tickets/{number}/").content.decode()
    assert 'data-testid="complaint-panel" data-stage="done"' in html
