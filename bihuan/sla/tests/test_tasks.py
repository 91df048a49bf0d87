"""Collaboration-task deadlines from the policy's task target, counted in its calendar, and
the escalation of an overdue task to the department's head — once, as due work."""

from __future__ import annotations

from typing import Any

import pytest

from bihuan.core.models import DueItem, Event, Notification, WorkState
from bihuan.sla.choices import Metric
from bihuan.sla.models import SlaPolicy, SlaTarget
from bihuan.sla.tests.conftest import Clock, at, open_ticket
from bihuan.tickets import collaboration, commitments
from bihuan.tickets import services as tickets
from bihuan.tickets.models import CollaborationTask, Ticket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("policies")]


def inquiry(org: Any, clock: Clock) -> Ticket:
    clock.travel("2026-03-06T16:00+08:00")  # a Friday afternoon
    ticket = open_ticket("inquiry", team=org.complaints)
    tickets.update_ticket(ticket, tickets.TicketChanges(owner=org.agent), actor=org.supervisor)
    return ticket


def ask_tech(org: Any, ticket: Ticket) -> CollaborationTask:
    return collaboration.open_task(
        ticket,
        department=org.tech,
        description="技术部请在24小时内查明故障原因",
        actor=org.agent,
        assignee=org.tech_member,
    )


def told(verb: str) -> list[str]:
    return sorted(
        Notification.objects.filter(event__verb=verb).values_list("recipient__username", flat=True)
    )


def test_a_task_is_due_24_hours_later_by_the_default_policies(org: Any, clock: Clock) -> None:
    task = ask_tech(org, inquiry(org, clock))

    clock.run()

    task.refresh_from_db()
    assert task.due_at == at("2026-03-07T16:00+08:00")  # the task target counts 24/7
    event = Event.objects.get(verb="sla.task_deadline_set")
    assert event.data["due_at"] == task.due_at.isoformat()


def test_a_task_target_counts_in_its_own_calendar(org: Any, clock: Clock) -> None:
    policy = SlaPolicy.objects.get(name="咨询")
    SlaTarget.objects.filter(policy=policy, metric=Metric.TASK).update(
        minutes=4 * 60, calendar=policy.calendar
    )
    task = ask_tech(org, inquiry(org, clock))

    clock.run()

    task.refresh_from_db()
    # Friday 16:00 + 4 business hours: 2 on Friday, then Monday 09:00–11:00.
    assert task.due_at == at("2026-03-09T11:00+08:00")


def test_an_overdue_task_is_escalated_to_the_department_head_once(org: Any, clock: Clock) -> None:
    ticket = inquiry(org, clock)
    task = ask_tech(org, ticket)
    clock.run()

    clock.run("2026-03-07T15:59+08:00")
    assert told("sla.task_overdue") == []
    clock.run("2026-03-07T16:00+08:00")
    clock.run("2026-03-08T10:00+08:00")

    task.refresh_from_db()
    assert task.overdue_at == at("2026-03-07T16:00+08:00")
    assert told("sla.task_overdue") == ["chenjie", "wangqiang", "zhangwei"]
    assert Event.objects.filter(ticket_id=ticket.pk, verb="sla.task_overdue").count() == 1


def test_an_answered_task_is_not_escalated(org: Any, clock: Clock) -> None:
    task = ask_tech(org, inquiry(org, clock))
    clock.run()
    clock.travel("2026-03-07T09:00+08:00")

    collaboration.answer_task(task, answer="配置错误，已修复", actor=org.tech_member)
    clock.run("2026-03-08T09:00+08:00")

    assert not Event.objects.filter(verb="sla.task_overdue").exists()
    assert not DueItem.objects.filter(kind="sla.task_overdue", state=WorkState.PENDING).exists()


def test_a_policy_without_a_task_target_gives_no_deadline(org: Any, clock: Clock) -> None:
    SlaTarget.objects.filter(metric=Metric.TASK).delete()
    task = ask_tech(org, inquiry(org, clock))

    clock.run()

    task.refresh_from_db()
    assert task.due_at is None
    assert not DueItem.objects.filter(kind="sla.task_overdue").exists()


def test_moving_a_commitment_moves_its_reminder(org: Any, clock: Clock) -> None:
    ticket = inquiry(org, clock)
    promise = tickets.add_commitment(
        ticket, description="周一给出退款方案", due_at=at("2026-03-09T12:00+08:00"), actor=org.agent
    )
    clock.run()

    commitments.move_commitment(
        promise,
        due_at=at("2026-03-10T12:00+08:00"),
        reason="财务系统升级，审批顺延一天",
        actor=org.agent,
    )
    clock.run()

    pending = DueItem.objects.filter(key=f"tickets.commitment:{promise.pk}", state="pending")
    assert sorted((i.kind, i.due_at) for i in pending) == [
        ("sla.commitment_missed", at("2026-03-10T12:00+08:00")),
        ("sla.commitment_remind", at("2026-03-10T11:00+08:00")),
    ]
