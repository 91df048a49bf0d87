"""The automation domain's event verbs: rules and the complaint playbook."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bihuan.automation.choices import ActionType, Stage
from bihuan.core.catalogue import Verb, declare
from bihuan.core.models import Event
from bihuan.tickets.events import _time, ticket_link


def _stage(value: object) -> str:
    try:
        return str(Stage(str(value)).label)
    except ValueError:
        return "—"


def _action(action: dict[str, object]) -> str:
    try:
        label = str(ActionType(str(action.get("type"))).label)
    except ValueError:
        label = "—"
    if action.get("done"):
        return label
    return _("%(action)s (skipped: %(reason)s)") % {
        "action": label,
        "reason": str(action.get("error", "")),
    }


def _rule_applied_details(event: Event) -> list[str]:
    actions = event.get("actions", [])
    return [_action(a) for a in actions if isinstance(a, dict)]


declare(
    Verb(
        "automation.rule_created",
        describe=lambda e: (
            _("created the automation rule “%(name)s”") % {"name": e.get("name", "")}
        ),
    ),
    Verb(
        "automation.rule_changed",
        describe=lambda e: (
            _("changed the automation rule “%(name)s”") % {"name": e.get("name", "")}
        ),
    ),
    Verb(
        "automation.rule_applied",
        describe=lambda e: _("the automation rule “%(name)s” ran") % {"name": e.get("name", "")},
        details=_rule_applied_details,
        link=ticket_link,
        notifies=gettext_lazy("whom the rule's notify action names"),
    ),
    Verb(
        "automation.complaint_started",
        describe=lambda e: _("opened the complaint playbook"),
        link=ticket_link,
    ),
    Verb(
        "automation.complaint_stage_completed",
        describe=lambda e: (
            _("finished the complaint stage %(stage)s") % {"stage": _stage(e.get("stage"))}
        ),
        details=lambda e: [
            str(e.get(k, "") or "")
            for k in ("what_where", "expectation", "plan_options", "execution_note", "lesson")
        ],
        link=ticket_link,
    ),
    Verb(
        "automation.complaint_stage_assigned",
        describe=lambda e: (
            _("the complaint stage %(stage)s went to the ticket's owner")
            % {"stage": _stage(e.get("stage"))}
        ),
        link=ticket_link,
    ),
    Verb(
        "automation.complaint_stage_overdue",
        describe=lambda e: (
            _("the complaint stage %(stage)s is overdue (due %(due)s)")
            % {"stage": _stage(e.get("stage")), "due": _time(e.get("due_at"))}
        ),
        link=ticket_link,
        notifies=gettext_lazy(
            "the stage's owner, the ticket's owner, the queue supervisor and the department head"
        ),
    ),
    Verb(
        "automation.complaint_progress_sent",
        describe=lambda e: _("sent the customer a progress update on the complaint"),
        link=ticket_link,
    ),
    Verb(
        "automation.complaint_progress_missing",
        describe=lambda e: _("no progress update has reached the complaining customer yet"),
        link=ticket_link,
        notifies=gettext_lazy("the ticket's owner, the queue supervisor and the department head"),
    ),
)
