"""The sla domain's event verbs: how each reads, who is told, where it leads."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bihuan.core.catalogue import Verb, declare
from bihuan.core.models import Event
from bihuan.sla.choices import EscalationLevel, Metric
from bihuan.tickets.events import _time, ticket_link


def _target(event: Event) -> str:
    try:
        return str(Metric(str(event.get("metric"))).label)
    except ValueError:
        return "—"


def _level(event: Event) -> str:
    try:
        return str(EscalationLevel(int(event.get("level", 0))).label)
    except (ValueError, TypeError):
        return "—"


declare(
    Verb(
        "sla.policy_applied",
        describe=lambda e: _("applied the SLA policy “%(policy)s”") % {"policy": e.get("name")},
        link=ticket_link,
    ),
    Verb(
        "sla.warning",
        describe=lambda e: (
            _("%(target)s target at risk: due %(due)s")
            % {"target": _target(e), "due": _time(e.get("due_at"))}
        ),
        link=ticket_link,
        notifies=gettext_lazy("the owner (or, without one, the queue's supervisor)"),
    ),
    Verb(
        "sla.breached",
        describe=lambda e: (
            _("%(target)s target missed (due %(due)s)")
            % {"target": _target(e), "due": _time(e.get("due_at"))}
        ),
        link=ticket_link,
        notifies=gettext_lazy("the first of: owner, queue supervisor, department head"),
    ),
    Verb(
        "sla.escalated",
        describe=lambda e: (
            _("escalated the missed %(target)s target to the %(level)s")
            % {"target": _target(e), "level": _level(e).lower()}
        ),
        link=ticket_link,
        notifies=gettext_lazy("the queue supervisor, then the department head"),
    ),
    Verb(
        "sla.commitment_due_soon",
        describe=lambda e: _("a commitment is due %(due)s") % {"due": _time(e.get("due_at"))},
        details=lambda e: [str(e.get("description", ""))],
        link=ticket_link,
        notifies=gettext_lazy("the ticket's owner (or who made the commitment)"),
    ),
    Verb(
        "sla.commitment_missed",
        describe=lambda e: (
            _("a commitment due %(due)s was missed") % {"due": _time(e.get("due_at"))}
        ),
        details=lambda e: [str(e.get("description", ""))],
        link=ticket_link,
        notifies=gettext_lazy("the owner, the queue supervisor and the department head"),
    ),
)


declare(
    Verb(
        "sla.task_deadline_set",
        describe=lambda e: (
            _("the collaboration task for %(department)s is due %(due)s")
            % {"department": e.get("department_name", "—"), "due": _time(e.get("due_at"))}
        ),
        link=ticket_link,
    ),
    Verb(
        "sla.task_overdue",
        describe=lambda e: (
            _("the collaboration task for %(department)s is overdue (due %(due)s)")
            % {"department": e.get("department_name", "—"), "due": _time(e.get("due_at"))}
        ),
        notification=lambda e: _("a collaboration task of your department is overdue"),
        link=ticket_link,
        notifies=gettext_lazy("the department head, the task's owner and the ticket's owner"),
    ),
)
