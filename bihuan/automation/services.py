"""Automation use cases: saving rules, running them on events and timers, and the complaint
playbook (受理 → 诊断 → 方案 → 执行 → 复盘).

Rules run inside the consumer's or the timer's transaction, with the ticket locked; each
action goes through the service that owns the change (tickets, triage's one assignment
service, knowledge's template variables), in its own savepoint, so a refused action is
recorded as skipped and the others still apply. Every run records ``automation.rule_applied``
naming the rule, and marks each event its actions wrote with the chain of rules that caused
it (``CausedEvent``): a rule never fires on an event it is already in the chain of, so two
rules that undo each other stop after one round.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bihuan.accounts.models import Department, Team, User
from bihuan.automation import conditions as rule_conditions
from bihuan.automation.choices import (
    STAGE_ORDER,
    TRIGGER_VERBS,
    ActionType,
    PlanKind,
    Recipient,
    Stage,
    Trigger,
)
from bihuan.automation.models import (
    AutomationRule,
    CausedEvent,
    Complaint,
    ComplaintStep,
    RuleRun,
)
from bihuan.core.bidi import neutralise_bidi
from bihuan.core.due_work import cancel, schedule
from bihuan.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from bihuan.core.events import notify, record_event
from bihuan.core.models import DueItem, Event
from bihuan.core.time_window import check_datetime
from bihuan.customers.choices import Tier
from bihuan.knowledge.models import ReplyTemplate
from bihuan.knowledge.services import ticket_values
from bihuan.knowledge.variables import render as render_template
from bihuan.sla import services as sla
from bihuan.sla.choices import Metric
from bihuan.tickets import collaboration
from bihuan.tickets import services as tickets
from bihuan.tickets.choices import (
    OPEN_STATUSES,
    Channel,
    MessageKind,
    Priority,
    TicketStatus,
    TicketType,
)
from bihuan.tickets.models import Category, Ticket
from bihuan.tickets.permissions import can_work_ticket
from bihuan.triage import services as triage

# A chain of rules longer than this stops, whatever the rules (a guard beyond the chain check).
MAX_CHAIN = 5
# Statuses a rule may set (never "new"; closing is the loop's own rule, not an automation's;
# 等待协作 follows the tasks: a rule gets there with the "create a task" action).
SETTABLE_STATUSES = (
    TicketStatus.OPEN,
    TicketStatus.PENDING_CUSTOMER,
    TicketStatus.SOLVED,
)
WAIT_STATUSES = (*OPEN_STATUSES, TicketStatus.SOLVED)
MAX_WAIT_HOURS = 24 * 365
TIME_RULE = "automation.time_rule"
STAGE_DUE = "automation.complaint_stage_due"
PROGRESS_DUE = "automation.complaint_progress_due"

# The complaint playbook's times are targets of the ticket's SLA policy: how long each stage
# may take, and by when the customer must have had a progress update after acceptance.
STAGE_TARGETS: dict[str, str] = {
    Stage.ACCEPTANCE: Metric.STAGE_ACCEPTANCE,
    Stage.DIAGNOSIS: Metric.STAGE_DIAGNOSIS,
    Stage.PLAN: Metric.STAGE_PLAN,
    Stage.EXECUTION: Metric.STAGE_EXECUTION,
    Stage.REVIEW: Metric.STAGE_REVIEW,
}
# How far back the customer's history is read for "has it happened before".
HISTORY_DAYS = 365


def _text(value: str, *, label: str, limit: int, required: bool = True) -> str:
    text = neutralise_bidi(value or "").strip()
    if required and not text:
        raise ValidationFailed(_("%(field)s must not be empty."), code="empty", field=label)
    if len(text) > limit:
        raise ValidationFailed(
            _("%(field)s is longer than %(limit)s characters."),
            code="too_long",
            field=label,
            limit=limit,
        )
    return text


# --- Rules -------------------------------------------------------------------------------------


@dataclass
class RuleInput:
    """A rule as an admin edits it (see ``AutomationRule``)."""

    name: str
    trigger: str
    conditions: dict[str, Any] = field(default_factory=dict)
    actions: list[dict[str, Any]] = field(default_factory=list)
    wait_status: str = ""
    wait_hours: int | None = None
    is_active: bool = True
    position: int = 0


def _invalid(code: str, message: Any, **params: Any) -> ValidationFailed:
    return ValidationFailed(message, code=code, **params)


def _check_condition(name: str, value: Any) -> Any:
    """The stored form of one condition, or a refusal naming it."""
    allowed: dict[str, Any] = {
        "kind": TicketType.values,
        "channel": Channel.values,
        "status": TicketStatus.values,
        "customer_tier": Tier.values,
    }
    if name in allowed:
        if value not in allowed[name]:
            raise _invalid(
                "invalid_condition", _("“%(value)s” is not a valid condition."), value=value
            )
        return value
    if name == "priority":
        if value not in Priority.values and str(value) not in map(str, Priority.values):
            raise _invalid(
                "invalid_condition", _("“%(value)s” is not a valid condition."), value=value
            )
        return int(value)
    if name == "category":
        if not Category.objects.filter(pk=_int(value)).exists():
            raise tickets.unknown_reference("category", value)
        return _int(value)
    if name == "tag":
        return _text(str(value), label=str(_("Tag")), limit=50)
    raise _invalid("invalid_condition", _("Unknown condition “%(name)s”."), name=name)


def _check_action(action: dict[str, Any]) -> dict[str, Any]:
    kind = action.get("type")
    value = action.get("value")
    if kind not in ActionType.values:
        raise _invalid("invalid_action", _("Unknown action “%(name)s”."), name=kind)
    if kind == ActionType.SET_PRIORITY:
        if value not in Priority.values and str(value) not in map(str, Priority.values):
            raise _invalid("invalid_action", _("“%(value)s” is not a valid priority."), value=value)
        return {"type": kind, "value": int(str(value))}
    if kind == ActionType.SET_KIND and value not in TicketType.values:
        raise _invalid("invalid_action", _("“%(value)s” is not a valid type."), value=value)
    if kind == ActionType.SET_STATUS and value not in SETTABLE_STATUSES:
        raise _invalid(
            "invalid_action", _("A rule cannot set the status “%(value)s”."), value=value
        )
    if kind == ActionType.ASSIGN:
        user = User.objects.filter(pk=_int(value)).first()
        if user is None or not user.is_active or not can_work_ticket(user):
            raise _invalid("invalid_action", _("This person cannot own tickets."))
        return {"type": kind, "value": user.pk}
    if kind == ActionType.SET_QUEUE:
        if not Team.objects.filter(pk=_int(value)).exists():
            raise tickets.unknown_reference("team", value)
        return {"type": kind, "value": _int(value)}
    if kind == ActionType.CREATE_TASK:
        if not Department.objects.filter(pk=_int(value)).exists():
            raise tickets.unknown_reference("department", value)
        return {"type": kind, "value": _int(value)}
    if kind == ActionType.ADD_TAG:
        return {"type": kind, "value": _text(str(value or ""), label=str(_("Tag")), limit=50)}
    if kind == ActionType.NOTIFY and value not in Recipient.values:
        raise _invalid("invalid_action", _("Unknown recipient “%(value)s”."), value=value)
    if kind == ActionType.SEND_TEMPLATE:
        template = ReplyTemplate.objects.filter(pk=_int(value), owner__isnull=True).first()
        if template is None or not template.is_active:
            raise _invalid(
                "invalid_action", _("Choose an active shared reply template for the rule.")
            )
        return {"type": kind, "value": template.pk}
    return {"type": kind, "value": value}


def _int(value: Any) -> int:
    """An id given in a rule, or 0 (names nothing) when it is not one."""
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return 0
    return number if 0 < number <= 2**62 else 0


def validate_rule(data: RuleInput) -> RuleInput:
    """The rule as it will be stored, or a ``ValidationFailed`` naming what is wrong."""
    name = _text(data.name, label=str(_("Name")), limit=100)
    if data.trigger not in Trigger.values:
        raise _invalid("invalid_trigger", _("Choose when the rule runs."))
    wait_status, wait_hours = "", None
    if data.trigger == Trigger.TIME_IN_STATUS:
        if data.wait_status not in WAIT_STATUSES:
            raise _invalid("invalid_wait_status", _("Choose the status the ticket waits in."))
        if data.wait_hours is None or not 1 <= data.wait_hours <= MAX_WAIT_HOURS:
            raise _invalid(
                "invalid_wait_hours",
                _("The waiting time must be between 1 and %(limit)s hours."),
                limit=MAX_WAIT_HOURS,
            )
        wait_status, wait_hours = data.wait_status, data.wait_hours
    conditions = {
        key: _check_condition(key, value)
        for key, value in data.conditions.items()
        if value not in (None, "")
    }
    if not data.actions:
        raise _invalid("no_actions", _("A rule needs at least one action."))
    if len(data.actions) > 10:
        raise _invalid("too_many", _("A rule has at most 10 actions."))
    actions = [_check_action(a) for a in data.actions]
    if not 0 <= data.position <= 10_000:
        raise _invalid("invalid_position", _("The position must be between 0 and 10000."))
    return RuleInput(
        name=name,
        trigger=data.trigger,
        conditions=conditions,
        actions=actions,
        wait_status=wait_status,
        wait_hours=wait_hours,
        is_active=data.is_active,
        position=data.position,
    )


def save_rule(
    data: RuleInput, *, actor: User, rule: AutomationRule | None = None
) -> AutomationRule:
    """Create or change an automation rule (admins only). A time-based rule gets a timer for
    every ticket already waiting in its status, counted from when the ticket entered it."""
    if not actor.is_admin:
        raise NotFound(_("Rule not found."))
    clean = validate_rule(data)
    now = timezone.now()
    with transaction.atomic():
        if rule is None:
            rule = AutomationRule(created_at=now, created_by=actor)
            verb = "automation.rule_created"
            before: dict[str, Any] = {}
        else:
            rule = AutomationRule.objects.select_for_update().get(pk=rule.pk)
            verb = "automation.rule_changed"
            before = _rule_data(rule)
        for attr in (
            "name",
            "trigger",
            "conditions",
            "actions",
            "wait_status",
            "wait_hours",
            "is_active",
            "position",
        ):
            setattr(rule, attr, getattr(clean, attr))
        rule.updated_at = now
        rule.save()
        record_event(
            verb,
            rule,
            actor=actor,
            at=now,
            data={"name": rule.name, "after": _rule_data(rule), "before": before},
        )
        if rule.is_time_based and rule.is_active:
            _schedule_waiting_tickets(rule)
    return rule


def _rule_data(rule: AutomationRule) -> dict[str, Any]:
    return {
        "trigger": rule.trigger,
        "conditions": rule.conditions,
        "actions": rule.actions,
        "wait_status": rule.wait_status,
        "wait_hours": rule.wait_hours,
        "is_active": rule.is_active,
    }


def _timer_key(rule_id: int, ticket_id: int) -> str:
    return f"automation.rule:{rule_id}:ticket:{ticket_id}"


def _schedule_waiting_tickets(rule: AutomationRule) -> None:
    """Timers for the tickets in the rule's status now (once, when the rule is saved)."""
    waiting = list(
        Ticket.objects.filter(status=rule.wait_status)
        .order_by("id")
        .values_list("pk", "created_at")[:10_000]
    )
    entered: dict[int, datetime] = {}
    for row in (
        Event.objects.filter(
            ticket_id__in=[pk for pk, _created in waiting], verb="ticket.status_changed"
        )
        .order_by("id")
        .values("ticket_id", "occurred_at", "data")
    ):
        if row["data"].get("to") == rule.wait_status and row["ticket_id"] is not None:
            entered[int(row["ticket_id"])] = row["occurred_at"]
    # A ticket the rule already ran on since it entered the status is not timed again (an
    # edit of the rule must not remind the same customer twice). A run is dated by the due
    # time of the timer that caused it, on the same timeline as the status events: the run's
    # own clock time is not (the demo loader records events at a backdated "now").
    runs = list(
        RuleRun.objects.filter(rule=rule, ticket_id__in=[pk for pk, _created in waiting])
        .order_by("id")
        .values_list("ticket_id", "trigger_key", "created_at")
    )
    timer_ids = [
        int(key.removeprefix("timer:"))
        for _ticket, key, _at in runs
        if key.startswith("timer:") and key.removeprefix("timer:").isdigit()
    ]
    timer_due = dict(DueItem.objects.filter(pk__in=timer_ids).values_list("pk", "due_at"))
    last_run: dict[int, datetime] = {}
    for ticket_id, key, at in runs:
        timer = key.removeprefix("timer:")
        due = timer_due.get(int(timer)) if key.startswith("timer:") and timer.isdigit() else None
        last_run[int(ticket_id)] = due if due is not None else at
    for pk, created in waiting:
        since = entered.get(int(pk), created)
        ran = last_run.get(int(pk))
        if ran is not None and ran >= since:
            continue
        schedule_time_rule(rule, ticket_id=pk, entered_at=since)


def schedule_time_rule(rule: AutomationRule, *, ticket_id: int, entered_at: datetime) -> None:
    """The timer of ``rule`` for a ticket that entered its status at ``entered_at``."""
    assert rule.wait_hours is not None
    schedule(
        TIME_RULE,
        key=_timer_key(rule.pk, ticket_id),
        due_at=entered_at + timedelta(hours=rule.wait_hours),
        data={"rule": rule.pk, "ticket": ticket_id, "entered_at": entered_at.isoformat()},
    )


def time_rules() -> list[AutomationRule]:
    """The active time rules (read once for a batch of status events)."""
    return list(AutomationRule.objects.filter(trigger=Trigger.TIME_IN_STATUS, is_active=True))


def track_status_for_time_rules(event: Event, *, rules: list[AutomationRule] | None = None) -> None:
    """A ticket entered or left a status: start or cancel the timers of the time rules
    (``rules``: ``time_rules()`` when the caller read them already)."""
    ticket_id = int(event.ticket_id or 0)
    status = TicketStatus.NEW if event.verb == "ticket.created" else str(event.get("to"))
    for rule in time_rules() if rules is None else rules:
        if rule.wait_status == status:
            schedule_time_rule(rule, ticket_id=ticket_id, entered_at=event.occurred_at)
        else:
            cancel(TIME_RULE, key=_timer_key(rule.pk, ticket_id))


def triggers_of(event: Event) -> list[str]:
    """The triggers an event stands for (a customer's message is "the customer writes")."""
    if event.verb == "ticket.message_added":
        return [Trigger.CUSTOMER_REPLIED] if event.get("kind") == MessageKind.CUSTOMER else []
    return [t for t, verb in TRIGGER_VERBS.items() if verb == event.verb]


def chains_of(events: list[Event]) -> dict[int, list[int]]:
    """The chain of rules that caused each event (events nobody's rule caused are absent)."""
    return dict(
        CausedEvent.objects.filter(event_id__in=[e.pk for e in events]).values_list(
            "event_id", "chain"
        )
    )


def event_rules() -> list[AutomationRule]:
    """The active rules triggered by events, in order (read once for a batch of events)."""
    return list(
        AutomationRule.objects.filter(is_active=True)
        .exclude(trigger=Trigger.TIME_IN_STATUS)
        .order_by("position", "id")
    )


def run_rules_for_event(
    event: Event, *, chain: list[int], rules: list[AutomationRule] | None = None
) -> list[RuleRun]:
    """Run every active rule of the event's trigger whose conditions hold, in order, on the
    event's ticket; a rule already in ``chain`` (it caused the event) is skipped. ``rules``:
    ``event_rules()`` when the caller read them already."""
    triggers = triggers_of(event)
    if not triggers or event.ticket_id is None or len(chain) >= MAX_CHAIN:
        return []
    if rules is None:
        rules = event_rules()
    candidates = [r for r in rules if r.trigger in triggers and r.pk not in chain]
    if not candidates:
        return []  # no rule to check: the ticket is neither locked nor read
    with transaction.atomic():
        # Which rules apply is decided once, on the ticket as the event left it: a rule's
        # change is a new event of its own (with its chain), never a reason for the next
        # rule of this same event to match.
        ticket = _locked_ticket(int(event.ticket_id))
        if ticket is None:
            return []
        tags = set(ticket.tags.values_list("name", flat=True))
        wanted = [
            rule
            for rule in candidates
            if rule_conditions.matches(rule.conditions, ticket, tags=tags)
        ]
        runs = []
        for rule in wanted:
            run = run_rule(
                rule,
                ticket_id=ticket.pk,
                key=f"event:{event.pk}",
                chain=chain,
                conditions_checked=True,
            )
            if run is not None:
                runs.append(run)
    return runs


def _locked_ticket(ticket_id: int) -> Ticket | None:
    """Lock the ticket row (only its own: nullable joins cannot be locked on PostgreSQL) and
    read it with what the conditions look at, in one statement; None if gone or closed."""
    ticket = (
        Ticket.objects.select_related("customer", "category", "team", "department", "owner")
        .select_for_update(of=("self",))
        .filter(pk=ticket_id)
        .first()
    )
    return None if ticket is None or ticket.is_closed else ticket


def run_time_rule(*, rule_id: int, ticket_id: int, timer_id: int) -> RuleRun | None:
    """A time rule's timer is due: run it if the ticket still waits in the rule's status."""
    rule = AutomationRule.objects.filter(
        pk=rule_id, is_active=True, trigger=Trigger.TIME_IN_STATUS
    ).first()
    if rule is None:
        return None
    current = Ticket.objects.filter(pk=ticket_id).values_list("status", flat=True).first()
    if current != rule.wait_status:
        return None
    return run_rule(rule, ticket_id=ticket_id, key=f"timer:{timer_id}", chain=[])


def run_rule(
    rule: AutomationRule,
    *,
    ticket_id: int,
    key: str,
    chain: list[int],
    conditions_checked: bool = False,
) -> RuleRun | None:
    """Run ``rule`` on the ticket if its conditions hold (once per trigger ``key``).

    Records ``automation.rule_applied`` naming the rule and what each action did, and marks
    the events the actions wrote with the chain (``chain`` + this rule).
    """
    with transaction.atomic():
        ticket = _locked_ticket(ticket_id)
        if ticket is None:
            return None
        if RuleRun.objects.filter(rule=rule, trigger_key=key).exists():
            return None
        tags = set(ticket.tags.values_list("name", flat=True))
        if not conditions_checked and not rule_conditions.matches(
            rule.conditions, ticket, tags=tags
        ):
            return None
        now = timezone.now()
        marker = Event.objects.order_by("-id").values_list("id", flat=True).first() or 0
        run_chain = [*chain, rule.pk]
        run = RuleRun.objects.create(
            rule=rule, ticket_id=ticket_id, trigger_key=key, chain=run_chain, created_at=now
        )
        outcomes: list[dict[str, Any]] = []
        recipients: list[User] = []
        for action in rule.actions:
            try:
                with transaction.atomic():
                    fresh = Ticket.objects.select_related(
                        "customer", "category", "team", "department", "owner"
                    ).get(pk=ticket_id)
                    recipients += _apply_action(rule, fresh, action, run_chain)
                outcomes.append({**action, "done": True})
            except DomainError as error:
                outcomes.append({**action, "done": False, "error": str(error)})
        caused = list(
            Event.objects.filter(ticket_id=ticket_id, id__gt=marker).values_list("id", flat=True)
        )
        CausedEvent.objects.bulk_create(
            [CausedEvent(event_id=pk, run=run, chain=run_chain) for pk in caused],
            ignore_conflicts=True,
        )
        run.outcomes = outcomes
        run.save(update_fields=["outcomes"])
        event = record_event(
            "automation.rule_applied",
            ticket,
            ticket_id=ticket_id,
            customer_id=ticket.customer_id,
            at=now,
            data={
                "rule": rule.pk,
                "name": rule.name,
                "trigger": key,
                "chain": run_chain,
                "actions": outcomes,
            },
        )
        CausedEvent.objects.create(event_id=event.pk, run=run, chain=run_chain)
        if recipients:
            notify(event, recipients)
    return run


def _acting_user(rule: AutomationRule, ticket: Ticket) -> User:
    """Who a reply or a status change is made as: the ticket's owner (the customer's one
    contact), else the admin who wrote the rule."""
    user = ticket.owner or rule.created_by
    if user is None or not can_work_ticket(user):
        raise ValidationFailed(_("Nobody can act for this rule on this ticket."), code="no_actor")
    return user


def _apply_action(
    rule: AutomationRule, ticket: Ticket, action: dict[str, Any], chain: list[int]
) -> list[User]:
    """Do one action through the service that owns the change; returns whom to notify."""
    kind, value = action["type"], action.get("value")
    details = {"rule": rule.pk, "rule_name": rule.name, "chain": chain}
    if kind == ActionType.SET_PRIORITY:
        tickets.apply_automatic_changes(
            ticket,
            tickets.TicketChanges(priority=_int(value)),
            reason="automation",
            details=details,
        )
    elif kind == ActionType.SET_KIND:
        tickets.apply_automatic_changes(
            ticket, tickets.TicketChanges(kind=value), reason="automation", details=details
        )
    elif kind == ActionType.SET_QUEUE:
        team = Team.objects.filter(pk=_int(value)).first()
        if team is None:
            raise tickets.unknown_reference("team", value)
        tickets.apply_automatic_changes(
            ticket,
            tickets.TicketChanges(team=team, department=team.department),
            reason="automation",
            details=details,
        )
    elif kind == ActionType.ADD_TAG:
        names = sorted({*ticket.tags.values_list("name", flat=True), str(value)})
        tickets.apply_automatic_changes(
            ticket, tickets.TicketChanges(tags=names), reason="automation", details=details
        )
    elif kind == ActionType.ASSIGN:
        owner = User.objects.filter(pk=_int(value)).first()
        if owner is None:
            raise tickets.unknown_reference("owner", value)
        if ticket.owner_id != owner.pk and (
            triage.assign_owner(ticket, owner=owner, source="automation", details=details) is None
        ):
            raise Conflict(
                _("An agent chose this ticket's owner; a rule does not override that."),
                code="owner_chosen_by_agent",
            )
    elif kind == ActionType.SET_STATUS:
        if ticket.status != value:
            tickets.change_status(ticket, status=str(value), actor=_acting_user(rule, ticket))
    elif kind == ActionType.SEND_TEMPLATE:
        template = ReplyTemplate.objects.filter(pk=_int(value), is_active=True).first()
        if template is None:
            raise ValidationFailed(_("The rule's reply template is gone."), code="no_template")
        agent = _acting_user(rule, ticket)
        body = render_template(template.body, ticket_values(ticket, agent=agent))
        tickets.reply_to_customer(ticket, body=body, actor=agent)
    elif kind == ActionType.CREATE_TASK:
        department = Department.objects.filter(pk=_int(value)).first()
        if department is None:
            raise tickets.unknown_reference("department", value)
        collaboration.open_task(
            ticket,
            department=department,
            description=_("Asked by the automation rule “%(name)s”.") % {"name": rule.name},
            actor=_acting_user(rule, ticket),
        )
    elif kind == ActionType.NOTIFY:
        return _recipients(ticket, str(value))
    return []


def _recipients(ticket: Ticket, recipient: str) -> list[User]:
    if recipient == Recipient.OWNER:
        return [ticket.owner] if ticket.owner else []
    if recipient == Recipient.SUPERVISOR:
        supervisor = ticket.team.supervisor if ticket.team else None
        return [supervisor] if supervisor else []
    head = ticket.department.head if ticket.department else None
    return [head] if head else []


def preview_rule(data: RuleInput, *, limit: int = 50) -> list[Ticket]:
    """The open tickets the rule's conditions match now (a time rule: those that have waited
    in its status long enough). Nothing is saved."""
    clean = validate_rule(data)
    rows = Ticket.objects.filter(status__in=OPEN_STATUSES).filter(
        rule_conditions.as_filter(clean.conditions)
    )
    if clean.trigger == Trigger.TIME_IN_STATUS and clean.wait_hours is not None:
        rows = rows.filter(status=clean.wait_status)
    return list(
        rows.select_related("customer", "owner", "team")
        .distinct()
        .order_by("-updated_at", "-id")[:limit]
    )


# --- Complaint playbook ------------------------------------------------------------------------


def _step_key(complaint: Complaint, stage: str) -> str:
    return f"automation.complaint:{complaint.pk}:{stage}"


def _progress_key(complaint: Complaint) -> str:
    return f"automation.complaint:{complaint.pk}:progress"


def start_complaint(ticket_id: int, *, at: datetime | None = None) -> Complaint | None:
    """Open the playbook of a complaint ticket (once): the acceptance stage, owned by the
    ticket's owner, due by the policy; and the timer of the progress update."""
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().filter(pk=ticket_id).first()
        if ticket is None or ticket.is_closed or Complaint.objects.filter(ticket=ticket).exists():
            return None
        now = at or timezone.now()
        complaint = Complaint.objects.create(ticket=ticket, created_at=now, updated_at=now)
        _start_step(complaint, Stage.ACCEPTANCE, owner_id=ticket.owner_id, at=now, due_at=None)
        progress_due = sla.playbook_due(ticket, metric=Metric.PROGRESS_UPDATE, start=now)
        if progress_due is not None:
            schedule(
                PROGRESS_DUE,
                key=_progress_key(complaint),
                due_at=progress_due,
                data={"complaint": complaint.pk},
            )
        record_event(
            "automation.complaint_started",
            ticket,
            ticket_id=ticket.pk,
            customer_id=ticket.customer_id,
            at=now,
            data={"complaint": complaint.pk},
        )
    return complaint


def _start_step(
    complaint: Complaint, stage: str, *, owner_id: int | None, at: datetime, due_at: datetime | None
) -> ComplaintStep:
    """Start ``stage``, due at ``due_at`` if the agent chose it, else by the ticket's policy
    (counted in its target's calendar); a policy without that target sets no due time."""
    if due_at is None:
        due_at = sla.playbook_due(complaint.ticket, metric=STAGE_TARGETS[stage], start=at)
    step = ComplaintStep.objects.create(
        complaint=complaint, stage=stage, owner_id=owner_id, started_at=at, due_at=due_at
    )
    if due_at is not None:
        schedule(STAGE_DUE, key=_step_key(complaint, stage), due_at=due_at, data={"step": step.pk})
    return step


def get_complaint(ticket: Ticket) -> Complaint | None:
    return Complaint.objects.filter(ticket_id=ticket.pk).first()


@dataclass
class StageInput:
    """What finishing the current stage records (only the stage's own fields are read)."""

    stage: str
    what_where: str = ""
    expectation: str = ""
    plan_kind: str = ""
    plan_options: str = ""
    execution_note: str = ""
    lesson: str = ""
    next_owner: User | None = None
    next_due_at: datetime | None = None


def complete_stage(ticket: Ticket, data: StageInput, *, actor: User) -> Complaint:
    """Finish the complaint's current stage and start the next one.

    ``data.stage`` must be the current stage (a stale page is refused). The diagnosis needs
    what happened and where and what the customer expects; whether it happened before is
    read from the customer's history. The plan needs its kind and the options offered. The
    execution cannot finish before a progress update reached the customer. The review needs
    the lesson, and ends the playbook.
    """
    if not can_work_ticket(actor):
        raise PermissionDenied(
            _("Your role may add internal notes to this ticket but not change it."),
            code="read_only_role",
        )
    if data.stage not in STAGE_ORDER:
        raise ValidationFailed(_("Unknown stage."), code="invalid_stage")
    fields: dict[str, Any] = {}
    if data.stage == Stage.DIAGNOSIS:
        fields["what_where"] = _text(
            data.what_where, label=str(_("What happened, and where")), limit=5000
        )
        fields["expectation"] = _text(
            data.expectation, label=str(_("What the customer expects")), limit=5000
        )
    elif data.stage == Stage.PLAN:
        if data.plan_kind not in PlanKind.values:
            raise ValidationFailed(_("Choose the kind of plan."), code="invalid_plan_kind")
        fields["plan_kind"] = data.plan_kind
        fields["plan_options"] = _text(
            data.plan_options, label=str(_("Options offered")), limit=5000
        )
    elif data.stage == Stage.EXECUTION:
        fields["execution_note"] = _text(
            data.execution_note, label=str(_("What was done")), limit=5000
        )
    elif data.stage == Stage.REVIEW:
        fields["lesson"] = _text(data.lesson, label=str(_("Lesson")), limit=5000)
    if data.next_owner is not None and (
        not data.next_owner.is_active or not can_work_ticket(data.next_owner)
    ):
        raise ValidationFailed(_("This person cannot own a stage."), code="invalid_owner")
    now = timezone.now()
    if data.next_due_at is not None:
        check_datetime(data.next_due_at, label=str(_("Next stage due")))
    if data.next_due_at is not None and data.next_due_at <= now:
        raise ValidationFailed(_("A stage must be due in the future."), code="due_in_the_past")
    with transaction.atomic():
        # The fixed lock order: the ticket first, then its complaint.
        locked_ticket = Ticket.objects.select_for_update().filter(pk=ticket.pk).first()
        if locked_ticket is None:
            raise NotFound(_("Ticket not found."))
        if locked_ticket.is_closed:
            raise Conflict(_("A closed ticket cannot change any more."), code="ticket_closed")
        complaint = Complaint.objects.select_for_update().filter(ticket=locked_ticket).first()
        if complaint is None:
            raise NotFound(_("This ticket has no complaint playbook."))
        if complaint.stage != data.stage:
            raise ValidationFailed(
                _("This stage is not the current one; reload the ticket."), code="stale_stage"
            )
        if data.stage == Stage.EXECUTION and complaint.progress_sent_at is None:
            raise ValidationFailed(
                _("Send the customer a progress update before finishing the execution."),
                code="no_progress_update",
            )
        if data.stage == Stage.DIAGNOSIS:
            earlier = earlier_complaints(locked_ticket)
            fields["earlier_tickets"] = earlier
            fields["has_happened_before"] = bool(earlier)
        for name, value in fields.items():
            setattr(complaint, name, value)
        step = ComplaintStep.objects.select_for_update().get(complaint=complaint, stage=data.stage)
        step.completed_at = now
        step.save(update_fields=["completed_at"])
        cancel(STAGE_DUE, key=_step_key(complaint, data.stage))
        position = STAGE_ORDER.index(Stage(data.stage))
        next_stage = STAGE_ORDER[position + 1] if position + 1 < len(STAGE_ORDER) else Stage.DONE
        complaint.stage = next_stage
        complaint.updated_at = now
        complaint.save(update_fields=[*fields, "stage", "updated_at"])
        if next_stage != Stage.DONE:
            owner = data.next_owner or locked_ticket.owner or actor
            _start_step(complaint, next_stage, owner_id=owner.pk, at=now, due_at=data.next_due_at)
        else:
            cancel(PROGRESS_DUE, key=_progress_key(complaint))
        record_event(
            "automation.complaint_stage_completed",
            locked_ticket,
            actor=actor,
            ticket_id=locked_ticket.pk,
            customer_id=locked_ticket.customer_id,
            at=now,
            data={
                "complaint": complaint.pk,
                "stage": data.stage,
                "next": next_stage,
                **{k: v for k, v in fields.items() if k != "earlier_tickets"},
                "earlier_tickets": fields.get("earlier_tickets", []),
            },
        )
    return complaint


def earlier_complaints(ticket: Ticket) -> list[int]:
    """The customer's earlier complaints, and earlier tickets of the same category, in the
    last ``HISTORY_DAYS`` (newest first): the answer to "has it happened before"."""
    since = ticket.created_at - timedelta(days=HISTORY_DAYS)
    rows = Ticket.objects.filter(
        customer_id=ticket.customer_id, created_at__gte=since, created_at__lt=ticket.created_at
    ).exclude(pk=ticket.pk)
    same = rows.filter(kind=TicketType.COMPLAINT)
    if ticket.category_id is not None:
        same = same | rows.filter(category_id=ticket.category_id)
    return list(same.order_by("-created_at", "-id").values_list("pk", flat=True)[:20])


def send_progress_update(ticket: Ticket, *, body: str, actor: User) -> Complaint:
    """Tell the customer how the complaint is going (a reply), and record it as its progress
    update."""
    with transaction.atomic():
        tickets.reply_to_customer(ticket, body=body, actor=actor)
        complaint = Complaint.objects.select_for_update().filter(ticket_id=ticket.pk).first()
        if complaint is None:
            raise NotFound(_("This ticket has no complaint playbook."))
        record_progress(complaint, at=timezone.now(), actor=actor)
    return complaint


def record_progress(complaint: Complaint, *, at: datetime, actor: User | None) -> bool:
    """A reply reached the customer after acceptance: the first one is the progress update
    (cancels its warning). Returns whether this was it."""
    if complaint.progress_sent_at is not None:
        return False
    accepted = ComplaintStep.objects.filter(
        complaint=complaint, stage=Stage.ACCEPTANCE, completed_at__lte=at
    ).exists()
    if not accepted:
        return False  # the first response is not a progress update
    complaint.progress_sent_at = at
    complaint.save(update_fields=["progress_sent_at"])
    cancel(PROGRESS_DUE, key=_progress_key(complaint))
    record_event(
        "automation.complaint_progress_sent",
        complaint.ticket,
        actor=actor,
        ticket_id=complaint.ticket_id,
        customer_id=complaint.ticket.customer_id,
        at=at,
        data={"complaint": complaint.pk},
    )
    return True


def _escalation_recipients(ticket: Ticket, owner: User | None) -> list[User]:
    people = [owner, ticket.owner]
    if ticket.team_id and ticket.team and ticket.team.supervisor:
        people.append(ticket.team.supervisor)
    if ticket.department_id and ticket.department and ticket.department.head:
        people.append(ticket.department.head)
    return [p for p in people if p is not None]


def mark_stage_overdue(step_id: int) -> bool:
    """A stage ran past its due time: record the escalation (once) and tell its owner, the
    ticket's owner, the queue's supervisor and the department head."""
    with transaction.atomic():
        step = (
            # Lock the step row only (the owner is a nullable join PostgreSQL cannot lock).
            ComplaintStep.objects.select_for_update(of=("self",))
            .select_related("complaint", "owner")
            .filter(pk=step_id)
            .first()
        )
        if step is None or step.completed_at is not None or step.escalated_at is not None:
            return False
        ticket = Ticket.objects.select_related("team__supervisor", "department__head", "owner").get(
            pk=step.complaint.ticket_id
        )
        now = timezone.now()
        step.escalated_at = now
        step.save(update_fields=["escalated_at"])
        event = record_event(
            "automation.complaint_stage_overdue",
            ticket,
            ticket_id=ticket.pk,
            customer_id=ticket.customer_id,
            at=now,
            data={
                "complaint": step.complaint_id,
                "stage": step.stage,
                "due_at": step.due_at.isoformat() if step.due_at else None,
                "owner": step.owner_id,
            },
        )
        notify(event, _escalation_recipients(ticket, step.owner))
    return True


def warn_progress_missing(complaint_id: int) -> bool:
    """No progress update reached the customer by the policy's time: warn (once)."""
    with transaction.atomic():
        complaint = Complaint.objects.select_for_update().filter(pk=complaint_id).first()
        if complaint is None or complaint.progress_sent_at is not None:
            return False
        if complaint.stage == Stage.DONE:
            return False
        ticket = Ticket.objects.select_related("team__supervisor", "department__head", "owner").get(
            pk=complaint.ticket_id
        )
        if ticket.is_closed:
            return False
        event = record_event(
            "automation.complaint_progress_missing",
            ticket,
            ticket_id=ticket.pk,
            customer_id=ticket.customer_id,
            data={"complaint": complaint.pk},
        )
        notify(event, _escalation_recipients(ticket, None))
    return True


def follow_ticket_owner(ticket_id: int) -> int:
    """The ticket got an owner: the open stage nobody owns yet becomes theirs (the stage
    started before anyone owned the ticket). Returns how many stages changed."""
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().filter(pk=ticket_id).first()
        if ticket is None or ticket.owner_id is None:
            return 0
        steps = list(
            ComplaintStep.objects.select_for_update().filter(
                complaint__ticket_id=ticket_id, owner__isnull=True, completed_at__isnull=True
            )
        )
        for step in steps:
            step.owner_id = ticket.owner_id
            step.save(update_fields=["owner"])
            record_event(
                "automation.complaint_stage_assigned",
                ticket,
                ticket_id=ticket.pk,
                customer_id=ticket.customer_id,
                data={"complaint": step.complaint_id, "stage": step.stage, "to": ticket.owner_id},
            )
    return len(steps)
