"""One demo load for every test of the demo and of its set-ups (a load takes tens of seconds):
loaded once per test worker as if it were ``NOW`` (the set-ups after the history go through the
services, which stamp the wall clock), rolled back at the end. Each test runs in a savepoint
inside it, so what a test changes or deletes is gone for the next one."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.apps import apps
from django.db import transaction

from bihuan.demo.generate import DemoResult, load_demo
from bihuan.demo.tests.moment import NOW

# Seeded by a migration; a transactional test on the same worker may have flushed them.
_ORDER_PATTERNS = importlib.import_module(
    "bihuan.triage.migrations.0004_seed_order_number_patterns"
)


@pytest.fixture(scope="package")
def demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[DemoResult]:
    with django_db_blocker.unblock(), transaction.atomic():
        _ORDER_PATTERNS.seed(apps, None)
        with time_machine.travel(NOW, tick=False):
            result = load_demo(now=NOW)
        yield result
        transaction.set_rollback(True)
