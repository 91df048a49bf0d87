"""Helpers for SLA tests: tickets at a frozen instant, the engine run at a later one."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
import time_machine

from bihuan.core.runner import Runner
from bihuan.sla.defaults import install_default_policies
from bihuan.sla.models import SlaClock
from bihuan.testing.factories import make_ticket
from bihuan.tickets.models import Ticket


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


class Clock:
    """Moves time and runs the due work that became due (as a worker would)."""

    def __init__(self) -> None:
        self.traveller: Any = None

    def travel(self, text: str) -> None:
        if self.traveller is not None:
            self.traveller.stop()
        self.traveller = time_machine.travel(at(text), tick=False)
        self.traveller.start()

    def run(self, text: str | None = None) -> int:
        if text is not None:
            self.travel(text)
        return Runner("test", raise_errors=True).run_until_idle().total

    def stop(self) -> None:
        if self.traveller is not None:
            self.traveller.stop()


@pytest.fixture
def policies(db: None) -> None:
    """The seeded calendars and policies (a transactional test empties the tables)."""
    install_default_policies()


@pytest.fixture
def clock() -> Iterator[Clock]:
    moving = Clock()
    yield moving
    moving.stop()


def open_ticket(kind: str = "inquiry", **extra: Any) -> Ticket:
    """A ticket whose type, priority and channel triage leaves as given."""
    extra.setdefault("channel", "web")
    extra.setdefault("subject", "发票怎么开")
    extra.setdefault("body", "请问发票在哪里申请？")
    return make_ticket(kind=kind, explicit_fields=("kind", "priority"), **extra)


def clocks_of(ticket: Ticket) -> dict[str, SlaClock]:
    return {c.metric: c for c in SlaClock.objects.filter(ticket=ticket)}
