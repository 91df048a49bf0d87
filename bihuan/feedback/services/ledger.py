"""The rectification ledger (整改台账): open, move, escalate when overdue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from bihuan.accounts.models import Department, User
from bihuan.core import due_work
from bihuan.core.errors import Conflict, PermissionDenied, ValidationFailed
from bihuan.core.events import notify, record_event
from bihuan.feedback.choices import (
    OPEN_RECTIFICATION_STATES,
    RECTIFICATION_MOVES,
    AnalysisState,
    EntryKind,
    RectificationState,
)
from bihuan.feedback.models import (
    FeedbackEntry,
    NegativeAnalysis,
    Rectification,
)
from bihuan.feedback.services.policy import (
    RECTIFICATION_DUE,
    _check_choice,
    _clean,
    _require_manager,
    rectification_key,
)
from bihuan.tickets.models import Category, Ticket

# --- Rectification ledger ---------------------------------------------------------------------


@dataclass(frozen=True)
class RectificationFields:
    problem: str
    owner_department: Department
    measures: str
    deadline: datetime
    acceptance_criteria: str
    owner: User | None = None
    category: Category | None = None
    analysis: NegativeAnalysis | None = None
    entries: tuple[FeedbackEntry, ...] = ()
    tickets: tuple[Ticket, ...] = ()
    weeks: int = 4


@transaction.atomic
def open_rectification(
    fields: RectificationFields, *, actor: User, at: datetime | None = None
) -> Rectification:
    """A systemic cause becomes an item of the ledger (a supervisor or admin opens it): who
    fixes what by when, how it is accepted. The deadline is due work: missed, it escalates
    to the owner department's head."""
    _require_manager(actor)
    problem = _clean(fields.problem, label=gettext("The problem"), required=True, limit=500)
    measures = _clean(fields.measures, label=gettext("The measures"), required=True)
    criteria = _clean(
        fields.acceptance_criteria, label=gettext("The acceptance criteria"), required=True
    )
    now = at or timezone.now()
    if fields.deadline <= now:
        raise ValidationFailed(_("The deadline must be in the future."), code="deadline_past")
    if fields.owner is not None and (
        not fields.owner.is_active or fields.owner.department_id != fields.owner_department.pk
    ):
        raise ValidationFailed(
            _("The owner must be an active member of the owner department."),
            code="owner_not_in_department",
        )
    if not 1 <= fields.weeks <= 26:
        raise ValidationFailed(_("Compare between 1 and 26 weeks."), code="weeks_out_of_range")
    if fields.analysis is not None and not (
        fields.analysis.state == AnalysisState.DONE and fields.analysis.is_systemic
    ):
        raise ValidationFailed(
            _("Only an analysis that found a systemic cause becomes a rectification."),
            code="not_systemic",
        )
    item = Rectification.objects.create(
        problem=problem,
        owner_department=fields.owner_department,
        owner=fields.owner,
        measures=measures,
        deadline=fields.deadline,
        acceptance_criteria=criteria,
        category=fields.category
        or (fields.analysis.entry.category if fields.analysis is not None else None),
        analysis=fields.analysis,
        weeks=fields.weeks,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    entries = {e.pk for e in fields.entries}
    if fields.analysis is not None:
        entries.add(fields.analysis.entry_id)
    if entries:
        item.entries.set(entries)
    tickets = {t.pk for t in fields.tickets}
    if tickets:
        item.linked_tickets.set(tickets)
    due_work.schedule(RECTIFICATION_DUE, key=rectification_key(item.pk), due_at=item.deadline)
    event = record_event(
        "feedback.rectification_opened",
        item,
        actor=actor,
        at=now,
        data={
            "problem": problem,
            "department": fields.owner_department.pk,
            "deadline": item.deadline.isoformat(),
        },
    )
    notify(event, [fields.owner, fields.owner_department.head])
    return item


def can_work_rectification(user: User, item: Rectification) -> bool:
    """The owner, the owner department (its head included) and supervisors move the work."""
    return user.is_active and (
        user.sees_everything
        or item.owner_id == user.pk
        or (user.department_id is not None and user.department_id == item.owner_department_id)
    )


@transaction.atomic
def move_rectification(
    item: Rectification, *, to: str, actor: User, reason: str = "", at: datetime | None = None
) -> Rectification:
    """Move an item along 待整改 → 整改中 → 待验收 → 已验收 / 退回 (退回 → 整改中 again).

    The owner side starts and submits; a supervisor or admin accepts or returns (with a
    reason). The first start is when the measure began (the before/after comparison's
    pivot); an accepted item marks its linked internal feedback as having led to a change.
    """
    locked = (
        Rectification.objects.select_for_update(of=("self",))
        .select_related("owner_department")
        .get(pk=item.pk)
    )
    _check_choice(to, RectificationState, label=gettext("state"))
    if to not in RECTIFICATION_MOVES[locked.state]:
        raise Conflict(
            _("A rectification cannot go from “%(before)s” to “%(after)s”."),
            code="invalid_move",
            before=RectificationState(locked.state).label,
            after=RectificationState(to).label,
        )
    if to in (RectificationState.ACCEPTED, RectificationState.RETURNED):
        _require_manager(actor)
    elif not can_work_rectification(actor, locked):
        raise PermissionDenied(
            _("Only the owner department or a supervisor works on this rectification."),
            code="not_owner",
        )
    text = _clean(
        reason, label=gettext("The reason"), limit=500, required=to == RectificationState.RETURNED
    )
    now = at or timezone.now()
    before = locked.state
    locked.state = to
    changed = ["state", "updated_at"]
    if to == RectificationState.IN_PROGRESS and locked.started_at is None:
        locked.started_at = now
        changed.append("started_at")
    if to == RectificationState.AWAITING_ACCEPTANCE:
        locked.submitted_at = now
        changed.append("submitted_at")
        due_work.cancel(RECTIFICATION_DUE, key=rectification_key(locked.pk))
    if to == RectificationState.RETURNED:
        locked.return_reason = text
        changed.append("return_reason")
        due_work.schedule(
            RECTIFICATION_DUE, key=rectification_key(locked.pk), due_at=max(locked.deadline, now)
        )
    if to == RectificationState.ACCEPTED:
        locked.accepted_at = now
        locked.accepted_by = actor
        changed += ["accepted_at", "accepted_by"]
        FeedbackEntry.objects.filter(
            rectifications=locked, kind=EntryKind.INTERNAL, changed_at__isnull=True
        ).update(changed_at=now, change_note=locked.problem[:500])
    locked.updated_at = now
    locked.save(update_fields=changed)
    event = record_event(
        "feedback.rectification_moved",
        locked,
        actor=actor,
        at=now,
        data={"from": before, "to": to, "reason": text},
    )
    if to in (RectificationState.ACCEPTED, RectificationState.RETURNED):
        notify(event, [locked.owner, locked.owner_department.head])
    return locked


@transaction.atomic
def fire_rectification_overdue(rectification_id: int, *, now: datetime) -> bool:
    """The deadline passed and the fix is not submitted: escalate to the owner department's
    head (and tell the owner), once per missed deadline."""
    item = (
        Rectification.objects.select_for_update(of=("self",))
        .select_related("owner_department", "owner_department__head", "owner")
        .filter(pk=rectification_id)
        .first()
    )
    if item is None or item.state not in OPEN_RECTIFICATION_STATES or item.deadline > now:
        return False
    if item.escalated_at is not None:
        return False
    item.escalated_at = now
    item.save(update_fields=["escalated_at"])
    head = item.owner_department.head
    event = record_event(
        "feedback.rectification_escalated",
        item,
        at=now,
        data={
            "deadline": item.deadline.isoformat(),
            "department": item.owner_department_id,
            "to": head.pk if head else None,
        },
    )
    notify(event, [head, item.owner])
    return True
