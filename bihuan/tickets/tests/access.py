"""The access matrix's knowledge of the loop's routes: collaboration tasks, call-backs,
closing, moving a commitment, merging and linking (tests/security/test_access_matrix.py)."""

from __future__ import annotations

from typing import Any

from bihuan.accounts.models import Department
from bihuan.testing.access import AccessSpec
from bihuan.tickets import closing, collaboration, services
from bihuan.tickets.choices import TicketStatus


def _make_objects(org: Any, objects: dict[str, Any]) -> dict[str, Any]:
    """A call-back and a task on the out-of-scope ticket; the task goes to a department none
    of the matrix roles belongs to (its members would see the ticket, shared with them)."""
    ticket = objects["ticket"]
    services.change_status(ticket, status=TicketStatus.SOLVED, actor=org.admin)
    call_back = closing.schedule_call_back(ticket.pk)
    services.change_status(ticket, status=TicketStatus.OPEN, actor=org.admin)
    logistics, _created = Department.objects.get_or_create(name="物流部")
    task = collaboration.open_task(
        ticket, department=logistics, description="查物流轨迹", actor=org.admin
    )
    ticket.refresh_from_db()
    return {"task": task, "call_back": call_back, "ticket": ticket}


ACCESS = AccessSpec(
    parameter_kinds={"task_id": "task", "call_back_id": "call_back"},
    api_bodies={
        ("POST", "/api/v1/tickets/{number}/tasks"): {"department_id": 1, "description": "查"},
        ("POST", "/api/v1/tickets/{number}/tasks/{task_id}/answer"): {"answer": "已查明"},
        ("POST", "/api/v1/tickets/{number}/tasks/{task_id}/assign"): {"assignee_id": None},
        ("POST", "/api/v1/tickets/{number}/tasks/{task_id}/cancel"): {"reason": "不需要了"},
        ("POST", "/api/v1/tickets/{number}/call-backs/{call_back_id}"): {"outcome": "satisfied"},
        ("POST", "/api/v1/tickets/{number}/close"): {"reason": "客户确认"},
        ("POST", "/api/v1/tickets/{number}/merge"): {"into": 1},
        ("POST", "/api/v1/tickets/{number}/links"): {"other": 1},
        ("POST", "/api/v1/tickets/{number}/commitments/{commitment_id}/move"): {
            "due_at": "2030-12-10T10:00:00+08:00",
            "reason": "银行延迟",
        },
    },
    web_post_data={
        "tickets:open_task": {"department": "1", "description": "查"},
        "tickets:answer_task": {"answer": "已查明"},
        "tickets:take_task": {},
        "tickets:cancel_task": {"reason": "不需要了"},
        "tickets:record_call_back": {"outcome": "satisfied"},
        "tickets:close": {"reason": "客户确认"},
        "tickets:merge": {"other": "1"},
        "tickets:link": {"other": "1"},
        "tickets:move_commitment": {"due_at": "2030-12-10T10:00", "reason": "银行延迟"},
    },
    make_objects=_make_objects,
)
