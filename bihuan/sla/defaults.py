"""The default calendars and the policies from our users' own numbers.

- 标准工作日: Monday–Friday 09:00–12:00 and 13:00–18:00 Asia/Shanghai, with the official
  holidays and make-up workdays (the default calendar);
- 全天候 24/7: every minute counts.

Policies, in order: an urgent phone issue answered within 10 minutes (24/7); a complaint
within 1 business hour; a requirement's feasibility answer within 48 hours; an inquiry within
4 business hours; anything else within 8 business hours.
"""

from __future__ import annotations

from datetime import time
from typing import Any

from bihuan.sla.models import BusinessCalendar, SlaPolicy, SlaTarget, WorkingHours

WORKDAY = [(time(9), time(12)), (time(13), time(18))]
TASK_MINUTES = 24 * 60
# The complaint playbook's targets (24/7): acceptance 1 h, diagnosis 24 h, plan 24 h,
# execution 72 h, review 7 days, and the first progress update within 24 h of acceptance.
PLAYBOOK_MINUTES = {
    "stage_acceptance": 60,
    "stage_diagnosis": 24 * 60,
    "stage_plan": 24 * 60,
    "stage_execution": 72 * 60,
    "stage_review": 7 * 24 * 60,
    "progress_update": 24 * 60,
}

# name, position, conditions, calendar ("office" or "always"), targets {metric: minutes}
POLICIES: list[tuple[str, int, dict[str, list[Any]], str, dict[str, int]]] = [
    (
        "紧急电话",
        10,
        {"channels": ["phone"], "priorities": [4]},
        "always",
        {"first_response": 10, "next_response": 30, "resolution": 8 * 60},
    ),
    (
        "投诉",
        20,
        {"kinds": ["complaint"]},
        "office",
        {"first_response": 60, "next_response": 4 * 60, "resolution": 3 * 8 * 60},
    ),
    ("需求可行性", 30, {"kinds": ["request"]}, "always", {"first_response": 48 * 60}),
    (
        "咨询",
        40,
        {"kinds": ["inquiry"]},
        "office",
        {"first_response": 4 * 60, "next_response": 4 * 60, "resolution": 2 * 8 * 60},
    ),
    (
        "默认",
        100,
        {},
        "office",
        {"first_response": 8 * 60, "next_response": 8 * 60, "resolution": 5 * 8 * 60},
    ),
]


def install_defaults(
    calendar_model: Any, hours_model: Any, policy_model: Any, target_model: Any
) -> None:
    """Create the default calendars and policies that do not exist yet (by name). Takes the
    model classes so that the seeding migration can pass its historical ones."""
    office, created = calendar_model.objects.get_or_create(
        name="标准工作日", defaults={"is_default": True, "time_zone": "Asia/Shanghai"}
    )
    if created:
        hours_model.objects.bulk_create(
            hours_model(calendar=office, weekday=day, opens=opens, closes=closes)
            for day in range(1, 6)
            for opens, closes in WORKDAY
        )
    always, _ = calendar_model.objects.get_or_create(
        name="全天候 24/7", defaults={"is_always_open": True, "uses_official_holidays": False}
    )
    calendars = {"office": office, "always": always}
    for name, position, conditions, calendar, targets in POLICIES:
        policy, created = policy_model.objects.get_or_create(
            name=name,
            defaults={"position": position, "calendar": calendars[calendar], **conditions},
        )
        if created:
            target_model.objects.bulk_create(
                target_model(policy=policy, metric=metric, minutes=minutes)
                for metric, minutes in targets.items()
            )
    install_task_targets(policy_model, target_model, always)
    install_playbook_targets(policy_model, target_model, always)


def install_task_targets(policy_model: Any, target_model: Any, calendar: Any) -> None:
    """Give every default policy without one its collaboration-task target (24 hours in
    ``calendar``, the 24/7 one). Policies an admin added are left as they are."""
    names = [name for name, *_rest in POLICIES]
    for policy in policy_model.objects.filter(name__in=names):
        target_model.objects.get_or_create(
            policy=policy, metric="task", defaults={"minutes": TASK_MINUTES, "calendar": calendar}
        )


def install_playbook_targets(policy_model: Any, target_model: Any, calendar: Any) -> None:
    """Give every default policy the complaint playbook's targets it lacks (in ``calendar``,
    the 24/7 one), so that a complaint under any default policy has its stage due times.
    Policies an admin added, and targets an admin changed, are left as they are."""
    names = [name for name, *_rest in POLICIES]
    for policy in policy_model.objects.filter(name__in=names):
        for metric, minutes in PLAYBOOK_MINUTES.items():
            target_model.objects.get_or_create(
                policy=policy, metric=metric, defaults={"minutes": minutes, "calendar": calendar}
            )


def install_default_policies() -> None:
    """The defaults, for a database emptied after its migrations (tests, a reset demo)."""
    install_defaults(BusinessCalendar, WorkingHours, SlaPolicy, SlaTarget)
