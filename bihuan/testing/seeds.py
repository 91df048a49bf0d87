"""What the data migrations seed, put back after a transactional test flushed every table."""

from __future__ import annotations

import importlib

from django.apps import apps
from django.db import transaction

_SLA_SEEDS = (
    "bihuan.sla.migrations.0002_seed_default_calendars_and_policies",
    "bihuan.sla.migrations.0003_collaboration_task_target",
    "bihuan.sla.migrations.0004_complaint_playbook_targets",
)
_ORDER_PATTERNS = "bihuan.triage.migrations.0004_seed_order_number_patterns"


def restore_migration_data() -> None:
    """Seed again what a flush removed; nothing when the seeds are there (one query each)."""
    with transaction.atomic():
        if not apps.get_model("sla", "SlaPolicy").objects.exists():
            for name in _SLA_SEEDS:  # in migration order: the later ones add targets
                importlib.import_module(name).seed(apps, None)
        if not apps.get_model("triage", "OrderNumberPattern").objects.exists():
            importlib.import_module(_ORDER_PATTERNS).seed(apps, None)
