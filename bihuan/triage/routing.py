"""Routing rules: which queue or department a ticket belongs to."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from bihuan.accounts.models import Department, Skill, Team
from bihuan.tickets.models import Ticket
from bihuan.triage.choices import RuleLanguage
from bihuan.triage.models import RoutingRule


@dataclass
class Route:
    rule: RoutingRule
    team: Team | None
    department: Department | None
    skills: list[Skill] = field(default_factory=list)


def rule_matches(rule: RoutingRule, ticket: Ticket, *, language: str) -> bool:
    if rule.category_id is not None and rule.category_id not in {
        ticket.category_id,
        ticket.category.parent_id if ticket.category else None,
    }:
        return False
    if rule.kind and rule.kind != ticket.kind:
        return False
    if rule.channel and rule.channel != ticket.channel:
        return False
    if rule.customer_tier and rule.customer_tier != ticket.customer.tier:
        return False
    if rule.language != RuleLanguage.ANY and rule.language != language:
        return False
    return not (rule.min_urgency is not None and ticket.priority < rule.min_urgency)


def first_matching(
    rules: Iterable[RoutingRule], ticket: Ticket, *, language: str
) -> RoutingRule | None:
    """The first of ``rules`` (already in order) whose conditions all hold for ``ticket``."""
    return next((rule for rule in rules if rule_matches(rule, ticket, language=language)), None)


def active_rules() -> list[RoutingRule]:
    """The active routing rules in the order they are tried, with their queue and department."""
    return list(
        RoutingRule.objects.filter(is_active=True)
        .select_related("team", "department")
        .prefetch_related("required_skills")
        .order_by("position", "id")
    )


def find_route(ticket: Ticket, *, language: str) -> Route | None:
    """The first active rule (by position) whose conditions all hold."""
    rule = first_matching(active_rules(), ticket, language=language)
    if rule is None:
        return None
    return Route(rule, rule.team, rule.department, list(rule.required_skills.all()))
