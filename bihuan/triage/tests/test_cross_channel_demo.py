"""The demo's cross-channel set-up: the shop's order number pattern, the numbers found in
the demo messages, and a likely duplicate on a customer's page; set up after
``load_demo`` and deleted with it."""

from __future__ import annotations

import importlib
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps

from bihuan.accounts.models import Department, Team, User
from bihuan.core.models import Event
from bihuan.customers.models import Customer, CustomerIdentity
from bihuan.customers.queries import DuplicateReason, list_likely_duplicates
from bihuan.demo.conversation import Cast
from bihuan.demo.cross_channel_setup import delete_cross_channel_setup, set_up_cross_channel
from bihuan.demo.generate import load_demo
from bihuan.tickets.models import Ticket
from bihuan.triage.models import OrderNumberMention, OrderNumberPattern

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 6, 16, 15, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
SEED = importlib.import_module("bihuan.triage.migrations.0004_seed_order_number_patterns")


def test_the_demo_shows_order_numbers_and_a_likely_duplicate() -> None:
    SEED.seed(apps, None)
    with time_machine.travel(NOW, tick=False):
        load_demo(now=NOW)
        cast = Cast(
            users={u.username: u for u in User.objects.all()},
            departments={d.name: d for d in Department.objects.all()},
            teams={t.name: t for t in Team.objects.all()},
            categories={},
        )
        ticket_ids = list(Ticket.objects.values_list("pk", flat=True))

        counts = set_up_cross_channel(cast, ticket_ids)
        again = set_up_cross_channel(cast, ticket_ids)

    labels = set(OrderNumberMention.objects.values_list("label", flat=True))
    duplicate = Customer.objects.get(identities__source="demo-duplicate")
    original = Customer.objects.get(
        pk=int(CustomerIdentity.objects.get(source="demo-duplicate").value.removeprefix("crm-"))
    )
    assert counts["order numbers found"] > 50
    assert counts["likely duplicate customers"] == 1
    assert again == {**counts, "likely duplicate customers": 0}
    assert {"本店订单号", "顺丰运单号", "中通运单号"} <= labels
    assert [
        (s.customer.pk, s.reasons) for s in list_likely_duplicates(cast.supervisor, original)
    ] == [(duplicate.pk, (DuplicateReason.NAME_AND_ORGANISATION,))]

    Ticket.objects.all().delete()  # as delete_demo does, before the set-ups
    delete_cross_channel_setup()

    assert not OrderNumberPattern.objects.filter(name="本店订单号").exists()
    assert not Event.objects.filter(subject_type="triage.ordernumberpattern").exists()
    assert not Customer.objects.filter(pk=duplicate.pk).exists()
    assert OrderNumberPattern.objects.count() == 5  # the seeded ones stay
