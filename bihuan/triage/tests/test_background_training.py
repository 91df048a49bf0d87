"""Retraining a person asks for runs in the background and shows its progress."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from bihuan.core.jobs_status import jobs_status
from bihuan.core.models import DueItem, WorkState
from bihuan.core.runner import Runner
from bihuan.tickets.models import Category
from bihuan.triage import services
from bihuan.triage.models import ModelVersion
from bihuan.triage.tests.test_training import worked_tickets  # noqa: F401  (fixture)


@pytest.mark.django_db
def test_training_asked_from_the_shell_runs_in_the_worker_with_its_progress(
    worked_tickets: dict[str, Category],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = StringIO()
    call_command("triage", "train", "--field", "category", "--background", stdout=out)
    assert not ModelVersion.objects.exists()  # nothing trained in the shell
    seen: list[Any] = []
    original = services.train_model

    def watching(field_name: str, **kwargs: Any) -> ModelVersion:
        seen.append([(w.kind, w.progress.get("done")) for w in jobs_status().long_work])
        return original(field_name, **kwargs)

    monkeypatch.setattr(services, "train_model", watching)

    Runner().run_until_idle()

    assert "training requested" in out.getvalue()
    assert seen == [[("triage.train_requested", 0)]]
    assert ModelVersion.objects.get(field="category").is_active
    item = DueItem.objects.get(kind="triage.train_requested")
    assert item.state == WorkState.DONE
    assert (item.progress["done"], item.progress["total"]) == (1, 1)
