"""Scheduled triage work: retrain the models, offer tickets of offline owners again.

Both are safe to run twice: retraining makes a new version (the previous is kept), releasing
re-checks each ticket under its row lock.
"""

from __future__ import annotations

import logging

from celery import shared_task

from bihuan.core.errors import ValidationFailed
from bihuan.triage import services
from bihuan.triage.choices import TriageField

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)  # type: ignore[untyped-decorator]
def retrain_models() -> dict[str, str]:
    """Retrain every field that has enough labelled tickets; skip the others."""
    outcome: dict[str, str] = {}
    for field_name in TriageField.values:
        try:
            outcome[field_name] = services.train_model(field_name).version
        except ValidationFailed as exc:
            outcome[field_name] = f"skipped: {exc}"
    return outcome


@shared_task(acks_late=True)  # type: ignore[untyped-decorator]
def release_tickets_of_offline_owners() -> int:
    return services.release_tickets_of_offline_owners()
