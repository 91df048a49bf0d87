"""Triage use cases: decide, apply, route, assign, learn from corrections, train, roll back.

Decisions are recorded for every new ticket and every new customer message (all fields for
a new ticket; emotion and urgency for later messages). A decision at or above the confidence
threshold is applied — unless a person set that field on purpose — otherwise it stays a
suggestion on the ticket page. Changes go through the tickets services, so they are events.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Min, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bihuan.accounts.choices import AssignmentStrategy, Availability
from bihuan.accounts.models import Department, Skill, Team, User
from bihuan.core.digits import ascii_digits
from bihuan.core.errors import NotFound, ValidationFailed
from bihuan.core.events import record_event
from bihuan.core.models import Event
from bihuan.customers.choices import Tier
from bihuan.tickets import services as tickets
from bihuan.tickets.choices import (
    OPEN_STATUSES,
    Channel,
    Emotion,
    MessageKind,
    Priority,
    TicketType,
)
from bihuan.tickets.models import Category, Message, Ticket
from bihuan.triage import assignment
from bihuan.triage.choices import RuleLanguage, TriageField
from bihuan.triage.defaults import CATEGORY_KEYWORDS, KIND_RULES, URGENCY_RULES
from bihuan.triage.engine import ALL_FIELDS, Decision, Prediction, Predictor, decide
from bihuan.triage.models import ModelVersion, RoutingRule, TriageDecision, TriageRule
from bihuan.triage.models_store import active_predictors
from bihuan.triage.routing import active_rules, find_route, first_matching
from bihuan.triage.rules import CompiledRule, compile_patterns, compile_rules, detect_language

logger = logging.getLogger(__name__)

# Which ticket attribute each field decides, and how its value is written there.
FIELD_ATTRIBUTE: dict[str, str] = {
    TriageField.CATEGORY: "category_id",
    TriageField.KIND: "kind",
    TriageField.URGENCY: "priority",
    TriageField.EMOTION: "emotion",
}
# The field name in ``ticket.updated`` events and in ``ticket.created``'s ``explicit`` list.
EVENT_FIELD: dict[str, str] = {
    TriageField.CATEGORY: "category",
    TriageField.KIND: "kind",
    TriageField.URGENCY: "priority",
    TriageField.EMOTION: "emotion",
}
FOLLOW_UP_FIELDS = (TriageField.EMOTION, TriageField.URGENCY)


def threshold() -> float:
    return float(getattr(settings, "BIHUAN_TRIAGE_THRESHOLD", 0.6))


def ticket_text(ticket: Ticket, message: Message | None) -> str:
    body = message.body if message is not None else ""
    return f"{ticket.subject}\n{body}" if message is None or message.kind else body


def current_value(ticket: Ticket, field_name: str) -> str:
    value = getattr(ticket, FIELD_ATTRIBUTE[field_name])
    return "" if value is None else str(value)


def fields_set_by_people(ticket: Ticket) -> set[str]:
    """Fields a person chose: given explicitly at creation or changed by hand since."""
    chosen: set[str] = set()
    for event in Event.objects.filter(
        ticket_id=ticket.pk, verb__in=("ticket.created", "ticket.updated")
    ).only("verb", "actor_id", "data"):
        if event.verb == "ticket.created":
            chosen.update(event.data.get("explicit", []))
        elif event.actor_id is not None:
            chosen.update(event.data.get("changes", {}).keys())
    return {name for name, event_name in EVENT_FIELD.items() if event_name in chosen}


def category_parents() -> dict[str, str]:
    return {
        str(pk): str(parent)
        for pk, parent in Category.objects.filter(parent__isnull=False).values_list(
            "pk", "parent_id"
        )
    }


def _valid(field_name: str, value: str) -> bool:
    if field_name == TriageField.CATEGORY:
        # isascii: "²" and "①" pass str.isdigit() but not int().
        return ascii_digits(value) and Category.objects.filter(pk=int(value)).exists()
    if field_name == TriageField.KIND:
        return value in TicketType.values
    if field_name == TriageField.URGENCY:
        return ascii_digits(value) and int(value) in Priority.values
    return value in Emotion.values


def _change_for(field_name: str, value: str, changes: tickets.TicketChanges) -> None:
    if field_name == TriageField.CATEGORY:
        changes.category = Category.objects.get(pk=int(value))
    elif field_name == TriageField.KIND:
        changes.kind = value
    elif field_name == TriageField.URGENCY:
        changes.priority = int(value)
    else:
        changes.emotion = value


@dataclass
class TriageOutcome:
    decisions: list[TriageDecision]
    applied: list[str]


@dataclass(frozen=True)
class MessageToTriage:
    """One message a batch should triage, and which fields to decide for it."""

    ticket_id: int
    message_id: int
    fields: Iterable[str] = ALL_FIELDS


@dataclass
class _BatchPredictor:
    """A trained model asked once for a whole batch (one vectorised call), answering
    ``predict_one`` from those answers."""

    version: str
    inner: Predictor
    answers: dict[str, Prediction]

    @classmethod
    def for_texts(cls, predictor: Predictor, texts: list[str]) -> Predictor:
        classifier = getattr(predictor, "classifier", None)
        if classifier is None or not texts:
            return predictor
        answers = {
            text: Prediction(
                label=str(result.label),
                confidence=float(result.confidence),
                reasons=[str(term) for term in result.top_terms],
            )
            for text, result in zip(texts, classifier.predict(texts), strict=True)
        }
        return cls(predictor.version, predictor, answers)

    def predict_one(self, text: str) -> Prediction:
        answer = self.answers.get(text)
        return answer if answer is not None else self.inner.predict_one(text)


def triage_messages(batch: list[MessageToTriage]) -> list[TriageOutcome]:
    """Triage a batch of messages: rules compiled, models loaded and asked once for all of
    them, the tickets, messages and decisions so far read once for all of them; each ticket
    is then written in its own transaction (``_record_and_apply``, which reads it again under
    its lock).

    A message whose ticket or message is gone is skipped; one already triaged is unchanged.
    """
    if not batch:
        return []
    compiled = compile_rules(TriageRule.objects.filter(is_active=True))
    parents = category_parents()
    ticket_ids = {m.ticket_id for m in batch}
    tickets_by_id = {
        t.pk: t
        for t in Ticket.objects.select_related("customer", "category").filter(pk__in=ticket_ids)
    }
    messages = {
        m.pk: m
        for m in Message.objects.filter(pk__in={m.message_id for m in batch})
        if m.ticket_id in tickets_by_id
    }
    firsts = dict(
        Message.objects.filter(ticket_id__in=ticket_ids)
        .values("ticket_id")
        .annotate(first=Min("id"))
        .values_list("ticket_id", "first")
    )
    decided: dict[int, list[TriageDecision]] = {}
    for row in TriageDecision.objects.filter(message_id__in=list(messages)):
        if row.message_id is not None:
            decided.setdefault(row.message_id, []).append(row)
    openings = {
        pk: m.kind == MessageKind.CUSTOMER and firsts.get(m.ticket_id) == pk
        for pk, m in messages.items()
    }
    texts = {
        pk: _text_for(tickets_by_id[m.ticket_id], m, is_opening=openings[pk])
        for pk, m in messages.items()
        if pk not in decided
    }
    predictors = {
        name: _BatchPredictor.for_texts(predictor, list(texts.values()))
        for name, predictor in active_predictors().items()
    }
    outcomes = []
    for item in batch:
        message = messages.get(item.message_id)
        if message is None or message.ticket_id != item.ticket_id:
            continue  # the ticket was deleted (or merged away) before its turn came
        existing = decided.get(message.pk)
        if existing:
            outcomes.append(TriageOutcome(existing, [d.field for d in existing if d.is_applied]))
            continue
        outcome = _triage(
            tickets_by_id[message.ticket_id],
            message,
            is_first=openings[message.pk],
            fields=item.fields,
            predictors=predictors,
            compiled=compiled,
            parents=parents,
        )
        if outcome is not None:
            outcomes.append(outcome)
    return outcomes


def _is_opening(message: Message) -> bool:
    return (
        message.kind == MessageKind.CUSTOMER
        and not Message.objects.filter(ticket_id=message.ticket_id, pk__lt=message.pk).exists()
    )


def _text_for(ticket: Ticket, message: Message, *, is_opening: bool | None = None) -> str:
    """The opening message is read with the subject; later messages alone."""
    opening = _is_opening(message) if is_opening is None else is_opening
    return f"{ticket.subject}\n{message.body}" if opening else message.body


def triage_message(
    ticket_id: int,
    *,
    message_id: int,
    fields: Iterable[str] = ALL_FIELDS,
    predictors: Mapping[str, Predictor] | None = None,
    compiled: list[CompiledRule] | None = None,
    parents: Mapping[str, str] | None = None,
) -> TriageOutcome:
    """Decide the fields for a ticket's customer message, record and apply the decisions.

    Idempotent: a message already triaged returns its recorded decisions unchanged (checked
    again under the ticket's lock; the unique constraint per message and field is the last
    word when two runners race).
    """
    ticket = Ticket.objects.select_related("customer", "category").filter(pk=ticket_id).first()
    message = Message.objects.filter(pk=message_id, ticket_id=ticket_id).first()
    if ticket is None or message is None:
        raise NotFound(_("Ticket not found."))
    existing = list(TriageDecision.objects.filter(ticket_id=ticket_id, message_id=message_id))
    if existing:
        return TriageOutcome(existing, [d.field for d in existing if d.is_applied])
    outcome = _triage(
        ticket,
        message,
        is_first=_is_opening(message),
        fields=fields,
        predictors=predictors,
        compiled=compiled,
        parents=parents,
    )
    if outcome is None:
        raise NotFound(_("Ticket not found."))
    return outcome


def _triage(
    ticket: Ticket,
    message: Message,
    *,
    is_first: bool,
    fields: Iterable[str],
    predictors: Mapping[str, Predictor] | None,
    compiled: list[CompiledRule] | None,
    parents: Mapping[str, str] | None,
) -> TriageOutcome | None:
    """Decide and record one message (read already); None when its ticket is gone."""
    text = _text_for(ticket, message, is_opening=is_first)
    found = decide(
        text,
        rules=compile_rules(TriageRule.objects.filter(is_active=True))
        if compiled is None
        else compiled,
        predictors=active_predictors() if predictors is None else predictors,
        fields=fields,
        category_parents=category_parents() if parents is None else parents,
    )
    try:
        return _record_and_apply(ticket.pk, message, found, is_first=is_first)
    except IntegrityError:
        # Another runner recorded this message's decisions first: keep theirs.
        existing = list(TriageDecision.objects.filter(ticket_id=ticket.pk, message_id=message.pk))
        return TriageOutcome(existing, [d.field for d in existing if d.is_applied])
    except NotFound:
        return None


def _record_and_apply(
    ticket_id: int, message: Message, found: dict[str, Decision], *, is_first: bool
) -> TriageOutcome:
    now = timezone.now()
    limit = threshold()
    with transaction.atomic():
        # Lock the ticket and read it in one statement: an agent's change is either committed
        # before (and then seen here, never overwritten) or waits for this transaction.
        ticket = _ticket_for_routing().select_for_update(of=("self",)).filter(pk=ticket_id).first()
        if ticket is None:
            raise NotFound(_("Ticket not found."))
        existing = list(TriageDecision.objects.filter(ticket_id=ticket_id, message_id=message.pk))
        if existing:
            return TriageOutcome(existing, [d.field for d in existing if d.is_applied])
        chosen_by_people = fields_set_by_people(ticket)
        changes = tickets.TicketChanges()
        details: dict[str, Any] = {}
        rows = []
        for name, decision in found.items():
            if not _valid(name, decision.value):
                continue
            apply = (
                decision.confidence >= limit
                and name not in chosen_by_people
                and decision.value != current_value(ticket, name)
            )
            if apply and name == TriageField.URGENCY and int(decision.value) < ticket.priority:
                apply = False  # triage raises urgency; lowering it is an agent's call
            if apply and name in (TriageField.CATEGORY, TriageField.KIND) and not is_first:
                apply = False
            if apply:
                _change_for(name, decision.value, changes)
                details[name] = {
                    "value": decision.value,
                    "confidence": decision.confidence,
                    "source": decision.source,
                    "model_version": decision.model_version,
                    "reasons": list(decision.reasons),
                }
            rows.append(
                TriageDecision(
                    ticket=ticket,
                    message=message,
                    field=name,
                    value=decision.value,
                    confidence=decision.confidence,
                    source=decision.source,
                    model_version=decision.model_version,
                    reasons=list(decision.reasons),
                    is_applied=apply,
                    created_at=now,
                )
            )
        TriageDecision.objects.bulk_create(rows)
        if not changes.is_empty() and not ticket.is_closed:
            tickets.apply_automatic_changes(ticket, changes, reason="triage", details=details)
            ticket = _ticket_for_routing().get(pk=ticket_id)  # as changed (still locked)
        if is_first and not ticket.is_closed:
            _route_and_assign(ticket, language=detect_language(message.body))
    return TriageOutcome(rows, sorted(details))


def _ticket_for_routing() -> QuerySet[Ticket]:
    return Ticket.objects.select_related("customer", "category", "team")


def route_and_assign(ticket_id: int, *, language: str = RuleLanguage.ZH) -> Ticket:
    """Put an unrouted ticket in its queue (routing rules), then give it an owner: the VIP
    customer's advisor first, else whoever the queue's strategy picks."""
    with transaction.atomic():
        # Lock the row (only its own: nullable joins cannot be locked on PostgreSQL) and
        # read it with what routing needs in the same statement.
        ticket = _ticket_for_routing().select_for_update(of=("self",)).get(pk=ticket_id)
        return _route_and_assign(ticket, language=language)


def _route_and_assign(ticket: Ticket, *, language: str) -> Ticket:
    """``route_and_assign`` for a ticket the caller has locked and read (with customer,
    category and queue) in its transaction."""
    skills: list[Any] = []
    if ticket.team_id is None:
        route = find_route(ticket, language=language)
        if route is not None and (route.team or route.department):
            changes = tickets.TicketChanges()
            if route.team is not None:
                changes.team = route.team
            department = route.department or (route.team.department if route.team else None)
            if department is not None:
                changes.department = department
            skills = route.skills
            tickets.apply_automatic_changes(
                ticket, changes, reason="routing", details={"rule": route.rule.name}
            )
            ticket = _ticket_for_routing().get(pk=ticket.pk)
    if ticket.owner_id is None:
        assign_owner(ticket, skills=skills)
    return ticket


def assign_owner(
    ticket: Ticket,
    *,
    skills: Iterable[Any] = (),
    owner: User | None = None,
    source: str = "queue",
    details: dict[str, Any] | None = None,
) -> User | None:
    """The one assignment service, whoever calls it (see ``assignment`` for the precedence:
    an agent's explicit choice, then an automation rule, then the routing rules, then the
    queue's strategy).

    With ``owner`` (an automation rule naming a person): that person, unless the current
    owner was chosen at a higher level. Without: an unowned ticket gets the VIP customer's
    advisor (routing level), else whoever the queue's strategy picks. Returns the new owner,
    or None when nothing changed.
    """
    if owner is not None:
        if owner.pk == ticket.owner_id or not assignment.may_assign(ticket.pk, source=source):
            return None
        reason = "automation" if source == "automation" else source
        tickets.apply_automatic_changes(
            ticket, tickets.TicketChanges(owner=owner), reason=reason, details=details
        )
        return owner
    if ticket.owner_id is not None:
        return None
    advisor = ticket.customer.advisor if ticket.customer.tier == "vip" else None
    chosen: User | None = None
    reason = ""
    if advisor is not None and assignment.has_capacity(advisor, channel=ticket.channel):
        chosen = assignment.claim_agent([advisor], channel=ticket.channel)
        reason = "vip_advisor"
    if chosen is None and ticket.team is not None:
        strategy = ticket.team.assignment_strategy
        candidates = assignment.ranked_candidates(
            ticket.team, strategy=strategy, channel=ticket.channel, skills=skills
        )
        chosen = assignment.claim_agent(candidates, channel=ticket.channel)
        reason = strategy
    if chosen is not None:
        tickets.apply_automatic_changes(
            ticket, tickets.TicketChanges(owner=chosen), reason=reason, details=details
        )
    return chosen


def release_tickets_of_offline_owners(*, now: Any = None) -> int:
    """Offer a queue's open tickets again when their owner has been offline too long."""
    moment = now or timezone.now()
    released = 0
    candidates = Ticket.objects.filter(
        status__in=OPEN_STATUSES,
        owner__availability=Availability.OFFLINE,
        team__offline_release_minutes__gt=0,
    ).select_related("owner", "team", "customer")
    for ticket in candidates[:500]:
        if ticket.owner is None or ticket.team is None:
            continue
        changed = ticket.owner.availability_changed_at
        if changed is None or moment - changed < timedelta(
            minutes=ticket.team.offline_release_minutes
        ):
            continue
        with transaction.atomic():
            fresh = Ticket.objects.select_for_update().get(pk=ticket.pk)
            if fresh.owner_id != ticket.owner_id:
                continue  # someone acted meanwhile
            tickets.apply_automatic_changes(
                fresh,
                tickets.TicketChanges(owner=None),
                reason="owner_offline",
                details={"previous_owner": ticket.owner_id},
            )
            fresh = Ticket.objects.select_related("customer", "team").get(pk=ticket.pk)
            if fresh.team and fresh.team.assignment_strategy != AssignmentStrategy.MANUAL:
                assign_owner(fresh)
        released += 1
    return released


def record_corrections(event: Event) -> int:
    """An agent changed a field triage had decided: the decision is marked corrected (which
    makes it training data and counts in the accuracy view). Idempotent."""
    if event.actor_id is None or event.ticket_id is None:
        return 0
    changes = event.data.get("changes", {})
    corrected = 0
    for name, event_name in EVENT_FIELD.items():
        if event_name not in changes:
            continue
        after = changes[event_name][1]
        value = "" if after is None else str(after)
        latest = (
            TriageDecision.objects.filter(ticket_id=event.ticket_id, field=name)
            .order_by("-id")
            .first()
        )
        if latest is None or latest.is_corrected or latest.value == value:
            continue
        corrected += TriageDecision.objects.filter(pk=latest.pk, corrected_at__isnull=True).update(
            corrected_value=value, corrected_by_id=event.actor_id, corrected_at=event.occurred_at
        )
    return corrected


def install_default_rules() -> int:
    """Create the cold-start rules that do not exist yet (by name); returns how many."""
    now = timezone.now()
    existing = set(TriageRule.objects.values_list("name", flat=True))
    rows = []
    for field_name, table in ((TriageField.KIND, KIND_RULES), (TriageField.URGENCY, URGENCY_RULES)):
        for position, (name, value, patterns, weight, always) in enumerate(table):
            if name not in existing:
                rows.append(
                    TriageRule(
                        name=name,
                        field=field_name,
                        value=value,
                        patterns=patterns,
                        weight=weight,
                        is_always=always,
                        position=position,
                        created_at=now,
                        updated_at=now,
                    )
                )
    for position, category in enumerate(Category.objects.all()):
        keywords = CATEGORY_KEYWORDS.get(category.name)
        name = f"分类 {category}"
        if keywords and name not in existing:
            rows.append(
                TriageRule(
                    name=name,
                    field=TriageField.CATEGORY,
                    value=str(category.pk),
                    patterns=keywords,
                    # A sub-category's words are more specific than its parent's.
                    weight=1.2 if category.parent_id else 1.0,
                    position=position,
                    created_at=now,
                    updated_at=now,
                )
            )
    with transaction.atomic():
        TriageRule.objects.bulk_create(rows)
    return len(rows)


@dataclass
class RuleInput:
    name: str
    field: str
    value: str
    patterns: str
    language: str = RuleLanguage.ANY
    weight: float = 1.0
    is_always: bool = False
    is_active: bool = True
    position: int = 0


def validate_rule(data: RuleInput) -> None:
    if not data.name.strip() or len(data.name) > 100:
        raise ValidationFailed(_("A rule needs a name of 1–100 characters."), code="invalid_name")
    if data.field not in TriageField.values:
        raise ValidationFailed(_("Unknown field."), code="invalid_field")
    if data.language not in RuleLanguage.values:
        raise ValidationFailed(_("Unknown language."), code="invalid_language")
    if not 0 < data.weight <= 10:
        raise ValidationFailed(_("The weight must be between 0 and 10."), code="invalid_weight")
    if not _valid(data.field, data.value):
        raise ValidationFailed(
            _("“%(value)s” is not a valid value for this field."),
            code="invalid_value",
            value=data.value,
        )
    compile_patterns(data.patterns)


def save_rule(data: RuleInput, *, actor: User, rule: TriageRule | None = None) -> TriageRule:
    """Create or change a triage rule (admins only); refuses invalid patterns and values."""
    if not actor.is_admin:
        raise NotFound(_("Rule not found."))
    validate_rule(data)
    now = timezone.now()
    with transaction.atomic():
        if rule is None:
            rule = TriageRule(created_at=now)
            verb = "triage.rule_created"
        else:
            rule = TriageRule.objects.select_for_update().get(pk=rule.pk)
            verb = "triage.rule_changed"
        for attr in (
            "name",
            "field",
            "value",
            "patterns",
            "language",
            "weight",
            "is_always",
            "is_active",
            "position",
        ):
            setattr(rule, attr, getattr(data, attr))
        rule.updated_at = now
        rule.save()
        record_event(verb, rule, actor=actor, data={"name": rule.name, "field": rule.field})
    return rule


@dataclass
class PreviewRow:
    ticket: Ticket
    before: Decision | None
    after: Decision | None

    @property
    def is_changed(self) -> bool:
        before = (self.before.value, self.before.confidence) if self.before else None
        after = (self.after.value, self.after.confidence) if self.after else None
        return before != after


def preview_rule(data: RuleInput, *, rule: TriageRule | None, sample: int = 50) -> list[PreviewRow]:
    """How the most recent tickets would be classified for ``data.field`` with the edited
    rule, next to how they are classified now. Nothing is saved."""
    validate_rule(data)
    current = list(TriageRule.objects.filter(is_active=True))
    edited = [r for r in current if rule is None or r.pk != rule.pk]
    if data.is_active:
        edited.append(
            TriageRule(
                pk=rule.pk if rule else None,
                name=data.name,
                field=data.field,
                value=data.value,
                patterns=data.patterns,
                language=data.language,
                weight=data.weight,
                is_always=data.is_always,
                is_active=True,
            )
        )
    before_rules, after_rules = compile_rules(current), compile_rules(edited)
    predictors = active_predictors()
    parents = category_parents()
    rows = []
    recent = Ticket.objects.order_by("-id")[:sample]
    first_messages = {
        m.ticket_id: m
        for m in Message.objects.filter(
            ticket__in=[t.pk for t in recent], kind=MessageKind.CUSTOMER
        ).order_by("ticket_id", "id")
    }
    earliest: dict[int, Message] = {}
    for message in sorted(first_messages.values(), key=lambda m: m.pk):
        earliest.setdefault(message.ticket_id, message)
    for ticket in recent:
        first = earliest.get(ticket.pk)
        text = f"{ticket.subject}\n{first.body if first else ''}"
        before = decide(
            text,
            rules=before_rules,
            predictors=predictors,
            fields=[data.field],
            category_parents=parents,
        )
        after = decide(
            text,
            rules=after_rules,
            predictors=predictors,
            fields=[data.field],
            category_parents=parents,
        )
        rows.append(PreviewRow(ticket, before.get(data.field), after.get(data.field)))
    return rows


MAX_TRAINING_TICKETS = 50_000


def training_samples(
    field_name: str, *, limit: int = MAX_TRAINING_TICKETS
) -> tuple[list[str], list[str]]:
    """Texts and labels from the organisation's own worked tickets (solved or closed): the
    field's current value, which includes every agent correction."""
    from bihuan.tickets.choices import TicketStatus

    attribute = FIELD_ATTRIBUTE[field_name]
    worked = Ticket.objects.filter(status__in=(TicketStatus.SOLVED, TicketStatus.CLOSED))
    if field_name == TriageField.CATEGORY:
        worked = worked.filter(category__isnull=False)
    elif field_name == TriageField.EMOTION:
        worked = worked.exclude(emotion="")
    rows = list(worked.order_by("-id").values_list("pk", "subject", attribute)[:limit])
    first_bodies: dict[int, str] = {}
    ids = [pk for pk, _subject, _value in rows]
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        for ticket_id, body in (
            Message.objects.filter(ticket_id__in=chunk, kind=MessageKind.CUSTOMER)
            .order_by("ticket_id", "id")
            .values_list("ticket_id", "body")
        ):
            first_bodies.setdefault(ticket_id, body)
    texts = [f"{subject}\n{first_bodies.get(pk, '')}" for pk, subject, _value in rows]
    labels = [str(value) for _pk, _subject, value in rows]
    return texts, labels


def train_model(
    field_name: str, *, actor: User | None = None, min_samples: int = 30
) -> ModelVersion:
    """Train a new model for ``field_name`` on the organisation's tickets and make it active.

    20 % of the samples are held out to measure it; it is then refitted on all of them. The
    previous model stays on disk and in the table for ``rollback_model``.
    """
    import random

    from sklearn.metrics import accuracy_score, f1_score

    from bihuan.triage.classifier import TextClassifier
    from bihuan.triage.models_store import models_dir

    if field_name not in TriageField.values:
        raise ValidationFailed(_("Unknown field."), code="invalid_field")
    texts, labels = training_samples(field_name)
    if len(texts) < min_samples or len(set(labels)) < 2:
        raise ValidationFailed(
            _(
                "Not enough labelled tickets to train %(field)s: %(count)s (need %(minimum)s "
                "with at least two different values)."
            ),
            code="not_enough_data",
            field=field_name,
            count=len(texts),
            minimum=min_samples,
        )
    order = list(range(len(texts)))
    random.Random(0).shuffle(order)  # noqa: S311  (a reproducible split, not security)
    cut = max(1, len(order) // 5)
    held, kept = order[:cut], order[cut:]
    started = timezone.now()
    probe = TextClassifier().fit([texts[i] for i in kept], [labels[i] for i in kept])
    predicted = [p.label for p in probe.predict([texts[i] for i in held])]
    truth = [labels[i] for i in held]
    metrics = {
        "accuracy": round(float(accuracy_score(truth, predicted)), 4),
        "macro_f1": round(float(f1_score(truth, predicted, average="macro")), 4),
        "held_out": len(held),
    }
    classifier = TextClassifier().fit(texts, labels)
    metrics["train_seconds"] = round((timezone.now() - started).total_seconds(), 2)
    with transaction.atomic():
        # Aggregates cannot be locked on PostgreSQL: lock the rows, then count them.
        taken = ModelVersion.objects.select_for_update().filter(field=field_name)
        number = len(list(taken.values_list("pk", flat=True))) + 1
        version = f"{field_name}-v{number}-{started:%Y%m%d%H%M%S}"
        path = classifier.save(models_dir() / f"{version}.joblib")
        ModelVersion.objects.filter(field=field_name, is_active=True).update(is_active=False)
        row = ModelVersion.objects.create(
            field=field_name,
            version=version,
            path=str(path),
            trained_at=started,
            sample_count=len(texts),
            metrics=metrics,
            is_active=True,
        )
        record_event(
            "triage.model_trained", row, actor=actor, data={"field": field_name, **metrics}
        )
    return row


def rollback_model(field_name: str, *, actor: User | None = None) -> ModelVersion | None:
    """Make the model trained before the active one active again (None: back to rules only)."""
    with transaction.atomic():
        versions = list(
            ModelVersion.objects.select_for_update()
            .filter(field=field_name)
            .order_by("-trained_at", "-id")
        )
        active = next((v for v in versions if v.is_active), None)
        if active is None:
            raise ValidationFailed(
                _("There is no active model for %(field)s to roll back."),
                code="no_active_model",
                field=field_name,
            )
        older = [v for v in versions if (v.trained_at, v.pk) < (active.trained_at, active.pk)]
        previous = older[0] if older else None
        ModelVersion.objects.filter(pk=active.pk).update(is_active=False)
        if previous is not None:
            ModelVersion.objects.filter(pk=previous.pk).update(is_active=True)
        record_event(
            "triage.model_rolled_back",
            active,
            actor=actor,
            data={
                "field": field_name,
                "from": active.version,
                "to": previous.version if previous else None,
            },
        )
    return previous


def backfill_decisions(ticket_ids: Iterable[int], *, batch: int = 500) -> int:
    """Record the decisions triage would have taken when historic tickets arrived (imports and
    the demo): applied when confident, and marked corrected where the ticket's value now
    differs — which is what agents did. Tickets that already have decisions are skipped."""
    compiled = compile_rules(TriageRule.objects.filter(is_active=True))
    predictors = active_predictors()
    parents = category_parents()
    limit = threshold()
    ids = sorted(set(ticket_ids))
    created = 0
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        done = set(
            TriageDecision.objects.filter(ticket_id__in=chunk).values_list("ticket_id", flat=True)
        )
        todo = [pk for pk in chunk if pk not in done]
        first: dict[int, Message] = {}
        for message in Message.objects.filter(
            ticket_id__in=todo, kind=MessageKind.CUSTOMER
        ).order_by("ticket_id", "id"):
            first.setdefault(message.ticket_id, message)
        rows = []
        for ticket in Ticket.objects.filter(pk__in=todo):
            opening = first.get(ticket.pk)
            if opening is None:
                continue
            found = decide(
                f"{ticket.subject}\n{opening.body}",
                rules=compiled,
                predictors=predictors,
                category_parents=parents,
            )
            for name, decision in found.items():
                if not _valid(name, decision.value):
                    continue
                applied = decision.confidence >= limit
                final = current_value(ticket, name)
                corrected = applied and final != "" and final != decision.value
                rows.append(
                    TriageDecision(
                        ticket=ticket,
                        message=opening,
                        field=name,
                        value=decision.value,
                        confidence=decision.confidence,
                        source=decision.source,
                        model_version=decision.model_version,
                        reasons=list(decision.reasons),
                        is_applied=applied,
                        created_at=opening.created_at,
                        corrected_value=final if corrected else "",
                        corrected_by_id=ticket.owner_id if corrected else None,
                        corrected_at=ticket.updated_at if corrected else None,
                    )
                )
        with transaction.atomic():
            TriageDecision.objects.bulk_create(rows)
        created += len(rows)
    return created


# --- Routing rules (admins, in the UI) -------------------------------------------------------


@dataclass
class RoutingRuleInput:
    """A routing rule as an admin edits it: conditions (blank: any) → queue and/or department."""

    name: str
    team: Team | None = None
    department: Department | None = None
    category: Category | None = None
    kind: str = ""
    channel: str = ""
    customer_tier: str = ""
    language: str = RuleLanguage.ANY
    min_urgency: int | None = None
    skills: list[Skill] = field(default_factory=list)
    position: int = 0
    is_active: bool = True


def validate_routing_rule(data: RoutingRuleInput) -> None:
    if not data.name.strip() or len(data.name) > 100:
        raise ValidationFailed(_("A rule needs a name of 1–100 characters."), code="invalid_name")
    if data.team is None and data.department is None:
        raise ValidationFailed(
            _("Choose the queue or the department the tickets go to."), code="no_destination"
        )
    checks = (
        (data.kind, TicketType.values, "kind"),
        (data.channel, Channel.values, "channel"),
        (data.customer_tier, Tier.values, "customer_tier"),
        (data.language, RuleLanguage.values, "language"),
    )
    for value, allowed, code in checks:
        if value and value not in allowed:
            raise ValidationFailed(
                _("“%(value)s” is not a valid value for this field."),
                code=f"invalid_{code}",
                value=value,
            )
    if data.min_urgency is not None and data.min_urgency not in Priority.values:
        raise ValidationFailed(
            _("“%(value)s” is not a valid value for this field."),
            code="invalid_min_urgency",
            value=data.min_urgency,
        )


def _routing_rule_row(data: RoutingRuleInput, row: RoutingRule) -> RoutingRule:
    row.name = data.name.strip()
    row.team = data.team
    row.department = data.department
    row.category = data.category
    row.kind = data.kind
    row.channel = data.channel
    row.customer_tier = data.customer_tier
    row.language = data.language or RuleLanguage.ANY
    row.min_urgency = data.min_urgency
    row.position = data.position
    row.is_active = data.is_active
    return row


def save_routing_rule(
    data: RoutingRuleInput, *, actor: User, rule: RoutingRule | None = None
) -> RoutingRule:
    """Create or change a routing rule (admins only); records ``routing.rule_created`` or
    ``routing.rule_changed`` with the rule's conditions and destination."""
    if not actor.is_admin:
        raise NotFound(_("Rule not found."))
    validate_routing_rule(data)
    with transaction.atomic():
        if rule is None:
            row = RoutingRule()
            verb = "routing.rule_created"
        else:
            row = RoutingRule.objects.select_for_update().get(pk=rule.pk)
            verb = "routing.rule_changed"
        _routing_rule_row(data, row).save()
        row.required_skills.set([skill.pk for skill in data.skills])
        record_event(
            verb,
            row,
            actor=actor,
            data={
                "name": row.name,
                "team": row.team_id,
                "department": row.department_id,
                "conditions": {
                    "category": row.category_id,
                    "kind": row.kind,
                    "channel": row.channel,
                    "customer_tier": row.customer_tier,
                    "language": row.language,
                    "min_urgency": row.min_urgency,
                },
                "skills": sorted(skill.pk for skill in data.skills),
                "is_active": row.is_active,
            },
        )
    return row


@dataclass
class RoutePreviewRow:
    ticket: Ticket
    before: RoutingRule | None
    after: RoutingRule | None

    @property
    def is_changed(self) -> bool:
        def destination(rule: RoutingRule | None) -> tuple[int | None, int | None]:
            return (rule.team_id, rule.department_id) if rule else (None, None)

        return destination(self.before) != destination(self.after)


def preview_routing_rule(
    data: RoutingRuleInput, *, rule: RoutingRule | None, sample: int = 50
) -> list[RoutePreviewRow]:
    """Where the most recent tickets would be routed with the edited rule, next to where the
    current rules route them. Nothing is saved."""
    validate_routing_rule(data)
    current = active_rules()
    edited = [r for r in current if rule is None or r.pk != rule.pk]
    if data.is_active:
        candidate = _routing_rule_row(data, RoutingRule(pk=rule.pk if rule else None))
        edited.append(candidate)
        edited.sort(key=lambda r: (r.position, r.pk is None, r.pk or 0))
    recent = list(Ticket.objects.select_related("customer", "category").order_by("-id")[:sample])
    first: dict[int, str] = {}
    for ticket_id, body in (
        Message.objects.filter(ticket__in=[t.pk for t in recent], kind=MessageKind.CUSTOMER)
        .order_by("ticket_id", "id")
        .values_list("ticket_id", "body")
    ):
        first.setdefault(ticket_id, body)
    rows = []
    for ticket in recent:
        language = detect_language(first.get(ticket.pk, ticket.subject))
        rows.append(
            RoutePreviewRow(
                ticket,
                first_matching(current, ticket, language=language),
                first_matching(edited, ticket, language=language),
            )
        )
    return rows
