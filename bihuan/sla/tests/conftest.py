"""Helpers for SLA tests: tickets at a frozen instant, the engine run at a later one."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from bihuan.core.runner import Runner
from bihuan.customers.models import Organisation
from bihuan.sla.defaults import install_default_policies
from bihuan.sla.models import SlaClock, SlaPolicy
from bihuan.testing.factories import make_ticket
from bihuan.tickets.models import Category, Ticket


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


@dataclass(frozen=True)
class ConditionPolicies:
    lost: Category  # a child of 物流/配送, the category the 物流 policy names
    company: Organisation  # the organisation the 大客户 policy names


def condition_policies() -> ConditionPolicies:
    """Three policies ahead of the seeded ones, one kind of condition each: the customer's
    tier (VIP 客户, first response 30 min), a parent category (物流, 120 min) and an
    organisation (大客户, 90 min), all in the default policy's calendar."""
    office = SlaPolicy.objects.get(name="默认").calendar
    vip = SlaPolicy.objects.create(name="VIP 客户", position=1, tiers=["vip"], calendar=office)
    vip.targets.create(metric="first_response", minutes=30)
    logistics = Category.objects.create(name="物流/配送")
    lost = Category.objects.create(name="快递丢件", parent=logistics)
    parcel = SlaPolicy.objects.create(name="物流", position=2, calendar=office)
    parcel.categories.add(logistics)
    parcel.targets.create(metric="first_response", minutes=120)
    company = Organisation.objects.create(name="星河科技", created_at=timezone.now())
    key_account = SlaPolicy.objects.create(name="大客户", position=3, calendar=office)
    key_account.organisations.add(company)
    key_account.targets.create(metric="first_response", minutes=90)
    return ConditionPolicies(lost=lost, company=company)


def clocks_of(ticket: Ticket) -> dict[str, SlaClock]:
    return {c.metric: c for c in SlaClock.objects.filter(ticket=ticket)}
