"""Due work and consumers in one process: exactly the due items fire, failures retry and
park, periodic jobs repeat, one bad event never holds back its batch."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction
from django.db.models.signals import post_save
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bihuan.core import due_work
from bihuan.core.consumers import consumer, registered_consumers, unregister_consumer
from bihuan.core.events import NewEvent, record_event, record_events
from bihuan.core.models import DueItem, Event, Reaction, Tag, WorkState
from bihuan.core.runner import Runner, ready_consumers

START = datetime(2026, 10, 8, 1, 0, tzinfo=UTC)  # the morning after the National Day week


@pytest.fixture
def fired() -> Iterator[list[str]]:
    keys: list[str] = []

    def remind(item: DueItem) -> None:
        if item.data.get("fail"):
            raise RuntimeError("the mail server said no")
        keys.append(item.key)

    due_work.due_work("test.remind")(remind)
    due_work.due_work("test.tick", repeat=due_work.every(timedelta(hours=1)))(remind)
    yield keys
    due_work.unregister_kind("test.remind")
    due_work.unregister_kind("test.tick")


def test_a_clock_moved_forward_fires_exactly_the_items_due_in_between(
    db: None, fired: list[str]
) -> None:
    with time_machine.travel(START, tick=False):
        for hours in (1, 2, 3):
            due_work.schedule("test.remind", key=f"h{hours}", due_at=START + timedelta(hours=hours))
        Runner().run_until_idle()
    assert fired == []

    with time_machine.travel(START + timedelta(hours=2, minutes=30), tick=False):
        Runner().run_until_idle()
        assert fired == ["h1", "h2"]
        Runner().run_until_idle()

    assert fired == ["h1", "h2"]
    with time_machine.travel(START + timedelta(hours=5), tick=False):
        Runner().run_until_idle()
    assert fired == ["h1", "h2", "h3"]
    assert set(DueItem.objects.values_list("state", flat=True)) == {WorkState.DONE}


def test_rescheduling_moves_the_one_pending_item_and_cancelling_stops_it(
    db: None, fired: list[str]
) -> None:
    with time_machine.travel(START, tick=False):
        due_work.schedule("test.remind", key="t1", due_at=START + timedelta(hours=1))
        due_work.reschedule("test.remind", key="t1", due_at=START + timedelta(hours=4))
        due_work.schedule("test.remind", key="t2", due_at=START + timedelta(hours=1))
        cancelled = due_work.cancel("test.remind", key="t2")

    with time_machine.travel(START + timedelta(hours=2), tick=False):
        Runner().run_until_idle()

    assert cancelled == 1
    assert fired == []
    assert DueItem.objects.filter(key="t1").count() == 1
    assert DueItem.objects.get(key="t1").due_at == START + timedelta(hours=4)
    assert DueItem.objects.get(key="t2").state == WorkState.CANCELLED


def test_a_failing_item_backs_off_then_parks_with_its_error_and_can_be_retried(
    db: None, fired: list[str], settings: Any
) -> None:
    settings.BIHUAN_JOB_MAX_ATTEMPTS = 3
    settings.BIHUAN_JOB_RETRY_SECONDS = 60
    with time_machine.travel(START, tick=False):
        item = due_work.schedule("test.remind", key="mail", due_at=START, data={"fail": True})
        Runner().run_until_idle()
    item.refresh_from_db()
    assert (item.state, item.attempts) == (WorkState.PENDING, 1)
    assert item.available_at == START + timedelta(seconds=60)
    assert "the mail server said no" in item.last_error

    for minutes in (2, 10):
        with time_machine.travel(START + timedelta(minutes=minutes), tick=False):
            Runner().run_until_idle()
    item.refresh_from_db()
    assert (item.state, item.attempts) == (WorkState.PARKED, 3)

    DueItem.objects.filter(pk=item.pk).update(data={})
    assert due_work.retry_parked([item.pk]) == 1
    Runner().run_until_idle()
    item.refresh_from_db()
    assert item.state == WorkState.DONE
    assert fired == ["mail"]


def test_a_periodic_job_schedules_its_next_run_and_skips_the_runs_missed_while_down(
    db: None, fired: list[str]
) -> None:
    with time_machine.travel(START, tick=False):
        assert due_work.ensure_recurring() >= 1
        assert due_work.ensure_recurring() == 0  # one pending item per periodic job

    with time_machine.travel(START + timedelta(hours=5, minutes=10), tick=False):
        Runner().run_until_idle()

    assert fired == [""]  # once, not five times
    following = DueItem.objects.get(kind="test.tick", state=WorkState.PENDING)
    assert following.due_at == START + timedelta(hours=6)


@pytest.fixture
def handled() -> Iterator[list[int]]:
    seen: list[int] = []

    def handle(events: Sequence[Event]) -> None:
        for event in events:
            if event.data.get("bad"):
                raise ValueError("cannot handle this one")
            seen.append(int(event.data["n"]))
            Tag.objects.create(name=f"seen-{event.data['n']}")

    consumer("test.collect", verbs=("test.pinged",), batch_size=10)(handle)
    yield seen
    unregister_consumer("test.collect")


def test_one_bad_event_does_not_hold_back_the_rest_of_its_batch(
    db: None, handled: list[int], settings: Any
) -> None:
    settings.BIHUAN_REACTIONS_INLINE = False
    tag = Tag.objects.create(name="probe")
    with transaction.atomic():
        for n in range(5):
            record_event("test.pinged", tag, data={"n": n, "bad": n == 2})

    Runner().run_until_idle()

    # The batch's work before the error was rolled back with it, then each event ran alone.
    assert handled == [0, 1, 0, 1, 3, 4]
    assert sorted(Tag.objects.filter(name__startswith="seen-").values_list("name", flat=True)) == [
        "seen-0",
        "seen-1",
        "seen-3",
        "seen-4",
    ]
    states = dict(
        Reaction.objects.filter(consumer="test.collect").values_list("event__data__n", "state")
    )
    assert states == {0: "done", 1: "done", 2: "pending", 3: "done", 4: "done"}
    bad = Reaction.objects.get(consumer="test.collect", state=WorkState.PENDING)
    assert bad.attempts == 1
    assert "cannot handle this one" in bad.last_error


def test_an_event_gets_one_reaction_row_per_interested_consumer_in_its_transaction(
    db: None, handled: list[int], settings: Any
) -> None:
    settings.BIHUAN_REACTIONS_INLINE = False
    tag = Tag.objects.create(name="probe")

    with transaction.atomic():
        event = record_event("test.pinged", tag, data={"n": 1})
        other = record_event("test.ignored", tag)

    assert list(Reaction.objects.filter(event=event).values_list("consumer", flat=True)) == [
        "test.collect"
    ]
    assert not Reaction.objects.filter(event=other).exists()
    assert event.subject_type == "core.tag"


def test_events_recorded_together_are_what_recording_each_gives(
    db: None, handled: list[int], settings: Any
) -> None:
    settings.BIHUAN_REACTIONS_INLINE = False
    tag = Tag.objects.create(name="probe")
    saved: list[int] = []

    def follow(sender: Any, instance: Event, created: bool, **kwargs: Any) -> None:
        saved.append(instance.pk)

    post_save.connect(follow, sender=Event, dispatch_uid="test.follow")
    try:
        with transaction.atomic():
            one = record_event("test.pinged", tag, data={"n": 1}, ticket_id=7)
            many = record_events(
                [
                    NewEvent("test.pinged", tag, data={"n": 2}, ticket_id=8, at=START),
                    NewEvent("test.ignored", tag, customer_id=9),
                    NewEvent("test.pinged", tag, data={"n": 3}),
                ]
            )
    finally:
        post_save.disconnect(dispatch_uid="test.follow", sender=Event)

    assert [e.pk for e in many] == sorted(e.pk for e in many)
    assert many[0].pk > one.pk
    assert saved == [one.pk, *(e.pk for e in many)]  # the live pages hear of every one
    stored = {e.pk: e for e in Event.objects.filter(pk__in=saved)}
    assert [(stored[e.pk].verb, stored[e.pk].data) for e in many] == [
        ("test.pinged", {"n": 2}),
        ("test.ignored", {}),
        ("test.pinged", {"n": 3}),
    ]
    assert (stored[many[0].pk].ticket_id, stored[many[0].pk].occurred_at) == (8, START)
    assert stored[many[1].pk].customer_id == 9
    assert sorted(Reaction.objects.values_list("event_id", "consumer")) == [
        (one.pk, "test.collect"),
        (many[0].pk, "test.collect"),
        (many[2].pk, "test.collect"),
    ]
    Runner(raise_errors=True).run_until_idle()
    assert sorted(handled) == [1, 2, 3]


def test_new_items_are_inserted_at_once_and_several_keys_cancelled_at_once(
    db: None, fired: list[str]
) -> None:
    with time_machine.travel(START, tick=False):
        due_work.schedule_new(
            [
                ("test.remind", "n1", START + timedelta(hours=1), {"a": 1}),
                ("test.remind", "n2", START + timedelta(hours=1), None),
                ("test.remind", "n3", START + timedelta(hours=2), None),
            ]
        )
        assert due_work.cancel_many([("test.remind", "n2"), ("test.remind", "n3")]) == 2
        assert due_work.cancel_many([("test.remind", "n2"), ("test.remind", "gone")]) == 0
        with pytest.raises(ValueError, match="unknown due-work kind"):
            due_work.schedule_new([("test.nothing", "x", START, None)])
        with pytest.raises(IntegrityError), transaction.atomic():
            # A key that has a pending item already is refused, not doubled.
            due_work.schedule_new([("test.remind", "n1", START, None)])

    with time_machine.travel(START + timedelta(hours=3), tick=False):
        Runner().run_until_idle()
    assert fired == ["n1"]
    assert DueItem.objects.get(key="n1").data == {"a": 1}
    assert set(DueItem.objects.filter(key__in=["n2", "n3"]).values_list("state", flat=True)) == {
        WorkState.CANCELLED
    }


def test_an_idle_pass_costs_two_statements_whatever_the_number_of_consumers(
    db: None, handled: list[int], settings: Any
) -> None:
    settings.BIHUAN_REACTIONS_INLINE = False
    tag = Tag.objects.create(name="probe")
    assert len(registered_consumers()) > 10
    with CaptureQueriesContext(connection) as idle:
        assert Runner().run_once().total == 0
    assert len(idle) == 2  # which consumers have claimable reactions; is any item due

    with time_machine.travel(START, tick=False):
        with transaction.atomic():
            record_event("test.pinged", tag, data={"n": 1})
        Reaction.objects.update(available_at=START + timedelta(minutes=5))  # backing off
        assert ready_consumers(START) == []
        assert Runner().seconds_until_next() == 300
    with time_machine.travel(START + timedelta(minutes=5), tick=False):
        assert [c.name for c in ready_consumers(timezone.now())] == ["test.collect"]
        assert Runner().run_until_idle().reactions == 1
    assert handled == [1]
