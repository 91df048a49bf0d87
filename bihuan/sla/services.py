"""SLA use cases: choose a ticket's policy, run its clocks, warn, breach and escalate.

Every function here runs inside one transaction with the ticket row locked first and then
its clocks (the tickets app's lock order), records what it did as events, and keeps the
clock's due work (``sla.warn``, ``sla.breach``, ``sla.escalate``, keyed by clock) in step
with the clock: a running clock has its warning and breach scheduled, a paused or completed
one has none. Nothing scans open tickets: each instant is a due item found by its index.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from bihuan.accounts.models import User
from bihuan.core import due_work
from bihuan.core.events import NewEvent, notify, record_event, record_events
from bihuan.sla.business_hours import Schedule, add_business_time, business_between
from bihuan.sla.calendars import schedule_of
from bihuan.sla.choices import (
    ACTIVE_STATES,
    PLAYBOOK_METRICS,
    ClockState,
    EscalationLevel,
    Metric,
)
from bihuan.sla.models import BusinessCalendar, SlaClock, SlaPolicy, SlaTarget
from bihuan.tickets import collaboration
from bihuan.tickets import services as tickets
from bihuan.tickets.choices import MessageKind, TicketStatus
from bihuan.tickets.models import CollaborationTask, Commitment, Message, Ticket

WARN = "sla.warn"
BREACH = "sla.breach"
ESCALATE = "sla.escalate"
# The fields whose change can make another policy the ticket's.
POLICY_FIELDS = frozenset({"kind", "priority", "category", "channel"})
# Clocks started with the ticket; the next-response clock starts on a customer's message.
OPENING_METRICS = (Metric.FIRST_RESPONSE, Metric.RESOLUTION)


# ---------------------------------------------------------------------------------------
# Policy selection


def policy_matches(policy: SlaPolicy, ticket: Ticket) -> bool:
    """Every condition of ``policy`` holds for ``ticket`` (an empty condition always does)."""
    if policy.kinds and ticket.kind not in policy.kinds:
        return False
    if policy.priorities and ticket.priority not in policy.priorities:
        return False
    if policy.channels and ticket.channel not in policy.channels:
        return False
    if policy.tiers and ticket.customer.tier not in policy.tiers:
        return False
    categories = {c.pk for c in policy.categories.all()}
    if categories:
        parent = ticket.category.parent_id if ticket.category else None
        if ticket.category_id not in categories and parent not in categories:
            return False
    organisations = {o.pk for o in policy.organisations.all()}
    return not organisations or ticket.customer.organisation_id in organisations


def active_policies() -> list[SlaPolicy]:
    """The active policies in admin order, with what ``policy_matches`` and the clocks read."""
    return list(
        SlaPolicy.objects.filter(is_active=True)
        .select_related("calendar")
        .prefetch_related("categories", "organisations", "targets__calendar")
        .order_by("position", "id")
    )


def select_policy(ticket: Ticket, policies: list[SlaPolicy] | None = None) -> SlaPolicy | None:
    """The first active policy, in admin order, whose conditions all match (``policies``: the
    active policies when the caller read them already)."""
    candidates = active_policies() if policies is None else policies
    return next((p for p in candidates if policy_matches(p, ticket)), None)


# ---------------------------------------------------------------------------------------
# Clock arithmetic


class _Schedules:
    """Schedules loaded once per calendar within one call."""

    def __init__(self) -> None:
        self._loaded: dict[int, Schedule] = {}

    def __call__(self, calendar: BusinessCalendar) -> Schedule:
        if calendar.pk not in self._loaded:
            self._loaded[calendar.pk] = schedule_of(calendar)
        return self._loaded[calendar.pk]


def _remaining(clock: SlaClock, fraction: float = 1.0) -> timedelta:
    return timedelta(seconds=clock.target_minutes * 60 * fraction - clock.elapsed_seconds)


Due = tuple[str, str, datetime, dict[str, Any] | None]  # kind, key, due at, data


def _timers(clock: SlaClock, schedule: Schedule) -> tuple[list[Due], list[tuple[str, str]]]:
    """The clock's due work as it should be — the items to schedule (its next warning or
    breach, or its next escalation step) and the ones to cancel — with ``clock.due_at`` set."""
    key = clock.due_key
    due: list[Due] = []
    cancel: list[tuple[str, str]] = []
    if clock.state in (ClockState.RUNNING, ClockState.WARNING):
        assert clock.running_since is not None
        clock.due_at = add_business_time(schedule, clock.running_since, _remaining(clock))
        due.append((BREACH, key, clock.due_at, {"due_at": _iso(clock.due_at)}))
        if clock.state == ClockState.RUNNING and clock.warned_at is None:
            share = _remaining(clock, clock.warn_at_percent / 100)
            warn_at = add_business_time(schedule, clock.running_since, max(share, timedelta(0)))
            due.append((WARN, key, min(warn_at, clock.due_at), None))
        else:
            cancel.append((WARN, key))
        cancel += _escalation_keys(clock)
    elif clock.state == ClockState.BREACHED:
        assert clock.running_since is not None
        clock.due_at = add_business_time(schedule, clock.running_since, _remaining(clock))
        cancel += [(WARN, key), (BREACH, key), *_escalation_keys(clock)]
        # The next step from now: a breach already escalated is not escalated again at once.
        step = _escalation_due(clock, schedule, after=timezone.now())
        due += [step] if step else []
    else:
        cancel += _all_keys(clock)
    return due, cancel


def _arm(clock: SlaClock, schedule: Schedule) -> None:
    """Schedule the clock's next warning or breach, or its next escalation step."""
    due, cancel = _timers(clock, schedule)
    due_work.cancel_many(cancel)  # first: an escalation step cancelled here may be re-planned
    for kind, key, when, data in due:
        due_work.schedule(kind, key=key, due_at=when, data=data)


def _all_keys(clock: SlaClock) -> list[tuple[str, str]]:
    return [(WARN, clock.due_key), (BREACH, clock.due_key), *_escalation_keys(clock)]


def _disarm(clock: SlaClock) -> None:
    due_work.cancel_many(_all_keys(clock))


def _escalation_key(clock: SlaClock, level: int) -> str:
    # One key per level: the handler of one step schedules the next while its own item is
    # still pending (the same key would move the running item instead).
    return f"{clock.due_key}:{level}"


def _escalation_keys(clock: SlaClock) -> list[tuple[str, str]]:
    return [
        (ESCALATE, _escalation_key(clock, level))
        for level in (EscalationLevel.SUPERVISOR, EscalationLevel.DEPARTMENT_HEAD)
    ]


def _escalation_due(clock: SlaClock, schedule: Schedule, *, after: datetime) -> Due | None:
    level = clock.escalation_level + 1
    if level > EscalationLevel.DEPARTMENT_HEAD:
        return None
    minutes = clock.policy.escalation_minutes if clock.policy else 30
    when = add_business_time(schedule, max(after, timezone.now()), timedelta(minutes=minutes))
    return ESCALATE, _escalation_key(clock, level), when, {"level": level}


def _schedule_escalation(clock: SlaClock, schedule: Schedule, *, after: datetime) -> None:
    """Schedule the next step up the chain (no cancelling here: an escalation handler calls
    this while its own item is still pending)."""
    step = _escalation_due(clock, schedule, after=after)
    if step is not None:
        kind, key, when, data = step
        due_work.schedule(kind, key=key, due_at=when, data=data)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _run_from(clock: SlaClock, at: datetime) -> str:
    """The state a clock resumes in: it keeps what it already reached."""
    clock.running_since = at
    if clock.breached_at is not None:
        return ClockState.BREACHED
    if clock.warned_at is not None:
        return ClockState.WARNING
    return ClockState.RUNNING


def _stop(clock: SlaClock, schedule: Schedule, at: datetime) -> None:
    """Add the running segment to the elapsed time (pausing or completing)."""
    if clock.running_since is not None:
        used = business_between(schedule, clock.running_since, max(at, clock.running_since))
        clock.elapsed_seconds += int(used.total_seconds())
        clock.running_since = None


# ---------------------------------------------------------------------------------------
# Reactions to the ticket's life (called by ``handlers`` with the ticket locked)


def lock_ticket(ticket_id: int) -> Ticket | None:
    return (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("customer", "category", "team", "department")
        .filter(pk=ticket_id)
        .first()
    )


def _clocks(ticket: Ticket) -> dict[str, SlaClock]:
    rows = SlaClock.objects.select_for_update(of=("self",)).select_related("policy", "calendar")
    return {c.metric: c for c in rows.filter(ticket_id=ticket.pk)}


@transaction.atomic
def apply_policy(
    ticket: Ticket,
    *,
    at: datetime,
    recorded_at: datetime | None = None,
    policies: list[SlaPolicy] | None = None,
    schedules: _Schedules | None = None,
) -> SlaPolicy | None:
    """Give the ticket the clocks of its policy (chosen again when its type, priority,
    category or channel changed). Clocks keep their start and elapsed time; a new target or
    calendar moves their due instants. A ticket no policy matches keeps its clocks.

    ``at`` is the change's instant (a ticket waiting for the customer pauses its new clocks
    then); the event is recorded at ``recorded_at`` (default ``at``). ``policies`` and
    ``schedules``: what a batch read already (``start_clocks``)."""
    policy = select_policy(ticket, policies)
    clocks = _clocks(ticket)
    if policy is None:
        return None
    running = [c for c in clocks.values() if c.completed_at is None]
    previous = next((c.policy_id for c in running or list(clocks.values())), None)
    if clocks and previous == policy.pk and all(c.policy_id == policy.pk for c in running):
        return policy
    schedules = schedules or _Schedules()
    targets = {t.metric: t for t in policy.targets.all()}
    had_clocks = bool(clocks)
    for dropped in running:
        if dropped.metric not in targets:
            # The new policy promises nothing for this metric: its clock goes.
            _disarm(dropped)
            dropped.delete()
            del clocks[dropped.metric]
    for metric, target in targets.items():
        clock = _targeted(ticket, clocks.get(metric), metric, policy, target)
        if clock is None:
            continue
        schedule = schedules(clock.calendar)
        if clock.pk is None:
            _open(clock, schedule, at)
            clock.save()
            due_work.schedule_new(_opening_timers(clock, schedule))
            clocks[metric] = clock
            continue
        if clock.completed_at is None:
            if clock.state == ClockState.PAUSED:
                _stop(clock, schedule, at)
                clock.due_at = None
            _arm(clock, schedule)
        clock.save()
    if not had_clocks and not clocks:
        return policy  # solved or closed before its clocks could start: nothing applied
    record_event(
        "sla.policy_applied",
        policy,
        ticket_id=ticket.pk,
        customer_id=ticket.customer_id,
        at=recorded_at or at,
        data={"policy": policy.pk, "name": policy.name, "previous": previous},
    )
    refresh_ticket_status(ticket.pk)
    return policy


@transaction.atomic
def start_clocks(openings: Sequence[tuple[int, datetime]]) -> None:
    """``apply_policy`` for new tickets, many at once: ``(ticket id, created at)`` of the
    ``ticket.created`` events of one batch of reactions.

    The same clocks, due work, ``sla.policy_applied`` events and SLA status as one
    ``apply_policy`` per ticket, written with one statement per kind of row for the whole
    batch: the policies and calendars are read once, and a ticket without clocks has no due
    work to look up or cancel. A ticket that has clocks already (its event handled twice)
    takes ``apply_policy`` itself."""
    ids = {ticket_id for ticket_id, _at in openings}
    locked = {
        t.pk: t
        for t in Ticket.objects.select_for_update(of=("self",))
        .select_related("customer", "category", "team", "department")
        .filter(pk__in=ids)
        .order_by("pk")  # one lock order for every batch
    }
    held = set(SlaClock.objects.filter(ticket_id__in=ids).values_list("ticket_id", flat=True))
    policies = active_policies()
    schedules = _Schedules()
    fresh: list[tuple[Ticket, SlaPolicy, datetime, list[SlaClock]]] = []
    seen: set[int] = set()
    for ticket_id, at in openings:
        ticket = locked.get(ticket_id)
        if ticket is None or ticket_id in seen:
            continue  # deleted meanwhile; or named twice, and applying again changes nothing
        seen.add(ticket_id)
        if ticket_id in held:
            apply_policy(ticket, at=at, policies=policies, schedules=schedules)
            continue
        policy = select_policy(ticket, policies)
        if policy is None:
            continue
        clocks = []
        for target in policy.targets.all():
            clock = _targeted(ticket, None, target.metric, policy, target)
            if clock is not None:
                _open(clock, schedules(clock.calendar), at)
                clocks.append(clock)
        if clocks:  # none: solved or closed before its clocks could start, nothing applied
            fresh.append((ticket, policy, at, clocks))
    if not fresh:
        return
    SlaClock.objects.bulk_create([clock for *_rest, clocks in fresh for clock in clocks])
    due_work.schedule_new(
        [
            item
            for *_rest, clocks in fresh
            for clock in clocks
            for item in _opening_timers(clock, schedules(clock.calendar))
        ]
    )
    record_events(
        [
            NewEvent(
                "sla.policy_applied",
                policy,
                ticket_id=ticket.pk,
                customer_id=ticket.customer_id,
                at=at,
                data={"policy": policy.pk, "name": policy.name, "previous": None},
            )
            for ticket, policy, at, _clocks_ in fresh
        ]
    )
    tickets.set_sla_statuses({ticket.pk: _status_of(clocks) for ticket, *_rest, clocks in fresh})


def _targeted(
    ticket: Ticket,
    clock: SlaClock | None,
    metric: str,
    policy: SlaPolicy,
    target: SlaTarget,
) -> SlaClock | None:
    """``clock`` (or a new clock, for a metric a ticket opens with, unless the ticket is
    solved or closed) given the policy's target for ``metric``; None: no clock."""
    if clock is None:
        if metric not in OPENING_METRICS or ticket.status in (
            TicketStatus.SOLVED,
            TicketStatus.CLOSED,
        ):
            return None
        clock = SlaClock(
            ticket=ticket,
            metric=metric,
            started_at=ticket.created_at,
            running_since=ticket.created_at,
            state=ClockState.RUNNING,
        )
        if metric == Metric.FIRST_RESPONSE and ticket.first_response_at is not None:
            clock.completed_at = ticket.first_response_at
        elif ticket.status == TicketStatus.PENDING_CUSTOMER:
            clock.state = ClockState.PAUSED
    clock.policy = policy
    clock.calendar = target.calendar or policy.calendar
    clock.target_minutes = target.minutes
    clock.warn_at_percent = policy.warn_at_percent
    return clock


def _open(clock: SlaClock, schedule: Schedule, at: datetime) -> None:
    """Settle a new clock before it is inserted: met already (the ticket was answered),
    paused since ``at`` (waiting for the customer), or running with its due instant."""
    if clock.completed_at is not None:
        _stop(clock, schedule, clock.completed_at)
        clock.state = ClockState.MET
    elif clock.state == ClockState.PAUSED:
        _stop(clock, schedule, at)
        clock.due_at = None
    else:
        _timers(clock, schedule)  # sets due_at; the items need the key, known after insert


def _opening_timers(clock: SlaClock, schedule: Schedule) -> list[Due]:
    """A clock's due work right after its insert: nothing is pending under its new key, so
    there is nothing to cancel (``due_work.schedule_new``)."""
    if clock.completed_at is not None:
        return []
    due, _nothing_to_cancel = _timers(clock, schedule)
    return due


@transaction.atomic
def record_response(ticket: Ticket, *, at: datetime) -> None:
    """An agent replied: the first and the next response targets are met."""
    clocks = _clocks(ticket)
    schedules = _Schedules()
    for metric in (Metric.FIRST_RESPONSE, Metric.NEXT_RESPONSE):
        clock = clocks.get(metric)
        if clock is not None and clock.completed_at is None:
            _complete(clock, schedules(clock.calendar), at)
    refresh_ticket_status(ticket.pk)


@transaction.atomic
def record_customer_message(ticket: Ticket, *, at: datetime) -> None:
    """The customer wrote after a reply: the next-response clock starts (if not running)."""
    if ticket.first_response_at is None:
        return  # the first-response clock still answers for it
    clocks = _clocks(ticket)
    current = clocks.get(Metric.NEXT_RESPONSE)
    if current is not None and current.completed_at is None:
        return  # the oldest unanswered message sets the clock
    policy = next((c.policy for c in clocks.values() if c.policy is not None), None)
    target = policy.targets.filter(metric=Metric.NEXT_RESPONSE).first() if policy else None
    if policy is None or target is None:
        return
    clock = current or SlaClock(ticket=ticket, metric=Metric.NEXT_RESPONSE)
    clock.policy = policy
    clock.calendar = target.calendar or policy.calendar
    clock.target_minutes = target.minutes
    clock.warn_at_percent = policy.warn_at_percent
    clock.state = ClockState.RUNNING
    clock.started_at = clock.running_since = at
    clock.elapsed_seconds = 0
    clock.warned_at = clock.breached_at = clock.completed_at = None
    clock.escalation_level = EscalationLevel.NONE
    clock.save()
    _arm(clock, schedule_of(clock.calendar))
    clock.save()
    refresh_ticket_status(ticket.pk)


@transaction.atomic
def record_status(ticket: Ticket, *, before: str, after: str, at: datetime) -> None:
    """Waiting for the customer pauses the clocks, leaving it resumes them, solving or
    closing completes them, reopening resumes the resolution clock."""
    clocks = _clocks(ticket)
    schedules = _Schedules()
    for clock in clocks.values():
        schedule = schedules(clock.calendar)
        if after in (TicketStatus.SOLVED, TicketStatus.CLOSED):
            if clock.completed_at is None:
                _complete(clock, schedule, at)
        elif after == TicketStatus.PENDING_CUSTOMER:
            if clock.completed_at is None and clock.state != ClockState.PAUSED:
                _stop(clock, schedule, at)
                clock.state = ClockState.PAUSED
                clock.due_at = None
                _disarm(clock)
                clock.save()
        elif clock.completed_at is None and clock.state == ClockState.PAUSED:
            clock.state = _run_from(clock, at)
            _arm(clock, schedule)
            clock.save()
        elif (
            before == TicketStatus.SOLVED
            and clock.metric == Metric.RESOLUTION
            and clock.completed_at is not None
        ):
            clock.completed_at = None
            clock.state = _run_from(clock, at)
            _arm(clock, schedule)
            clock.save()
    refresh_ticket_status(ticket.pk)


@transaction.atomic
def track_existing_ticket(ticket_id: int) -> None:
    """Give a ticket that predates the sla app (or imported data) its clocks as its history
    says: started at creation, first response met when answered, the next response running
    from an unanswered customer message, paused while waiting for the customer. Clocks due
    already fire as soon as a runner takes their due work."""
    ticket = lock_ticket(ticket_id)
    if ticket is None or ticket.status in (TicketStatus.SOLVED, TicketStatus.CLOSED):
        return
    last_reply = (
        Message.objects.filter(ticket_id=ticket.pk, kind=MessageKind.REPLY)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    now = timezone.now()
    waiting_since = last_reply or ticket.updated_at
    at = waiting_since if ticket.status == TicketStatus.PENDING_CUSTOMER else now
    # Recorded now: the log stays in time order after the ticket's history.
    if apply_policy(ticket, at=at, recorded_at=now) is None:
        return
    customer_at = ticket.last_customer_message_at
    if last_reply is not None and customer_at is not None and customer_at > last_reply:
        record_customer_message(ticket, at=customer_at)


def _complete(clock: SlaClock, schedule: Schedule, at: datetime) -> None:
    _stop(clock, schedule, at)
    clock.completed_at = at
    clock.state = ClockState.BREACHED if clock.breached_at is not None else ClockState.MET
    _disarm(clock)
    clock.save()


def refresh_ticket_status(ticket_id: int) -> None:
    """Copy the most urgent clock onto the ticket (for its badge, its sort and its views)."""
    state, due = _status_of(SlaClock.objects.filter(ticket_id=ticket_id))
    tickets.set_sla_status(ticket_id, state=state, due_at=due)


def _status_of(clocks: Iterable[SlaClock]) -> tuple[str, datetime | None]:
    """The ticket's SLA state and due instant from all its clocks: the most urgent running
    one, else paused (open clocks, none running), met (all done) or none (no clocks)."""
    every = list(clocks)
    open_clocks = [c for c in every if c.completed_at is None]
    running = [c for c in open_clocks if c.state in ACTIVE_STATES and c.due_at is not None]
    if running:
        due = min(c.due_at for c in running if c.due_at is not None)
        states = {c.state for c in running}
        state = next(
            s for s in (ClockState.BREACHED, ClockState.WARNING, ClockState.RUNNING) if s in states
        )
        return state, due
    if open_clocks:
        return ClockState.PAUSED, None
    return (ClockState.MET if every else ""), None


# ---------------------------------------------------------------------------------------
# Due work: warning, breach, escalation (called by ``handlers`` in the item's transaction)


def _locked_clock(clock_id: int) -> tuple[Ticket, SlaClock] | None:
    ticket_id = SlaClock.objects.filter(pk=clock_id).values_list("ticket_id", flat=True).first()
    if ticket_id is None:
        return None
    ticket = lock_ticket(ticket_id)
    clock = (
        SlaClock.objects.select_for_update(of=("self",))
        .select_related("policy", "calendar")
        .filter(pk=clock_id)
        .first()
    )
    if ticket is None or clock is None:
        return None
    return ticket, clock


def department_head(ticket: Ticket) -> User | None:
    department = ticket.department or (ticket.team.department if ticket.team else None)
    return department.head if department is not None else None


def chain_person(ticket: Ticket, level: int) -> User | None:
    """Who hears of a missed target at escalation ``level`` (None: nobody at that level)."""
    if level == EscalationLevel.OWNER:
        return ticket.owner
    if level == EscalationLevel.SUPERVISOR:
        return ticket.team.supervisor if ticket.team else None
    if level == EscalationLevel.DEPARTMENT_HEAD:
        return department_head(ticket)
    return None


def _next_in_chain(ticket: Ticket, level: int) -> tuple[int, User] | None:
    for step in range(level, EscalationLevel.DEPARTMENT_HEAD + 1):
        person = chain_person(ticket, step)
        if person is not None and person.is_active:
            return step, person
    return None


def _clock_data(clock: SlaClock, **extra: Any) -> dict[str, Any]:
    return {"clock": clock.pk, "metric": clock.metric, "due_at": _iso(clock.due_at), **extra}


@transaction.atomic
def fire_warning(clock_id: int, *, now: datetime) -> bool:
    """A running clock reached its warning share: warn once (the owner, or the next person
    in the chain when nobody owns the ticket)."""
    found = _locked_clock(clock_id)
    if found is None:
        return False
    ticket, clock = found
    if clock.completed_at is not None or clock.state != ClockState.RUNNING or clock.warned_at:
        return False
    if clock.due_at is not None and clock.due_at <= now:
        return False  # a runner late past the due time: the breach alone says it
    clock.state = ClockState.WARNING
    clock.warned_at = now
    clock.save(update_fields=["state", "warned_at"])
    event = record_event(
        "sla.warning",
        clock,
        ticket_id=ticket.pk,
        customer_id=ticket.customer_id,
        at=now,
        data=_clock_data(clock),
    )
    person = _next_in_chain(ticket, EscalationLevel.OWNER)
    if person is not None:
        notify(event, [person[1]])
    refresh_ticket_status(ticket.pk)
    return True


@transaction.atomic
def fire_breach(clock_id: int, *, now: datetime) -> bool:
    """A clock passed its due instant: record the breach once and tell the first person in
    the chain (owner → team supervisor → department head); the next step is due work."""
    found = _locked_clock(clock_id)
    if found is None:
        return False
    ticket, clock = found
    if clock.completed_at is not None or clock.state not in (
        ClockState.RUNNING,
        ClockState.WARNING,
    ):
        return False
    if clock.due_at is not None and clock.due_at > now:
        return False  # moved later meanwhile; its own item is scheduled at the new instant
    due_work.cancel(WARN, key=clock.due_key)
    clock.state = ClockState.BREACHED
    # The instant the target was missed (a runner may take the item a little later).
    clock.breached_at = clock.due_at or now
    step = _next_in_chain(ticket, EscalationLevel.OWNER)
    clock.escalation_level = step[0] if step else EscalationLevel.DEPARTMENT_HEAD
    clock.save(update_fields=["state", "breached_at", "escalation_level"])
    event = record_event(
        "sla.breached",
        clock,
        ticket_id=ticket.pk,
        customer_id=ticket.customer_id,
        at=now,
        data=_clock_data(clock, level=clock.escalation_level, to=step[1].pk if step else None),
    )
    if step is not None:
        notify(event, [step[1]])
    _schedule_escalation(clock, schedule_of(clock.calendar), after=now)
    refresh_ticket_status(ticket.pk)
    return True


@transaction.atomic
def fire_escalation(clock_id: int, *, level: int, now: datetime) -> bool:
    """The breach is still open after the escalation delay: tell the next person up."""
    found = _locked_clock(clock_id)
    if found is None:
        return False
    ticket, clock = found
    if (
        clock.completed_at is not None
        or clock.state != ClockState.BREACHED
        or clock.escalation_level >= level
    ):
        return False
    step = _next_in_chain(ticket, level)
    if step is None:
        clock.escalation_level = EscalationLevel.DEPARTMENT_HEAD
        clock.save(update_fields=["escalation_level"])
        return False
    clock.escalation_level = step[0]
    clock.save(update_fields=["escalation_level"])
    event = record_event(
        "sla.escalated",
        clock,
        ticket_id=ticket.pk,
        customer_id=ticket.customer_id,
        at=now,
        data=_clock_data(clock, level=step[0], to=step[1].pk),
    )
    notify(event, [step[1]])
    _schedule_escalation(clock, schedule_of(clock.calendar), after=now)
    return True


# ---------------------------------------------------------------------------------------
# Key commitments (关键承诺): a reminder before they are due, an escalation when missed


REMIND = "sla.commitment_remind"
MISSED = "sla.commitment_missed"
REMIND_BEFORE = timedelta(hours=1)


def _commitment_key(commitment_id: int) -> str:
    return f"tickets.commitment:{commitment_id}"


@transaction.atomic
def schedule_commitment(commitment_id: int) -> None:
    """Remind the owner an hour before an open commitment is due (at once if it is due
    sooner) and escalate it at its due time; a kept or cancelled one has no timers."""
    commitment = Commitment.objects.filter(pk=commitment_id).first()
    key = _commitment_key(commitment_id)
    if commitment is None or commitment.is_settled:
        due_work.cancel(REMIND, key=key)
        due_work.cancel(MISSED, key=key)
        return
    remind_at = max(commitment.due_at - REMIND_BEFORE, commitment.created_at)
    due_work.schedule(REMIND, key=key, due_at=remind_at)
    due_work.schedule(MISSED, key=key, due_at=commitment.due_at)


def _open_commitment(commitment_id: int) -> tuple[Ticket, Commitment] | None:
    ticket_id = (
        Commitment.objects.filter(pk=commitment_id).values_list("ticket_id", flat=True).first()
    )
    ticket = lock_ticket(ticket_id) if ticket_id is not None else None
    commitment = Commitment.objects.filter(pk=commitment_id).first()
    if ticket is None or commitment is None or commitment.is_settled:
        return None
    return ticket, commitment


def _commitment_data(commitment: Commitment) -> dict[str, Any]:
    return {
        "commitment": commitment.pk,
        "description": commitment.description,
        "due_at": commitment.due_at.isoformat(),
    }


@transaction.atomic
def remind_commitment(commitment_id: int, *, now: datetime) -> bool:
    """An open commitment is due soon: tell the ticket's owner (or who made it), once. A
    runner late past the due time leaves it to the missed commitment's escalation."""
    found = _open_commitment(commitment_id)
    if found is None:
        return False
    ticket, commitment = found
    if commitment.due_at <= now:
        return False
    event = record_event(
        "sla.commitment_due_soon",
        commitment,
        ticket_id=ticket.pk,
        customer_id=ticket.customer_id,
        at=now,
        data=_commitment_data(commitment),
    )
    person = ticket.owner or commitment.created_by
    if person is not None:
        notify(event, [person])
    return True


@transaction.atomic
def miss_commitment(commitment_id: int, *, now: datetime) -> bool:
    """An open commitment passed its due time: the owner, the queue's supervisor and the
    department head are told, once."""
    found = _open_commitment(commitment_id)
    if found is None:
        return False
    ticket, commitment = found
    if commitment.due_at > now:
        return False
    event = record_event(
        "sla.commitment_missed",
        commitment,
        ticket_id=ticket.pk,
        customer_id=ticket.customer_id,
        at=now,
        data=_commitment_data(commitment),
    )
    chain = [chain_person(ticket, level) for level in EscalationLevel.values if level]
    notify(event, [p for p in [ticket.owner or commitment.created_by, *chain] if p is not None])
    return True


# ---------------------------------------------------------------------------------------
# Collaboration tasks (协作任务): a deadline from the policy, an escalation when overdue


TASK_OVERDUE = "sla.task_overdue"


def _task_key(task_id: int) -> str:
    return f"tickets.task:{task_id}"


def target_due(ticket: Ticket, *, metric: str, start: datetime) -> datetime | None:
    """The instant the ticket's policy's ``metric`` target falls due for work started at
    ``start``, counted in the target's calendar (the policy's by default) with the business
    hours arithmetic. None when no policy applies or the policy sets no such target."""
    policy = select_policy(ticket)
    target = next((t for t in policy.targets.all() if t.metric == metric), None) if policy else None
    if policy is None or target is None:
        return None
    schedule = schedule_of(target.calendar or policy.calendar)
    return add_business_time(schedule, start, timedelta(minutes=target.minutes))


def task_deadline(ticket: Ticket, start: datetime) -> datetime | None:
    """The instant a task opened at ``start`` is due: the ticket's policy's task target,
    counted in the target's calendar (the policy's by default). None without a target."""
    return target_due(ticket, metric=Metric.TASK, start=start)


def playbook_due(ticket: Ticket, *, metric: str, start: datetime) -> datetime | None:
    """The due instant of a complaint playbook step (a stage or the first progress update,
    one of ``PLAYBOOK_METRICS``) started at ``start``, from the ticket's policy; None when
    the policy promises no time for it. The public entry for the automation app."""
    if metric not in PLAYBOOK_METRICS:
        raise ValueError(f"not a playbook target: {metric!r}")
    return target_due(ticket, metric=metric, start=start)


@transaction.atomic
def schedule_task(task_id: int) -> datetime | None:
    """Give an open task its deadline (once: a deadline already set is kept) and its overdue
    escalation as due work; an answered or cancelled task has none. Safe to run twice."""
    found = CollaborationTask.objects.filter(pk=task_id).values_list("ticket_id", flat=True).first()
    ticket = lock_ticket(found) if found is not None else None
    task = CollaborationTask.objects.filter(pk=task_id).first()
    key = _task_key(task_id)
    if ticket is None or task is None or not task.is_open:
        due_work.cancel(TASK_OVERDUE, key=key)
        return None
    if task.due_at is None:
        due = task_deadline(ticket, task.created_at)
        if due is None:
            return None
        collaboration.set_task_due(task.pk, due_at=due)
        task.due_at = due
        record_event(
            "sla.task_deadline_set",
            task,
            ticket_id=ticket.pk,
            customer_id=ticket.customer_id,
            at=timezone.now(),
            data={
                "task": task.pk,
                "department_name": task.department.name,
                "due_at": due.isoformat(),
            },
        )
    if task.overdue_at is None:
        due_work.schedule(TASK_OVERDUE, key=key, due_at=task.due_at)
    return task.due_at


@transaction.atomic
def escalate_task(task_id: int, *, now: datetime) -> bool:
    """An open task passed its deadline: record it once and tell the department's head (and
    the task's owner there, and the ticket's owner, who speaks to the customer)."""
    found = CollaborationTask.objects.filter(pk=task_id).values_list("ticket_id", flat=True).first()
    ticket = lock_ticket(found) if found is not None else None
    if ticket is None:
        return False
    task = collaboration.mark_task_overdue(task_id, now=now)
    if task is None:
        return False
    event = record_event(
        "sla.task_overdue",
        task,
        ticket_id=ticket.pk,
        customer_id=ticket.customer_id,
        at=now,
        data={
            "task": task.pk,
            "department": task.department_id,
            "department_name": task.department.name,
            "due_at": _iso(task.due_at),
            "to": task.department.head_id,
        },
    )
    people = [task.department.head, task.assignee, ticket.owner]
    notify(event, [p for p in people if p is not None and p.is_active])
    return True
