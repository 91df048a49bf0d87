"""Periodic triage work, as due items (``core.due_work``): it runs wherever a runner runs,
the embedded mode included.

Both are safe to run twice: retraining makes a new version (the previous is kept), releasing
re-checks each ticket under its row lock.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from bihuan.accounts.models import User
from bihuan.core.due_work import due_work, every, report_progress, schedule, weekly
from bihuan.core.errors import ValidationFailed
from bihuan.core.models import DueItem
from bihuan.triage import services
from bihuan.triage.choices import TriageField

logger = logging.getLogger(__name__)


# The models learn from the week's corrections every Sunday night (Asia/Shanghai).
@due_work(
    "triage.retrain_models",
    atomic=False,
    lease=timedelta(hours=2),
    repeat=weekly(weekday=6, hour=3),
)
def retrain_models(item: DueItem) -> None:
    """Retrain every field that has enough labelled tickets; skip the others."""
    fields = list(TriageField.values)
    for done, field_name in enumerate(fields):
        report_progress(item, done=done, total=len(fields), note=field_name)
        try:
            services.train_model(field_name)
        except ValidationFailed as exc:
            logger.info("retraining %s skipped: %s", field_name, exc)
    report_progress(item, done=len(fields), total=len(fields))


@due_work("triage.train_requested", atomic=False, lease=timedelta(hours=2))
def train_requested(item: DueItem) -> None:
    """Retraining a person asked for (``request_training``), with its progress shown."""
    fields = [f for f in item.data.get("fields", []) if f in TriageField.values]
    fields = fields or list(TriageField.values)
    actor = User.objects.filter(pk=item.data.get("actor")).first()
    for done, field_name in enumerate(fields):
        report_progress(item, done=done, total=len(fields), note=field_name)
        try:
            services.train_model(field_name, actor=actor, min_samples=item.data.get("min", 30))
        except ValidationFailed as exc:
            logger.info("training %s skipped: %s", field_name, exc)
    report_progress(item, done=len(fields), total=len(fields))


def request_training(
    *, fields: list[str] | None = None, actor: User | None = None, min_samples: int = 30
) -> DueItem:
    """Ask for the models to be retrained in the background, now; ``bihuan jobs status`` and
    the admin show its progress. Asking again before it started replaces the request."""
    with transaction.atomic():
        return schedule(
            "triage.train_requested",
            due_at=timezone.now(),
            data={
                "fields": list(fields or []),
                "actor": actor.pk if actor is not None else None,
                "min": min_samples,
            },
        )


# Tickets of an agent who went offline are offered to the queue again.
@due_work("triage.release_offline_owners", atomic=False, repeat=every(timedelta(minutes=1)))
def release_tickets_of_offline_owners(item: DueItem) -> None:
    services.release_tickets_of_offline_owners()
