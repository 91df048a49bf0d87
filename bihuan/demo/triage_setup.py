"""Triage for the demo: cold-start rules, routing to the demo queues, assignment strategies,
and the decisions triage would have taken on the historic tickets (so the accuracy view and
the ticket panels show real figures on first start)."""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from bihuan.accounts.choices import AssignmentStrategy, Availability, Role
from bihuan.demo.conversation import Cast
from bihuan.demo.material import organisation as org
from bihuan.tickets.models import Category, Ticket
from bihuan.triage.models import RoutingRule, TriageRule
from bihuan.triage.services import backfill_decisions, install_default_rules

# Queue → how it hands out new tickets.
STRATEGIES = {
    org.PRESALES: AssignmentStrategy.ROUND_ROBIN,
    org.AFTER_SALES_SERVICE: AssignmentStrategy.LEAST_OPEN,
    org.COMPLAINTS: AssignmentStrategy.LEAST_OPEN,
    org.VIP: AssignmentStrategy.MANUAL,
}
# (rule name, conditions, queue), tried in this order; the last one catches the rest.
ROUTES: tuple[tuple[str, dict[str, str], str], ...] = (
    ("VIP 客户进 VIP服务组", {"customer_tier": "vip"}, org.VIP),
    ("投诉进投诉处理组", {"kind": "complaint"}, org.COMPLAINTS),
    ("退款退货进售后服务组", {"category": "退款/退货"}, org.AFTER_SALES_SERVICE),
    ("物流问题进售后服务组", {"category": "物流/配送"}, org.AFTER_SALES_SERVICE),
    ("故障维修进售后服务组", {"category": "产品故障"}, org.AFTER_SALES_SERVICE),
    ("维修进售后服务组", {"category": "售后维修"}, org.AFTER_SALES_SERVICE),
    ("其余进售前咨询组", {}, org.PRESALES),
)


def set_up_triage(cast: Cast, ticket_ids: list[int]) -> dict[str, int]:
    """Install rules and routes for the demo organisation and backfill decisions."""
    install_default_rules()
    parents = {c.name: c for c in Category.objects.filter(parent__isnull=True)}
    routes = []
    for position, (name, conditions, queue) in enumerate(ROUTES, start=1):
        if RoutingRule.objects.filter(name=name).exists():
            continue
        category = parents.get(conditions.get("category", ""))
        routes.append(
            RoutingRule(
                name=name,
                position=position * 10,
                category=category,
                kind=conditions.get("kind", ""),
                customer_tier=conditions.get("customer_tier", ""),
                team=cast.teams[queue],
                department=cast.teams[queue].department,
            )
        )
    RoutingRule.objects.bulk_create(routes)
    for queue, strategy in STRATEGIES.items():
        team = cast.teams[queue]
        team.assignment_strategy = strategy
        team.save(update_fields=["assignment_strategy"])
    # The front line is at work when a new user first opens the demo.
    now = timezone.now()
    for user in cast.staff:
        if user.role in (Role.AGENT, Role.ADVISOR, Role.SUPERVISOR):
            user.availability = Availability.ONLINE
            user.availability_changed_at = now
            user.save(update_fields=["availability", "availability_changed_at"])
    decisions = backfill_decisions(ticket_ids)
    return {
        "triage rules": TriageRule.objects.filter(is_active=True).count(),
        "routing rules": RoutingRule.objects.filter(is_active=True).count(),
        "triage decisions": decisions,
    }


def delete_triage_setup(category_ids: list[int]) -> None:
    """Remove what ``set_up_triage`` created for the demo's categories and queues."""
    values = [str(pk) for pk in category_ids]
    TriageRule.objects.filter(field="category", value__in=values).delete()
    RoutingRule.objects.filter(
        Q(name__in=[name for name, _c, _q in ROUTES]) | Q(category_id__in=category_ids)
    ).delete()


def demo_ticket_ids(customer_ids: list[int]) -> list[int]:
    return list(Ticket.objects.filter(customer_id__in=customer_ids).values_list("pk", flat=True))
