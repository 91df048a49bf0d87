"""What the access matrix needs to know of the automation routes: a rule (admins only) and
the complaint playbook of the out-of-scope ticket."""

from __future__ import annotations

from typing import Any

from bihuan.automation import services
from bihuan.testing.access import AccessSpec


def _objects(org: Any, objects: dict[str, Any]) -> dict[str, Any]:
    services.start_complaint(objects["ticket"].pk)
    rule = services.save_rule(
        services.RuleInput(
            name="投诉加急",
            trigger="ticket.created",
            actions=[{"type": "set_priority", "value": 4}],
        ),
        actor=org.admin,
    )
    return {"automation_rule": rule}


_RULE_FORM = {
    "name": "改",
    "trigger": "ticket.created",
    "set_priority": "4",
    "position": "0",
    "action": "save",
}

ACCESS = AccessSpec(
    parameter_kinds={"automation_rule_id": "automation_rule"},
    api_bodies={
        ("POST", "/api/v1/tickets/{number}/complaint/stages"): {"stage": "acceptance"},
        ("POST", "/api/v1/tickets/{number}/complaint/progress"): {"body": "处理进展"},
    },
    web_post_data={
        "automation:rule_edit": _RULE_FORM,
        "automation:complaint_stage": {"stage": "acceptance"},
        "automation:complaint_progress": {"body": "处理进展"},
    },
    get_and_post=frozenset({"automation:rule_edit"}),
    make_objects=_objects,
    db_apps=frozenset({"automation"}),
)
