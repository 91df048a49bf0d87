"""Helpers for automation tests: tickets whose fields triage leaves alone, time that moves,
and the engine run as a worker would."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
import time_machine

from bihuan.automation import services
from bihuan.automation.models import AutomationRule
from bihuan.core.models import Event
from bihuan.core.runner import Runner
from bihuan.sla.defaults import install_default_policies
from bihuan.testing.factories import make_ticket
from bihuan.tickets.models import Ticket


class Clock:
    """Moves time and runs what became due (reactions and due work)."""

    def __init__(self) -> None:
        self.traveller: Any = None

    def travel(self, text: str) -> None:
        if self.traveller is not None:
            self.traveller.stop()
        self.traveller = time_machine.travel(datetime.fromisoformat(text), tick=False)
        self.traveller.start()

    def run(self, text: str | None = None) -> int:
        if text is not None:
            self.travel(text)
        return Runner("test", raise_errors=True).run_until_idle().total

    def stop(self) -> None:
        if self.traveller is not None:
            self.traveller.stop()


@pytest.fixture
def default_policies() -> None:
    """The default SLA policies (a transactional test's database is emptied after its
    migrations): the complaint playbook reads its stage times from them."""
    install_default_policies()


@pytest.fixture
def clock() -> Iterator[Clock]:
    moving = Clock()
    yield moving
    moving.stop()


def new_ticket(kind: str = "inquiry", **extra: Any) -> Ticket:
    """A ticket whose type and priority triage leaves as given."""
    extra.setdefault("channel", "web")
    extra.setdefault("subject", "发票怎么开")
    extra.setdefault("body", "请问发票在哪里申请？")
    return make_ticket(kind=kind, explicit_fields=("kind", "priority"), **extra)


def make_rule(
    admin: Any, name: str, trigger: str, actions: list[dict[str, Any]], **extra: Any
) -> AutomationRule:
    return services.save_rule(
        services.RuleInput(name=name, trigger=trigger, actions=actions, **extra), actor=admin
    )


def ticket_events(ticket: Ticket, prefix: str = "") -> list[Event]:
    return list(Event.objects.filter(ticket_id=ticket.pk, verb__startswith=prefix).order_by("id"))
