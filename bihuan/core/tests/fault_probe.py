"""A probe consumer and a probe kind of due work, for the fault tests' real processes.

Run as ``python -m bihuan.core.tests.fault_probe COMMAND`` with the environment of the
installation under test (DATABASE_URL, REDIS_URL…):

- ``worker [worker options]``: ``bihuan worker`` with the probes registered;
- ``ping N [--die-after-commit]``: N events ``probe.ping``, one transaction each;
  ``--die-after-commit`` ends the process right after the last commit, before its wake-up;
- ``schedule N SECONDS``: N probe items due in SECONDS.

Commands can be chained with ``+`` (one process start instead of several).

Every handling writes an event (``probe.handled`` with the ping's id, ``probe.fired`` with
the item's id and the handling process), never de-duplicated: a count above one is a double.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from datetime import timedelta

import django

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bihuan.settings")
    django.setup()

from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from bihuan.core.consumers import consumer
from bihuan.core.due_work import due_work, schedule
from bihuan.core.events import record_event
from bihuan.core.models import DueItem, Event, Tag

SLEEP = float(os.environ.get("BIHUAN_PROBE_SLEEP", "0"))


@consumer("probe.record", verbs=("probe.ping",), batch_size=20)
def record_pings(events: Sequence[Event]) -> None:
    for event in events:
        time.sleep(SLEEP)
        record_event("probe.handled", event, data={"ping": event.pk, "pid": os.getpid()})


@due_work("probe.fire")
def fire(item: DueItem) -> None:
    time.sleep(SLEEP)
    record_event("probe.fired", item, data={"item": item.pk, "pid": os.getpid()})


def ping(count: int, *, die_after_commit: bool) -> None:
    tag, _created = Tag.objects.get_or_create(name="probe")
    for number in range(count):
        with transaction.atomic():
            if die_after_commit and number == count - 1:
                # Registered before record_event's wake-up: runs first, so the process
                # ends between the commit and the wake-up.
                transaction.on_commit(lambda: os._exit(0))
            record_event("probe.ping", tag, data={"n": number})


def schedule_items(count: int, seconds: float) -> None:
    due = timezone.now() + timedelta(seconds=seconds)
    with transaction.atomic():
        for number in range(count):
            schedule("probe.fire", key=f"probe:{number}", due_at=due)


def main(argv: list[str]) -> None:
    steps: list[list[str]] = [[]]
    for word in argv:
        if word == "+":
            steps.append([])
        else:
            steps[-1].append(word)
    for command, *rest in steps:
        if command == "worker":
            call_command("worker", *rest)
        elif command == "ping":
            ping(int(rest[0]), die_after_commit="--die-after-commit" in rest)
        elif command == "schedule":
            schedule_items(int(rest[0]), float(rest[1]))
        else:
            raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
