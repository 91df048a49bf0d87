"""Admins see background work for themselves: pending, lag, parked with errors, progress."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client

from bihuan.core import due_work
from bihuan.core.jobs_status import jobs_status
from bihuan.core.models import DueItem, WorkState
from bihuan.core.runner import Runner

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def reminders() -> Iterator[None]:
    def remind(item: DueItem) -> None:
        if item.data.get("fail"):
            raise RuntimeError("SMTP 554 rejected")
        due_work.report_progress(item, done=1, total=1)

    due_work.due_work("test.status", max_attempts=1)(remind)
    yield
    due_work.unregister_kind("test.status")


def test_status_shows_lag_percentiles_throughput_and_parked_errors(
    db: None, reminders: None
) -> None:
    with time_machine.travel(START, tick=False):
        for seconds in (10, 20, 30, 40):
            due_work.schedule(
                "test.status", key=f"late{seconds}", due_at=START - timedelta(seconds=seconds)
            )
        due_work.schedule("test.status", key="broken", due_at=START, data={"fail": True})
        due_work.schedule("test.status", key="later", due_at=START + timedelta(hours=2))
        Runner().run_until_idle()

        status = jobs_status()

    line = next(w for w in status.lines if w.name == "test.status")
    assert (line.pending, line.claimable, line.parked, line.done_last_hour) == (1, 0, 1, 4)
    assert (line.lag_p50, line.lag_p95, line.lag_max) == (20.0, 40.0, 40.0)
    assert [(p.name, p.error) for p in status.parked] == [
        ("test.status", "RuntimeError: SMTP 554 rejected")
    ]


def test_the_command_and_the_admin_page_show_the_same_work(org: Any, reminders: None) -> None:
    due_work.schedule("test.status", key="broken", due_at=datetime.now(UTC), data={"fail": True})
    Runner().run_until_idle()
    out = StringIO()

    call_command("jobs", "status", stdout=out)
    client = Client()
    client.force_login(org.admin)
    page = client.get("/admin/core/reaction/status/")
    call_command("jobs", "retry", "--all", stdout=out)

    assert "test.status" in out.getvalue()
    assert "SMTP 554 rejected" in out.getvalue()
    assert "1 parked rows back in the queue" in out.getvalue()
    assert page.status_code == 200
    assert "SMTP 554 rejected" in page.content.decode()
    assert DueItem.objects.get(key="broken").state == WorkState.PENDING
