"""Collaboration tasks and call-backs for the demo: each demo ticket waiting for
collaboration (等待协作) gets its open task for the department it was shared with, dated when
it started waiting, and each solved ticket its call-back, due 24 hours after it was solved.
Deadlines and call-backs already past fire as soon as ``bihuan serve`` starts its runner, so
a new user sees open and overdue tasks (escalated to the department head) and call-backs due
and overdue on first start."""

from __future__ import annotations

from django.db import transaction

from bihuan.core.models import DueItem, Event, WorkState
from bihuan.demo.conversation import Cast
from bihuan.demo.material import organisation as org
from bihuan.sla import services as sla
from bihuan.tickets import closing, collaboration
from bihuan.tickets.choices import TaskState, TicketStatus
from bihuan.tickets.models import CallBack, CollaborationTask, Ticket

# What the agent asks of each helping department (the ticket's subject follows).
ASKS = {
    org.TECH: "请技术部24小时内查明原因并给出处理建议：",
    org.AFTER_SALES: "请售后部确认处理方案（退换/维修/补偿）：",
    org.LOGISTICS: "请物流部核实包裹轨迹并联系承运商：",
}


def _waiting_since(ticket: Ticket) -> Event | None:
    return (
        Event.objects.filter(
            ticket_id=ticket.pk,
            verb="ticket.status_changed",
            data__to=TicketStatus.PENDING_COLLABORATION,
        )
        .order_by("-id")
        .first()
    )


def set_up_tasks(cast: Cast, ticket_ids: list[int]) -> dict[str, int]:
    """Open tasks for the tickets waiting for collaboration, call-backs for the solved ones."""
    tasks = 0
    waiting = (
        Ticket.objects.filter(pk__in=ticket_ids, status=TicketStatus.PENDING_COLLABORATION)
        .exclude(tasks__state=TaskState.OPEN)  # set up once: a second run asks nobody again
        .order_by("pk")
    )
    for ticket in waiting:
        department = (
            ticket.shared_departments.exclude(name=org.SERVICE).order_by("pk").first()
            or cast.departments[org.TECH]
        )
        asked = _waiting_since(ticket)
        with transaction.atomic():
            task = collaboration.open_task(
                ticket,
                department=department,
                description=ASKS.get(department.name, "请协助处理：") + ticket.subject,
                actor=ticket.owner or cast.supervisor,
            )
            if asked is not None:
                # Asked when the story started waiting; its deadline counts from then.
                CollaborationTask.objects.filter(pk=task.pk).update(created_at=asked.occurred_at)
            sla.schedule_task(task.pk)
        tasks += 1
    solved = Ticket.objects.filter(pk__in=ticket_ids, status=TicketStatus.SOLVED).order_by("pk")
    call_backs = sum(1 for ticket in solved if closing.schedule_call_back(ticket.pk) is not None)
    return {"collaboration tasks": tasks, "call-backs": call_backs}


def delete_tasks_setup() -> None:
    """Cancel the due work of tasks and call-backs that went with the demo tickets."""
    kept = {f"tickets.task:{pk}" for pk in CollaborationTask.objects.values_list("pk", flat=True)}
    kept |= {f"tickets.call_back:{pk}" for pk in CallBack.objects.values_list("pk", flat=True)}
    kinds = (sla.TASK_OVERDUE, closing.REMIND, closing.OVERDUE)
    orphans = [
        item.pk
        for item in DueItem.objects.filter(kind__in=kinds, state=WorkState.PENDING)
        if item.key not in kept
    ]
    DueItem.objects.filter(pk__in=orphans).update(state=WorkState.CANCELLED)
