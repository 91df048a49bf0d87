"""Read paths for triage: rules, a ticket's decisions, and how often agents corrected them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import models
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncWeek
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bihuan.accounts.models import Skill, User
from bihuan.core.errors import NotFound
from bihuan.tickets.choices import Emotion, Priority, TicketType
from bihuan.tickets.models import Category, Ticket
from bihuan.tickets.permissions import visible_tickets
from bihuan.triage.choices import TriageField
from bihuan.triage.engine import Decision
from bihuan.triage.models import ModelVersion, RoutingRule, TriageDecision, TriageRule
from bihuan.triage.reasons import readable_reasons
from bihuan.triage.services import PreviewRow


def list_rules(viewer: User) -> QuerySet[TriageRule]:
    if not viewer.is_admin:
        raise NotFound(_("Page not found."))
    return TriageRule.objects.order_by("field", "position", "id")


def get_rule(viewer: User, rule_id: int) -> TriageRule:
    rule = list_rules(viewer).filter(pk=rule_id).first()
    if rule is None:
        raise NotFound(_("Rule not found."))
    return rule


@dataclass
class DecisionRow:
    decision: TriageDecision
    label: str

    @property
    def reasons(self) -> list[str]:
        """At most five readable words (decisions stored before the filter existed too)."""
        return readable_reasons(self.decision.reasons or [])


def category_names() -> dict[str, str]:
    """Category ids (as stored in rules and decisions) → names in the interface language."""
    return {str(c.pk): str(c) for c in Category.objects.select_related("parent")}


def value_label(field_name: str, value: str, categories: dict[str, str]) -> str:
    """The translated label of a field's stored value (a category's name for categories)."""
    if field_name == TriageField.CATEGORY:
        return categories.get(value, value)
    by_field: dict[str, type[models.Choices]] = {
        TriageField.KIND: TicketType,
        TriageField.URGENCY: Priority,
        TriageField.EMOTION: Emotion,
    }
    choices = by_field.get(field_name)
    for choice_value, label in choices.choices if choices else []:
        if str(choice_value) == value:
            return str(label)
    return value


@dataclass
class RuleRow:
    rule: TriageRule
    value_label: str

    @property
    def patterns_preview(self) -> str:
        """The first patterns on one line (the list stays readable on a phone)."""
        patterns = [line.strip() for line in self.rule.patterns.splitlines() if line.strip()]
        text = " · ".join(patterns)
        return text if len(text) <= 90 else text[:89] + "…"


def list_rule_rows(viewer: User) -> list[RuleRow]:
    """The rules page: every rule with its value's label (two queries)."""
    rules = list(list_rules(viewer))
    categories = category_names()
    return [RuleRow(rule, value_label(rule.field, rule.value, categories)) for rule in rules]


@dataclass
class PreviewLine:
    """One ticket of a rule preview, with labels instead of stored values."""

    ticket: Ticket
    before: str
    before_confidence: float | None
    after: str
    after_confidence: float | None
    reasons: list[str]
    is_changed: bool


def preview_rows(rows: list[PreviewRow]) -> list[PreviewLine]:
    categories = category_names()

    def label(decision: Decision | None) -> str:
        return value_label(decision.field, decision.value, categories) if decision else ""

    return [
        PreviewLine(
            ticket=row.ticket,
            before=label(row.before),
            before_confidence=row.before.confidence if row.before else None,
            after=label(row.after),
            after_confidence=row.after.confidence if row.after else None,
            reasons=readable_reasons(row.after.reasons) if row.after else [],
            is_changed=row.is_changed,
        )
        for row in rows
    ]


def list_routing_rules(viewer: User) -> list[RoutingRule]:
    """Routing rules in the order they are tried, with what they name (admins only)."""
    if not viewer.is_admin:
        raise NotFound(_("Page not found."))
    return list(
        RoutingRule.objects.select_related("team", "department", "category", "category__parent")
        .prefetch_related("required_skills")
        .order_by("position", "id")
    )


def get_routing_rule(viewer: User, rule_id: int) -> RoutingRule:
    if not viewer.is_admin:
        raise NotFound(_("Rule not found."))
    rule = RoutingRule.objects.prefetch_related("required_skills").filter(pk=rule_id).first()
    if rule is None:
        raise NotFound(_("Rule not found."))
    return rule


def skill_holders(skills: list[Skill]) -> dict[int, list[User]]:
    """The active users holding each skill (one query)."""
    holders: dict[int, list[User]] = {}
    through = User.skills.through.objects.filter(
        skill_id__in=[s.pk for s in skills], user__is_active=True
    ).select_related("user")
    for row in through.order_by("user__username"):
        holders.setdefault(row.skill_id, []).append(row.user)
    return holders


def decisions_for_ticket(viewer: User, number: int) -> list[DecisionRow]:
    """The latest decision per field for a ticket the viewer may see, with readable values."""
    if not visible_tickets(viewer).filter(pk=number).exists():
        raise NotFound(_("Ticket not found."))
    latest: dict[str, TriageDecision] = {}
    for decision in TriageDecision.objects.filter(ticket_id=number).order_by("id"):
        latest[decision.field] = decision
    categories = category_names() if TriageField.CATEGORY in latest else {}
    order = list(TriageField.values)
    return [
        DecisionRow(d, value_label(d.field, d.value, categories))
        for d in sorted(latest.values(), key=lambda d: order.index(d.field))
    ]


@dataclass
class AccuracyRow:
    field: str
    week: date
    decided: int
    applied: int
    corrected: int

    @property
    def correction_rate(self) -> float:
        return self.corrected / self.decided if self.decided else 0.0

    @property
    def field_label(self) -> str:
        return str(TriageField(self.field).label)


def accuracy_by_week(viewer: User, *, weeks: int = 12) -> list[AccuracyRow]:
    """Per field and week: decisions taken, applied, and corrected by agents."""
    if not viewer.sees_everything:
        raise NotFound(_("Page not found."))
    since = timezone.now() - timedelta(weeks=weeks)
    rows = (
        TriageDecision.objects.filter(created_at__gte=since)
        .annotate(week=TruncWeek("created_at"))
        .values("field", "week")
        .annotate(
            decided=Count("id"),
            applied=Count("id", filter=Q(is_applied=True)),
            corrected=Count("id", filter=Q(corrected_at__isnull=False)),
        )
        .order_by("field", "-week")
    )
    return [
        AccuracyRow(
            field=row["field"],
            week=row["week"].date() if hasattr(row["week"], "date") else row["week"],
            decided=row["decided"],
            applied=row["applied"],
            corrected=row["corrected"],
        )
        for row in rows
    ]


CORRECTION_WINDOW_DAYS = 28


@dataclass
class FieldAccuracy:
    """Two honest figures for one field: how the current model did on tickets it never saw
    in training (held out), and how often agents changed triage's decisions lately."""

    field: str
    model: ModelVersion | None
    decided: int
    corrected: int

    @property
    def field_label(self) -> str:
        return str(TriageField(self.field).label)

    @property
    def held_out_accuracy(self) -> float | None:
        value = (self.model.metrics or {}).get("accuracy") if self.model else None
        return float(value) if isinstance(value, int | float) else None

    @property
    def held_out_count(self) -> int | None:
        value = (self.model.metrics or {}).get("held_out") if self.model else None
        return int(value) if isinstance(value, int | float) else None

    @property
    def held_out_percent(self) -> int | None:
        accuracy = self.held_out_accuracy
        return round(accuracy * 100) if accuracy is not None else None

    @property
    def correction_percent(self) -> int | None:
        return round(100 * self.corrected / self.decided) if self.decided else None

    @property
    def figures_disagree(self) -> bool:
        """A model that looks better on paper than in the team's hands (10 points apart)."""
        held, corrected = self.held_out_percent, self.correction_percent
        return held is not None and corrected is not None and held - (100 - corrected) >= 10


def accuracy_summary(viewer: User) -> list[FieldAccuracy]:
    """Per field: the active model's held-out accuracy and the correction rate of the last
    four weeks (two queries)."""
    if not viewer.sees_everything:
        raise NotFound(_("Page not found."))
    since = timezone.now() - timedelta(days=CORRECTION_WINDOW_DAYS)
    counts = {
        row["field"]: row
        for row in TriageDecision.objects.filter(created_at__gte=since)
        .values("field")
        .annotate(
            decided=Count("id"),
            corrected=Count("id", filter=Q(corrected_at__isnull=False)),
        )
    }
    models = {m.field: m for m in ModelVersion.objects.filter(is_active=True)}
    return [
        FieldAccuracy(
            field=field_name,
            model=models.get(field_name),
            decided=counts.get(field_name, {}).get("decided", 0),
            corrected=counts.get(field_name, {}).get("corrected", 0),
        )
        for field_name in TriageField.values
    ]


def list_model_versions(viewer: User) -> QuerySet[ModelVersion]:
    if not viewer.sees_everything:
        raise NotFound(_("Page not found."))
    return ModelVersion.objects.order_by("field", "-trained_at", "-id")
