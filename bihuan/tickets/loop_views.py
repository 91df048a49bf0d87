"""Pages and forms of the loop's end: collaboration tasks (the department's queue and the
ticket page's card), the call-back, closing, and the delay notice.

Thin like ``views``: parse, authorise through the scoped queries, call one service, redirect.
Refusals (``DomainError``) are answered by ``bihuan.core.views.domain_errors``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from bihuan.accounts.models import Department, User
from bihuan.accounts.views import signed_in_user
from bihuan.core.errors import ValidationFailed
from bihuan.core.views import domain_errors
from bihuan.tickets import closing, collaboration, commitments, merging, queries
from bihuan.tickets.choices import TicketStatus
from bihuan.tickets.forms import (
    MAX_ID,
    CallBackForm,
    CloseForm,
    CommitmentMoveForm,
    OtherTicketForm,
    ReasonForm,
    TaskAnswerForm,
    TaskForm,
    TicketOptions,
)
from bihuan.tickets.models import CollaborationTask, Ticket
from bihuan.tickets.permissions import can_work_ticket


def _check_ids(*ids: int) -> None:
    if any(not 1 <= i <= MAX_ID for i in ids):
        raise ValidationFailed(_("There is no such ticket."), code="invalid_number")


def _form_error(form: Any) -> ValidationFailed:
    for field_name, errors in form.errors.items():
        label = form.fields[field_name].label if field_name in form.fields else ""
        text = (
            _("%(field)s: %(error)s") % {"field": label, "error": errors[0]}
            if label
            else str(errors[0])
        )
        return ValidationFailed(text, code="invalid_form")
    return ValidationFailed(_("The form is not valid."), code="invalid_form")


def _back_to(ticket_id: int, anchor: str) -> HttpResponse:
    return redirect(f"{reverse('tickets:detail', kwargs={'number': ticket_id})}#{anchor}")


def _task_choices() -> tuple[list[Department], list[User]]:
    departments = list(Department.objects.order_by("name"))
    members = list(
        User.objects.filter(is_active=True, department__isnull=False)
        .select_related("department")
        .order_by("department__name", "username")
    )
    return departments, members


def _answerable(viewer: User, tasks: list[CollaborationTask]) -> set[int]:
    return {t.pk for t in tasks if t.is_open and collaboration.can_answer_task(viewer, t)}


def loop_context(
    request: HttpRequest, ticket: Ticket, options: TicketOptions | None = None
) -> dict[str, Any]:
    """What the ticket page shows of tasks, call-backs and closing (four queries; two when
    the page's ``options`` already hold the departments and their members)."""
    viewer = signed_in_user(request)
    tasks = queries.ticket_tasks(ticket)
    if options is not None:
        departments, members = options.departments, options.members
    else:
        departments, members = _task_choices()
    return {
        "tasks": tasks,
        "answerable": {
            t.pk for t in tasks if t.is_open and collaboration.can_answer_task(viewer, t)
        },
        "task_form": TaskForm(departments=departments, members=members),
        "call_backs": queries.ticket_call_backs(ticket),
        "call_back_form": CallBackForm(),
        "can_close": can_work_ticket(viewer) and ticket.status == TicketStatus.SOLVED,
        "linked_tickets": queries.ticket_links(ticket),
    }


@login_required
@require_GET
@domain_errors
def task_queue(request: HttpRequest) -> HttpResponse:
    """The department's queue of collaboration tasks (协作任务), the soonest due first."""
    viewer = signed_in_user(request)
    state = request.GET.get("state") or "open"
    department_id: int | None = None
    if viewer.sees_everything and (request.GET.get("department") or "").isdigit():
        department_id = int(request.GET["department"])
    mine = request.GET.get("mine") == "1"
    tasks = queries.list_tasks(viewer, state=state, department_id=department_id, mine=mine)
    return render(
        request,
        "tickets/tasks.html",
        {
            "tasks": tasks,
            "state": state,
            "states": [
                ("open", _("Open")),
                ("answered", _("Answered")),
                ("cancelled", _("Cancelled")),
                ("all", _("All")),
            ],
            "mine": mine,
            "department_id": department_id,
            "departments": list(Department.objects.order_by("name"))
            if viewer.sees_everything
            else [],
            "answerable": {
                t.pk for t in tasks if t.is_open and collaboration.can_answer_task(viewer, t)
            },
            "now": timezone.now(),
            "viewer": viewer,
        },
    )


@login_required
@require_POST
@domain_errors
def open_task(request: HttpRequest, number: int) -> HttpResponse:
    _check_ids(number)
    viewer = signed_in_user(request)
    ticket = queries.get_ticket_to_change(viewer, number)
    departments, members = _task_choices()
    form = TaskForm(request.POST, departments=departments, members=members)
    if not form.is_valid():
        raise _form_error(form)
    assignee_id = form.cleaned_data["assignee"]
    collaboration.open_task(
        ticket,
        department=form.departments[form.cleaned_data["department"]],
        description=form.cleaned_data["description"],
        assignee=form.members[assignee_id] if assignee_id else None,
        actor=viewer,
    )
    messages.success(request, _("Collaboration task sent."))
    return _back_to(ticket.pk, "tasks")


def _next(request: HttpRequest, ticket_id: int) -> HttpResponse:
    if request.POST.get("next") == "queue":
        return redirect(reverse("tickets:tasks"))
    return _back_to(ticket_id, "tasks")


@login_required
@require_POST
@domain_errors
def answer_task(request: HttpRequest, number: int, task_id: int) -> HttpResponse:
    _check_ids(number, task_id)
    viewer = signed_in_user(request)
    task = queries.get_task(viewer, number, task_id)
    form = TaskAnswerForm(request.POST)
    if not form.is_valid():
        raise _form_error(form)
    collaboration.answer_task(task, answer=form.cleaned_data["answer"], actor=viewer)
    messages.success(request, _("Task answered; the ticket's owner is told."))
    return _next(request, number)


@login_required
@require_POST
@domain_errors
def take_task(request: HttpRequest, number: int, task_id: int) -> HttpResponse:
    _check_ids(number, task_id)
    viewer = signed_in_user(request)
    task = queries.get_task(viewer, number, task_id)
    collaboration.assign_task(task, assignee=viewer, actor=viewer)
    messages.success(request, _("The task is yours."))
    return _next(request, number)


@login_required
@require_POST
@domain_errors
def cancel_task(request: HttpRequest, number: int, task_id: int) -> HttpResponse:
    _check_ids(number, task_id)
    viewer = signed_in_user(request)
    task = queries.get_task(viewer, number, task_id)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        raise _form_error(form)
    collaboration.cancel_task(task, reason=form.cleaned_data["reason"], actor=viewer)
    messages.success(request, _("Collaboration task cancelled."))
    return _back_to(number, "tasks")


@login_required
@require_POST
@domain_errors
def record_call_back(request: HttpRequest, number: int, call_back_id: int) -> HttpResponse:
    _check_ids(number, call_back_id)
    viewer = signed_in_user(request)
    call_back = queries.get_call_back(viewer, number, call_back_id)
    form = CallBackForm(request.POST)
    if not form.is_valid():
        raise _form_error(form)
    closing.record_call_back(
        call_back,
        outcome=form.cleaned_data["outcome"],
        note=form.cleaned_data["note"],
        retry_at=form.cleaned_data["retry_at"],
        actor=viewer,
    )
    messages.success(request, _("Call-back recorded."))
    return _back_to(number, "call-back")


@login_required
@require_POST
@domain_errors
def close_ticket(request: HttpRequest, number: int) -> HttpResponse:
    _check_ids(number)
    viewer = signed_in_user(request)
    ticket = queries.get_ticket_to_change(viewer, number)
    form = CloseForm(request.POST)
    if not form.is_valid():
        raise _form_error(form)
    closing.close_ticket(ticket, actor=viewer, reason=form.cleaned_data["reason"])
    messages.success(request, _("Ticket closed: the loop is closed."))
    return _back_to(number, "call-back")


@login_required
@require_POST
@domain_errors
def move_commitment(request: HttpRequest, number: int, commitment_id: int) -> HttpResponse:
    _check_ids(number, commitment_id)
    viewer = signed_in_user(request)
    commitment = queries.get_commitment(viewer, number, commitment_id)
    form = CommitmentMoveForm(request.POST)
    if not form.is_valid():
        raise _form_error(form)
    commitments.move_commitment(
        commitment,
        due_at=form.cleaned_data["due_at"],
        reason=form.cleaned_data["reason"],
        actor=viewer,
    )
    messages.success(request, _("Commitment moved; the customer was told the new date."))
    return _back_to(number, "commitments")


@login_required
@require_POST
@domain_errors
def merge_ticket(request: HttpRequest, number: int) -> HttpResponse:
    """Merge this ticket (a duplicate) into the one named; go to the survivor."""
    _check_ids(number)
    viewer = signed_in_user(request)
    duplicate = queries.get_ticket_to_change(viewer, number)
    form = OtherTicketForm(request.POST)
    if not form.is_valid():
        raise _form_error(form)
    survivor = merging.merge_ticket(
        duplicate, into=queries.get_other_ticket(viewer, form.cleaned_data["other"]), actor=viewer
    )
    messages.success(request, _("Merged into this ticket."))
    return _back_to(survivor.pk, "links")


@login_required
@require_POST
@domain_errors
def link_ticket(request: HttpRequest, number: int) -> HttpResponse:
    _check_ids(number)
    viewer = signed_in_user(request)
    ticket = queries.get_ticket_to_change(viewer, number)
    form = OtherTicketForm(request.POST)
    if not form.is_valid():
        raise _form_error(form)
    merging.link_tickets(
        ticket, other=queries.get_other_ticket(viewer, form.cleaned_data["other"]), actor=viewer
    )
    messages.success(request, _("Tickets linked."))
    return _back_to(number, "links")
