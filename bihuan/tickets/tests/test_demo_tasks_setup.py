"""The demo's collaboration tasks and call-backs (bihuan/demo/tasks_setup.py), set up after
the demo is loaded: open tasks for the tickets waiting for collaboration, some already
overdue and escalated once a runner takes their due work, and call-backs due."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from bihuan.accounts.models import Department, Team, User
from bihuan.core.models import DueItem, Event, WorkState
from bihuan.core.runner import Runner
from bihuan.demo.conversation import Cast
from bihuan.demo.generate import load_demo
from bihuan.demo.tasks_setup import delete_tasks_setup, set_up_tasks
from bihuan.tickets.choices import TaskState, TicketStatus
from bihuan.tickets.models import CallBack, CollaborationTask, Ticket

pytestmark = pytest.mark.django_db
NOW = datetime(2025, 6, 16, 15, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_the_demo_has_open_and_overdue_tasks_and_call_backs_due() -> None:
    with time_machine.travel(NOW, tick=False):
        result = load_demo(now=NOW)  # the loader runs set_up_tasks after the history
        waiting = Ticket.objects.filter(status=TicketStatus.PENDING_COLLABORATION).count()
        Runner("test", raise_errors=True).run_until_idle()

        assert result.counts["collaboration tasks"] == waiting > 0
        # (the runner adds the call-backs of tickets that later setups solved)
        assert 0 < result.counts["call-backs"] <= CallBack.objects.count()
        cast = Cast(
            users={u.username: u for u in User.objects.all()},
            departments={d.name: d for d in Department.objects.all()},
            teams={t.name: t for t in Team.objects.select_related("department")},
            categories={},
        )
        again = set_up_tasks(cast, list(Ticket.objects.values_list("pk", flat=True)))
        assert again == {"collaboration tasks": 0, "call-backs": 0}  # once per ticket
        tasks = CollaborationTask.objects.all()
        assert {t.state for t in tasks} == {TaskState.OPEN}
        assert all(t.due_at is not None for t in tasks)
        overdue = tasks.filter(overdue_at__isnull=False)
        assert 0 < overdue.count() < tasks.count()
        assert Event.objects.filter(verb="sla.task_overdue").count() == overdue.count()
        assert CallBack.objects.filter(due_at__gt=NOW).exists()  # some still due
        # Still waiting for collaboration: the kanban's column means "a task is open".
        assert Ticket.objects.filter(status=TicketStatus.PENDING_COLLABORATION).count() == waiting

        delete_tasks_setup()
        assert DueItem.objects.filter(
            kind__in=("sla.task_overdue", "tickets.call_back_remind"), state=WorkState.PENDING
        ).exists()  # the demo's own timers stay while their rows exist
