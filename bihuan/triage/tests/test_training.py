"""Retraining on the organisation's own tickets, versioning, and rollback."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from bihuan.core.errors import ValidationFailed
from bihuan.customers.models import Customer
from bihuan.tickets.models import Category, Message, Ticket
from bihuan.triage.engine import decide
from bihuan.triage.models import ModelVersion
from bihuan.triage.models_store import active_predictors
from bihuan.triage.services import rollback_model, train_model

REFUND = ["我要退款", "申请退货退款", "退款什么时候到账", "商品不想要了退钱", "refund my order"]
DELIVERY = ["快递一直没到", "物流三天没更新", "包裹丢了", "配送太慢", "where is my parcel"]


@pytest.fixture
def worked_tickets(settings: Any, tmp_path: Path) -> dict[str, Category]:
    settings.DATA_DIR = tmp_path
    refund = Category.objects.create(name="退款")
    delivery = Category.objects.create(name="物流")
    now = timezone.now()
    customer = Customer.objects.create(name="训练客户", created_at=now, updated_at=now)
    rng = random.Random(7)
    for i in range(80):
        category, phrases = (refund, REFUND) if i % 2 else (delivery, DELIVERY)
        text = f"{rng.choice(phrases)}，订单{1000 + i}，{rng.choice(phrases)}"
        ticket = Ticket.objects.create(
            subject=rng.choice(phrases),
            status="solved",
            channel="web",
            customer=customer,
            category=category,
            created_at=now,
            updated_at=now,
        )
        Message.objects.create(
            ticket=ticket, kind="customer", body=text, channel="web", created_at=now
        )
    return {"refund": refund, "delivery": delivery}


@pytest.mark.django_db
def test_training_creates_an_active_versioned_model_that_triage_uses(
    worked_tickets: dict[str, Category],
) -> None:
    version = train_model("category", min_samples=30)

    assert version.is_active
    assert version.sample_count == 80
    assert Path(version.path).exists()
    assert version.metrics["accuracy"] >= 0.9
    decision = decide(
        "包裹一直没到，物流不更新", rules=[], predictors=active_predictors(), fields=["category"]
    )["category"]
    assert decision.value == str(worked_tickets["delivery"].pk)
    assert decision.model_version == version.version
    assert decision.reasons


@pytest.mark.django_db
def test_retraining_keeps_the_previous_version_and_rollback_restores_it(
    worked_tickets: dict[str, Category],
) -> None:
    first = train_model("category", min_samples=30)
    second = train_model("category", min_samples=30)

    restored = rollback_model("category")
    back_to_rules = rollback_model("category")

    assert first.version != second.version
    assert restored == first
    assert back_to_rules is None
    assert ModelVersion.objects.filter(is_active=True).count() == 0
    assert ModelVersion.objects.count() == 2
    with pytest.raises(ValidationFailed):
        rollback_model("category")


@pytest.mark.django_db
def test_training_without_enough_labelled_tickets_is_refused(settings: Any, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path

    with pytest.raises(ValidationFailed) as refused:
        train_model("category")

    assert refused.value.code == "not_enough_data"
    assert ModelVersion.objects.count() == 0


@pytest.mark.django_db
def test_the_train_and_rollback_commands(worked_tickets: dict[str, Category]) -> None:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("triage", "train", "--field", "category", "--min-samples", "30", stdout=out)
    call_command("triage", "train", "--field", "kind", stdout=out)
    call_command("triage", "train", "--field", "category", "--if-missing", stdout=out)
    call_command("triage", "rollback", "--field", "category", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0].startswith("category: category-v1-")
    assert "held-out accuracy=" in lines[0]
    assert lines[1].startswith("kind: skipped")
    assert lines[2] == "category: has an active model, skipped"
    assert lines[3] == "category: now rules and lexicon only"
    assert not ModelVersion.objects.filter(is_active=True).exists()
