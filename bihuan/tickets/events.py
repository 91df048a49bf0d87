"""The tickets domain's event verbs: how each reads, who is told, where it leads."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bihuan.core.catalogue import Verb, declare
from bihuan.core.models import Event
from bihuan.tickets.choices import CallBackOutcome, MessageKind, TicketStatus


def ticket_link(event: Event) -> str | None:
    if event.ticket_id is None:
        return None
    return reverse("tickets:detail", kwargs={"number": event.ticket_id})


def _status(value: object) -> str:
    try:
        return str(TicketStatus(str(value)).label)
    except ValueError:
        return "—"


def _status_changed(event: Event) -> str:
    return _("changed the status from %(before)s to %(after)s") % {
        "before": _status(event.get("from")),
        "after": _status(event.get("to")),
    }


def _assigned(event: Event) -> str:
    if event.get("to") is None:
        return _("removed the owner")
    if event.get("reason") == "first_reply":
        return _("took ownership by answering first")
    return _("changed the owner")


def _message_added(event: Event) -> str:
    kind = event.get("kind")
    if kind == MessageKind.CUSTOMER:
        return _("wrote a message")
    if kind == MessageKind.NOTE:
        return _("added an internal note")
    return _("replied to the customer")


def _field(name: str) -> Callable[[Event], list[str]]:
    return lambda event: [str(event.get(name, "") or "")]


def _time(value: object) -> str:
    try:
        moment = parse_datetime(value) if isinstance(value, str) else value
        if not isinstance(moment, datetime):
            return ""
        return date_format(timezone.localtime(moment), "Y-m-d H:i")
    except (ValueError, OverflowError):
        # Written before due times were range-checked: shown as recorded.
        return str(value)


def _need_recorded(event: Event) -> str:
    if event.get("confirmed"):
        return _("recorded the need, confirmed by the customer")
    return _("recorded the need (not yet confirmed)")


declare(
    Verb("ticket.created", describe=lambda e: _("opened the ticket"), link=ticket_link),
    Verb("ticket.status_changed", describe=_status_changed, link=ticket_link),
    Verb("ticket.assigned", describe=_assigned, link=ticket_link),
    Verb(
        "ticket.assigned_to_you",
        describe=lambda e: _("assigned a ticket to you"),
        link=ticket_link,
        notifies=gettext_lazy("the new owner"),
    ),
    Verb(
        "ticket.message_added",
        describe=_message_added,
        notification=lambda e: _("mentioned you in an internal note"),
        link=ticket_link,
        notifies=gettext_lazy("colleagues mentioned in an internal note"),
    ),
    Verb("ticket.updated", describe=lambda e: _("changed the ticket"), link=ticket_link),
    Verb(
        "ticket.shared_with_department",
        describe=lambda e: _("asked other departments for help"),
        notification=lambda e: _("shared a ticket with your department"),
        link=ticket_link,
        notifies=gettext_lazy("the heads of the departments asked"),
    ),
    Verb(
        "ticket.need_recorded",
        describe=_need_recorded,
        details=_field("statement"),
        link=ticket_link,
    ),
    Verb(
        "ticket.solution_recorded",
        describe=lambda e: _("recorded the solution"),
        details=_field("solution"),
        link=ticket_link,
    ),
    Verb(
        "ticket.commitment_added",
        describe=lambda e: _("made a commitment due %(due)s") % {"due": _time(e.get("due_at"))},
        details=_field("description"),
        link=ticket_link,
    ),
    Verb(
        "ticket.commitment_done",
        describe=lambda e: _("kept a commitment"),
        details=_field("description"),
        link=ticket_link,
    ),
    Verb(
        "ticket.commitment_cancelled",
        describe=lambda e: (
            _("cancelled a commitment: %(reason)s") % {"reason": str(e.get("reason", ""))}
        ),
        details=_field("description"),
        link=ticket_link,
    ),
)


def _outcome(event: Event) -> str:
    try:
        return str(CallBackOutcome(str(event.get("outcome"))).label)
    except ValueError:
        return "—"


def _department(event: Event) -> str:
    return str(event.get("department_name", "") or "—")


declare(
    Verb(
        "ticket.task_opened",
        describe=lambda e: (
            _("asked %(department)s for help (collaboration task)") % {"department": _department(e)}
        ),
        details=_field("description"),
        notification=lambda e: _("asked your department for help on a ticket"),
        link=ticket_link,
        notifies=gettext_lazy("the task's owner in the department (or its head)"),
    ),
    Verb(
        "ticket.task_assigned",
        describe=lambda e: _("changed who works the collaboration task"),
        details=_field("description"),
        notification=lambda e: _("gave you a collaboration task"),
        link=ticket_link,
        notifies=gettext_lazy("the task's new owner"),
    ),
    Verb(
        "ticket.task_answered",
        describe=lambda e: (
            _("answered the collaboration task for %(department)s") % {"department": _department(e)}
        ),
        details=_field("answer"),
        notification=lambda e: _("answered a collaboration task on your ticket"),
        link=ticket_link,
        notifies=gettext_lazy("the ticket's owner"),
    ),
    Verb(
        "ticket.task_cancelled",
        describe=lambda e: (
            _("cancelled the collaboration task: %(reason)s") % {"reason": str(e.get("reason", ""))}
        ),
        details=_field("description"),
        link=ticket_link,
        notifies=gettext_lazy("the task's owner in the department (or its head)"),
    ),
    Verb(
        "ticket.commitment_moved",
        describe=lambda e: (
            _("moved a commitment to %(due)s: %(reason)s")
            % {"due": _time(e.get("due_at")), "reason": str(e.get("reason", ""))}
        ),
        details=_field("description"),
        link=ticket_link,
    ),
    Verb(
        "ticket.call_back_scheduled",
        describe=lambda e: _("a call-back is due %(due)s") % {"due": _time(e.get("due_at"))},
        link=ticket_link,
    ),
    Verb(
        "ticket.call_back_recorded",
        describe=lambda e: _("called the customer back: %(outcome)s") % {"outcome": _outcome(e)},
        details=_field("note"),
        link=ticket_link,
    ),
    Verb(
        "ticket.call_back_cancelled",
        describe=lambda e: _("the call-back is no longer needed"),
        link=ticket_link,
    ),
    Verb(
        "ticket.call_back_due_soon",
        describe=lambda e: _("the call-back is due %(due)s") % {"due": _time(e.get("due_at"))},
        link=ticket_link,
        notifies=gettext_lazy("the ticket's owner"),
    ),
    Verb(
        "ticket.call_back_overdue",
        describe=lambda e: (
            _("the call-back due %(due)s was not made") % {"due": _time(e.get("due_at"))}
        ),
        link=ticket_link,
        notifies=gettext_lazy("the owner, the queue supervisor and the department head"),
    ),
    Verb(
        "ticket.merged",
        describe=lambda e: _("merged ticket #%(other)s into this one") % {"other": e.get("other")},
        link=ticket_link,
    ),
    Verb(
        "ticket.merged_into",
        describe=lambda e: _("merged this ticket into #%(other)s") % {"other": e.get("other")},
        link=ticket_link,
    ),
    Verb(
        "ticket.message_merged",
        describe=lambda e: (
            _("added a message of merged ticket #%(other)s") % {"other": e.get("from")}
        ),
        link=ticket_link,
    ),
    Verb(
        "ticket.linked",
        describe=lambda e: _("linked ticket #%(other)s") % {"other": e.get("other")},
        link=ticket_link,
    ),
)
