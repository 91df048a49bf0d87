"""Read paths for triage: rules, a ticket's decisions, and how often agents corrected them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncWeek
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bihuan.accounts.models import User
from bihuan.core.errors import NotFound
from bihuan.tickets.choices import Emotion, Priority, TicketType
from bihuan.tickets.models import Category
from bihuan.tickets.permissions import visible_tickets
from bihuan.triage.choices import TriageField
from bihuan.triage.models import ModelVersion, TriageDecision, TriageRule


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


def _label(field_name: str, value: str, categories: dict[str, str]) -> str:
    if field_name == TriageField.CATEGORY:
        return categories.get(value, value)
    choices = {
        TriageField.KIND: TicketType,
        TriageField.URGENCY: Priority,
        TriageField.EMOTION: Emotion,
    }[TriageField(field_name)]
    for choice_value, label in choices.choices:
        if str(choice_value) == value:
            return str(label)
    return value


def decisions_for_ticket(viewer: User, number: int) -> list[DecisionRow]:
    """The latest decision per field for a ticket the viewer may see, with readable values."""
    if not visible_tickets(viewer).filter(pk=number).exists():
        raise NotFound(_("Ticket not found."))
    latest: dict[str, TriageDecision] = {}
    for decision in TriageDecision.objects.filter(ticket_id=number).order_by("id"):
        latest[decision.field] = decision
    categories = (
        {str(c.pk): str(c) for c in Category.objects.select_related("parent")}
        if TriageField.CATEGORY in latest
        else {}
    )
    order = list(TriageField.values)
    return [
        DecisionRow(d, _label(d.field, d.value, categories))
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


def list_model_versions(viewer: User) -> QuerySet[ModelVersion]:
    if not viewer.sees_everything:
        raise NotFound(_("Page not found."))
    return ModelVersion.objects.order_by("field", "-trained_at", "-id")
