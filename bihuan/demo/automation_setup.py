"""Automation for the demo: a few rules (complaints raised and tagged, waiting tickets
reminded after three days and solved after seven, breaches told to the supervisor) and the
open complaints' playbooks at each stage, so that a new user sees rules at work and a
complaint in every stage on first start."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from bihuan.accounts.choices import Role
from bihuan.accounts.models import User
from bihuan.automation import services
from bihuan.automation.choices import STAGE_ORDER, ActionType, PlanKind, Stage, Trigger
from bihuan.automation.models import AutomationRule, Complaint, RuleRun
from bihuan.core.models import DueItem, Event, WorkState
from bihuan.demo.conversation import Cast
from bihuan.knowledge.models import ReplyTemplate
from bihuan.tickets.choices import OPEN_STATUSES, TicketStatus, TicketType
from bihuan.tickets.models import Ticket

RULE_NAMES = ("投诉自动加急", "等待客户 3 天提醒", "等待客户 7 天自动解决", "SLA 超时通知主管")

# What each stage records when the demo walks a complaint through it.
STAGE_RECORDS: dict[str, dict[str, Any]] = {
    Stage.ACCEPTANCE: {},
    Stage.DIAGNOSIS: {
        "what_where": "客户在门店自提时被告知商品缺货，已往返两次",
        "expectation": "尽快拿到商品，并对来回奔波给个说法",
    },
    Stage.PLAN: {
        "plan_kind": PlanKind.COMPENSATION,
        "plan_options": "顺丰包邮到家，或补偿 30 元无门槛券",
    },
    Stage.EXECUTION: {"execution_note": "已安排顺丰寄出，券已发放"},
    Stage.REVIEW: {"lesson": "门店库存同步延迟：自提单下单前实时校验库存"},
}


def _rules(admin: User) -> list[services.RuleInput]:
    rules = [
        services.RuleInput(
            name=RULE_NAMES[0],
            trigger=Trigger.TICKET_CREATED,
            conditions={"kind": TicketType.COMPLAINT},
            actions=[
                {"type": ActionType.SET_PRIORITY, "value": 3},
                {"type": ActionType.ADD_TAG, "value": "投诉"},
            ],
            position=1,
        ),
        services.RuleInput(
            name=RULE_NAMES[2],
            trigger=Trigger.TIME_IN_STATUS,
            wait_status=TicketStatus.PENDING_CUSTOMER,
            wait_hours=7 * 24,
            actions=[{"type": ActionType.SET_STATUS, "value": TicketStatus.SOLVED}],
            position=3,
        ),
        services.RuleInput(
            name=RULE_NAMES[3],
            trigger=Trigger.SLA_BREACHED,
            actions=[{"type": ActionType.NOTIFY, "value": "supervisor"}],
            position=4,
        ),
    ]
    template = (
        ReplyTemplate.objects.filter(owner__isnull=True, is_active=True).order_by("id").first()
    )
    if template is not None:
        rules.insert(
            1,
            services.RuleInput(
                name=RULE_NAMES[1],
                trigger=Trigger.TIME_IN_STATUS,
                wait_status=TicketStatus.PENDING_CUSTOMER,
                wait_hours=3 * 24,
                actions=[{"type": ActionType.SEND_TEMPLATE, "value": template.pk}],
                position=2,
            ),
        )
    return rules


def set_up_automation(cast: Cast, ticket_ids: list[int]) -> dict[str, int]:
    """The demo rules (once) and the open complaints' playbooks, walked to every stage in
    turn (the first stays at acceptance, the next at diagnosis, …, one finished)."""
    admin = next(u for u in cast.users.values() if u.role == Role.ADMIN)
    existing = set(
        AutomationRule.objects.filter(name__in=RULE_NAMES).values_list("name", flat=True)
    )
    made = 0
    for rule in _rules(admin):
        if rule.name not in existing:
            services.save_rule(rule, actor=admin)
            made += 1
    complaints = list(
        Ticket.objects.filter(
            pk__in=ticket_ids, kind=TicketType.COMPLAINT, status__in=OPEN_STATUSES
        )
        .select_related("owner")
        .order_by("pk")
    )
    walked = 0
    for index, ticket in enumerate(complaints):
        services.start_complaint(ticket.pk, at=ticket.created_at)
        target = index % (len(STAGE_ORDER) + 1)  # 0: acceptance … 5: done
        actor = ticket.owner or cast.supervisor
        with transaction.atomic():
            for stage in STAGE_ORDER[:target]:
                complaint = Complaint.objects.get(ticket=ticket)
                if complaint.stage != stage:
                    continue
                if stage == Stage.EXECUTION and complaint.progress_sent_at is None:
                    services.send_progress_update(
                        ticket, body="您好，补偿已安排，快递单号稍后短信发给您。", actor=actor
                    )
                services.complete_stage(
                    ticket, services.StageInput(stage=stage, **STAGE_RECORDS[stage]), actor=actor
                )
        walked += 1
    return {"automation rules": made, "complaint playbooks": walked}


def delete_automation_setup() -> None:
    """Remove the demo rules, the runs of deleted tickets and their pending timers."""
    rules = AutomationRule.objects.filter(name__in=RULE_NAMES)
    Event.objects.filter(  # their audit trail goes with them
        subject_type="automation.automationrule", subject_id__in=rules.values("pk")
    ).delete()
    rules.delete()
    RuleRun.objects.exclude(ticket_id__in=Ticket.objects.values("pk")).delete()
    live_complaints = {
        f"automation.complaint:{pk}:" for pk in Complaint.objects.values_list("pk", flat=True)
    }
    live_rules = {
        f"automation.rule:{pk}:" for pk in AutomationRule.objects.values_list("pk", flat=True)
    }
    orphans: list[Any] = [
        item.pk
        for item in DueItem.objects.filter(kind__startswith="automation.", state=WorkState.PENDING)
        if not any(item.key.startswith(prefix) for prefix in live_complaints | live_rules)
    ]
    DueItem.objects.filter(pk__in=orphans).update(state=WorkState.CANCELLED)
