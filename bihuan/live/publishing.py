"""Committed ticket events reach the open pages: an after-commit hint on the channel layer.

The hint carries only event and ticket ids; each connection then reads the events from the
database through its viewer's scope (``queries.list_events``). So the layer never carries
what a viewer may not see, and a lost hint delays an update (until the next hint or the
connection's sweep) but never loses it: the event log is the truth, the layer a doorbell.

Every process that writes events publishes: a web worker (a reply), ``bihuan worker`` and
the embedded runner (SLA, automation), a chat consumer. It hooks the row's ``post_save``
rather than a line in ``core.events`` so that core knows nothing of live pages; all it does
in the writing transaction is append two integers to a list (one ``on_commit`` per
transaction, however many events it records). After commit one background task per process
coalesces what accumulated into one ``group_send``, so a burst of commits costs one message.

The layer decides where the task runs. Redis (production): a private event loop thread per
process, so that a sync worker never opens a connection per commit. In-memory (embedded): the
loop the WebSocket consumers of this process run on, because that layer's queues belong to
it; with no consumer connected in this process, nobody listens and nothing is sent.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Any

from channels.layers import BaseChannelLayer, InMemoryChannelLayer, get_channel_layer
from django.db import transaction
from django.db.models.signals import post_save

from bihuan.core.models import Event

logger = logging.getLogger(__name__)

STAFF_GROUP = "live.staff"
# A hint lists at most this many event ids; the connections also read everything after their
# cursor, so a longer burst is still delivered in full.
MAX_IDS = 500


def ticket_group(ticket_id: int) -> str:
    """The group of the pages open on one ticket (presence)."""
    return f"live.ticket.{ticket_id}"


class _Batch:
    """The ticket events of one transaction, published when it commits."""

    def __init__(self) -> None:
        self.items: list[tuple[int, int]] = []

    def __call__(self) -> None:
        publisher.publish(self.items)


def record_committed_event(event: Event) -> None:
    """Queue ``event`` for publishing when the current transaction commits."""
    if event.ticket_id is None:
        return
    item = (int(event.pk), int(event.ticket_id))
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        publisher.publish([item])
        return
    for entry in connection.run_on_commit:
        if isinstance(entry[1], _Batch):
            entry[1].items.append(item)
            return
    batch = _Batch()
    batch.items.append(item)
    transaction.on_commit(batch)


def _event_saved(sender: type[Event], instance: Event, created: bool, **kwargs: Any) -> None:
    if created and not kwargs.get("raw", False):
        record_committed_event(instance)


def connect_signals() -> None:
    post_save.connect(_event_saved, sender=Event, dispatch_uid="live.publish_event")


class Publisher:
    """One per process: coalesces committed ticket events into hints on the channel layer."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: list[tuple[int, int]] = []
        self._scheduled = False
        self._server_loop: asyncio.AbstractEventLoop | None = None
        self._own_loop: asyncio.AbstractEventLoop | None = None
        self._last_failure_logged = 0.0
        self._tasks: set[asyncio.Future[None]] = set()
        self.sent = 0  # hints sent by this process (tests and the benchmark read it)

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        """The loop this process's WebSocket consumers run on (the in-memory layer's)."""
        self._server_loop = loop

    def publish(self, items: list[tuple[int, int]]) -> None:
        if not items:
            return
        layer = get_channel_layer()
        if layer is None:
            return
        loop = self._loop_for(layer)
        if loop is None:
            return
        with self._lock:
            self._pending.extend(items)
            if self._scheduled:
                return
            self._scheduled = True
        loop.call_soon_threadsafe(self._start, layer)

    def _loop_for(self, layer: BaseChannelLayer) -> asyncio.AbstractEventLoop | None:
        if isinstance(layer, InMemoryChannelLayer):
            loop = self._server_loop
            return loop if loop is not None and not loop.is_closed() else None
        if self._own_loop is None:
            with self._lock:
                if self._own_loop is None:
                    loop = asyncio.new_event_loop()
                    threading.Thread(
                        target=loop.run_forever, name="bihuan-live-publisher", daemon=True
                    ).start()
                    self._own_loop = loop
        return self._own_loop

    def _start(self, layer: BaseChannelLayer) -> None:
        task = asyncio.ensure_future(self._send(layer))
        # The loop keeps only a weak reference to a task: hold it until it is done.
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send(self, layer: BaseChannelLayer) -> None:
        with self._lock:
            items, self._pending, self._scheduled = self._pending, [], False
        items.sort()
        message = {
            "type": "live.events",
            "ids": [pk for pk, _ticket in items[-MAX_IDS:]],
            "tickets": sorted({ticket for _pk, ticket in items}),
            "last": items[-1][0],
        }
        try:
            await layer.group_send(STAFF_GROUP, message)
            self.sent += 1
        except Exception:
            now = time.monotonic()
            if now - self._last_failure_logged > 60:
                self._last_failure_logged = now
                logger.warning("live update not published (pages catch up)", exc_info=True)


publisher = Publisher()
