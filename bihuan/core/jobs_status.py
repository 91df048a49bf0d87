"""What the background work is doing: per consumer and per kind of due work.

Read by ``bihuan jobs status`` and the admin's "Background work" page. Pending and parked
counts come from the partial indexes on pending rows; lag and throughput from the rows
finished in the last hour (the index on ``finished_at``).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Min, Q
from django.utils import timezone

from bihuan.core.consumers import registered_consumers
from bihuan.core.due_work import registered_kinds
from bihuan.core.models import DueItem, Reaction, WorkState

WINDOW = timedelta(hours=1)


def percentile(values: list[float], share: float) -> float | None:
    """The nearest-rank percentile (None for no values)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


@dataclass
class WorkLine:
    """One consumer or one kind of due work."""

    source: str  # "reaction" or "due"
    name: str
    pending: int = 0
    claimable: int = 0
    running: int = 0
    parked: int = 0
    oldest_pending: datetime | None = None
    done_last_hour: int = 0
    lags: list[float] = field(default_factory=list, repr=False)

    @property
    def lag_p50(self) -> float | None:
        return percentile(self.lags, 0.5)

    @property
    def lag_p95(self) -> float | None:
        return percentile(self.lags, 0.95)

    @property
    def lag_max(self) -> float | None:
        return max(self.lags) if self.lags else None


@dataclass
class ParkedRow:
    source: str
    pk: int
    name: str
    attempts: int
    error: str


@dataclass
class LongWork:
    pk: int
    kind: str
    progress: dict[str, Any]


@dataclass
class JobsStatus:
    at: datetime
    lines: list[WorkLine]
    parked: list[ParkedRow]
    long_work: list[LongWork]


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def jobs_status(*, now: datetime | None = None, parked_limit: int = 50) -> JobsStatus:
    """Counts, lag percentiles over the last hour, parked rows and long work in progress."""
    moment = now or timezone.now()
    lines: dict[tuple[str, str], WorkLine] = {}
    for consumer in registered_consumers():
        lines["reaction", consumer.name] = WorkLine("reaction", consumer.name)
    for kind in registered_kinds():
        lines["due", kind.name] = WorkLine("due", kind.name)

    def line(source: str, name: str) -> WorkLine:
        return lines.setdefault((source, name), WorkLine(source, name))

    sources: list[tuple[str, Any, str, str]] = [
        ("reaction", Reaction.objects, "consumer", "event_at"),
        ("due", DueItem.objects, "kind", "due_at"),
    ]
    for source, rows, name_field, start_field in sources:
        for row in (
            rows.filter(state__in=[WorkState.PENDING, WorkState.PARKED])
            .values(name_field, "state")
            .annotate(
                count=Count("id"),
                claimable=Count("id", filter=Q(available_at__lte=moment)),
                running=Count("id", filter=Q(available_at__gt=moment) & ~Q(claimed_by="")),
                oldest=Min(start_field),
            )
        ):
            entry = line(source, row[name_field])
            if row["state"] == WorkState.PARKED:
                entry.parked = row["count"]
            else:
                entry.pending = row["count"]
                entry.running = row["running"]
                # Due, or claimed by a runner whose lease expired: takeable now.
                entry.claimable = row["claimable"]
                entry.oldest_pending = row["oldest"]
        finished: dict[str, list[float]] = defaultdict(list)
        for name, started, ended in rows.filter(
            finished_at__gte=moment - WINDOW, state=WorkState.DONE
        ).values_list(name_field, start_field, "finished_at"):
            finished[name].append(max(0.0, (ended - started).total_seconds()))
        for name, lags in finished.items():
            entry = line(source, name)
            entry.lags = lags
            entry.done_last_hour = len(lags)
    parked = [
        ParkedRow("reaction", r.pk, r.consumer, r.attempts, _last_line(r.last_error))
        for r in Reaction.objects.filter(state=WorkState.PARKED).order_by("-id")[:parked_limit]
    ] + [
        ParkedRow("due", d.pk, d.kind, d.attempts, _last_line(d.last_error))
        for d in DueItem.objects.filter(state=WorkState.PARKED).order_by("-id")[:parked_limit]
    ]
    long_work = [
        LongWork(item.pk, item.kind, item.progress)
        for item in DueItem.objects.filter(state=WorkState.PENDING)
        .exclude(progress={})
        .exclude(claimed_by="")
        .order_by("id")[:20]
    ]
    ordered = sorted(lines.values(), key=lambda w: (w.source != "reaction", w.name))
    return JobsStatus(moment, ordered, parked, long_work)
