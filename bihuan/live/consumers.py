"""The agents' WebSocket: ``/ws/live/?after=<event id>[&ticket=<number>]``.

On connect the page says the last event id it has seen; it gets every event after it that
its user may see (``queries.list_events``), then each new one as it commits (a hint from
``publishing`` wakes the connection, which reads the log). A ticket page also joins the
ticket's presence group: who is viewing, who is typing a reply.

Frames to the page::

    {"type": "events", "events": [{"id", "verb", "ticket", "actor", "mine", "alert"}…],
     "cursor": <newest id sent>}
    {"type": "reset", "cursor": <id>}      too far behind: reload the lists, go on from here
    {"type": "presence", "user": <id>, "name": "…", "state": "viewing"|"typing"|"left"}

Frames from a ticket page: ``{"type": "presence", "state": "viewing"|"typing"}``, sent again
at least every ``PRESENCE_TTL_SECONDS / 2``; a page that stops (closed tab, lost network)
expires on the other pages after ``PRESENCE_TTL_SECONDS`` even if no "left" arrives.

Close codes: 4401 not signed in (or inactive), 4400 bad parameters, 4404 a ticket the user
may not see (the same answer as a ticket that does not exist).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from bihuan.accounts.models import User
from bihuan.live import queries, services
from bihuan.live.publishing import STAFF_GROUP, publisher, ticket_group

PRESENCE_TTL_SECONDS = 45
PRESENCE_STATES = ("viewing", "typing")
# The most presence frames a page may send per second (more are coalesced into one, later).
PRESENCE_RATE = 5.0


def _positive_int(values: list[str] | None) -> int | None:
    if not values:
        return None
    text = values[0]
    if not text.isdigit() or len(text) > 18:
        raise ValueError(text)
    return int(text)


class WorkspaceConsumer(AsyncJsonWebsocketConsumer):
    """One open agent page (inbox, ticket, any page with the live script)."""

    user: User
    ticket: int | None
    cursor: int
    _dirty: bool
    _presence_at: float
    _presence_state: str

    async def connect(self) -> None:
        user = self.scope.get("user")
        await self.accept()
        if not isinstance(user, User) or not user.is_active:
            await self.close(code=4401)
            return
        try:
            params = parse_qs(self.scope.get("query_string", b"").decode("ascii"))
            after = _positive_int(params.get("after"))
            ticket = _positive_int(params.get("ticket"))
        except (ValueError, UnicodeDecodeError):
            await self.close(code=4400)
            return
        if ticket is not None and not await database_sync_to_async(queries.can_see_ticket)(
            user, ticket
        ):
            await self.close(code=4404)
            return
        # Read tracking starts with the viewer's first live page (page views never write).
        await database_sync_to_async(services.ensure_live_settings)(user)
        self.user, self.ticket = user, ticket
        self.cursor = after if after is not None else await self._newest()
        self._sent: deque[int] = deque(maxlen=2000)
        self._wanted: set[int] = set()
        self._dirty = False
        self._fetcher: asyncio.Task[None] | None = None
        self._presence_at = 0.0
        self._presence_state = "viewing"
        self._presence_later: asyncio.Task[None] | None = None
        self._sweeper: asyncio.Task[None] | None = None
        publisher.attach(asyncio.get_running_loop())
        await self.channel_layer.group_add(STAFF_GROUP, self.channel_name)
        if ticket is not None:
            await self.channel_layer.group_add(ticket_group(ticket), self.channel_name)
        await self._deliver(catch_up=True)
        if ticket is not None:
            await database_sync_to_async(services.mark_ticket_read)(user, ticket_id=ticket)
            await self._announce("viewing", hello=True)
        self._sweeper = asyncio.ensure_future(self._sweep())

    async def disconnect(self, code: int) -> None:
        if not hasattr(self, "user"):
            return
        for task in (self._sweeper, self._fetcher, self._presence_later):
            if task is not None:
                task.cancel()
        await self.channel_layer.group_discard(STAFF_GROUP, self.channel_name)
        if self.ticket is not None:
            await self._announce("left")
            await self.channel_layer.group_discard(ticket_group(self.ticket), self.channel_name)

    async def _newest(self) -> int:
        return int(await database_sync_to_async(queries.newest_event_id)())

    # --- events ------------------------------------------------------------------------------

    async def live_events(self, message: dict[str, Any]) -> None:
        """A hint from ``publishing``: read what is new (in the background, coalesced)."""
        self._wanted.update(int(pk) for pk in message.get("ids", ()))
        self._dirty = True
        if self._fetcher is None or self._fetcher.done():
            self._fetcher = asyncio.ensure_future(self._drain())

    async def _drain(self) -> None:
        while self._dirty:
            self._dirty = False
            await self._deliver()

    async def _sweep(self) -> None:
        """Now and then read the log anyway: hints from a process that could not publish
        (a command-line tool beside the embedded server) still arrive."""
        interval = float(getattr(settings, "BIHUAN_LIVE_SWEEP_SECONDS", 30))
        while True:
            await asyncio.sleep(interval)
            self._dirty = True
            if self._fetcher is None or self._fetcher.done():
                self._fetcher = asyncio.ensure_future(self._drain())

    async def _deliver(self, *, catch_up: bool = False) -> None:
        ids = [pk for pk in self._wanted if pk not in self._sent]
        self._wanted = set()
        events = await database_sync_to_async(queries.list_events)(
            self.user, after=self.cursor, ids=ids
        )
        if catch_up and len(events) >= queries.CATCH_UP_LIMIT:
            self.cursor = await self._newest()
            await self.send_json({"type": "reset", "cursor": self.cursor})
            return
        if len(events) >= queries.CATCH_UP_LIMIT:
            self._dirty = True  # a burst longer than one read: read on at once
        fresh = [e for e in events if e.id not in self._sent]
        if not fresh:
            return
        self._sent.extend(e.id for e in fresh)
        self.cursor = max(self.cursor, *(e.id for e in fresh))
        await self.send_json(
            {"type": "events", "events": [e.as_json() for e in fresh], "cursor": self.cursor}
        )
        mine = [e.id for e in fresh if e.ticket == self.ticket]
        if mine and self.ticket is not None:
            # The agent has the ticket open: what reaches its page is read.
            await database_sync_to_async(services.mark_ticket_read)(
                self.user, ticket_id=self.ticket, event_id=max(mine)
            )

    # --- presence ----------------------------------------------------------------------------

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict) or content.get("type") != "presence":
            return  # a page's keep-alive ("ping") or anything unknown: nothing to do
        state = content.get("state")
        if self.ticket is None or state not in PRESENCE_STATES:
            return
        self._presence_state = str(state)
        wait = self._presence_at + 1 / PRESENCE_RATE - time.monotonic()
        if wait > 0:
            # Too soon after the last one: the latest state goes out when the interval is
            # over (one delayed frame, never a lost change such as typing → viewing).
            if self._presence_later is None or self._presence_later.done():
                self._presence_later = asyncio.ensure_future(self._announce_later(wait))
            return
        self._presence_at = time.monotonic()
        await self._announce(self._presence_state)

    async def _announce_later(self, wait: float) -> None:
        await asyncio.sleep(wait)
        self._presence_at = time.monotonic()
        await self._announce(self._presence_state)

    async def _announce(self, state: str, *, hello: bool = False) -> None:
        assert self.ticket is not None
        await self.channel_layer.group_send(
            ticket_group(self.ticket),
            {
                "type": "live.presence",
                "user": self.user.pk,
                "name": str(self.user),
                "state": state,
                "sender": self.channel_name,
                "hello": hello,
            },
        )

    async def live_presence(self, message: dict[str, Any]) -> None:
        """Another page on this ticket: show it (never the agent's own pages)."""
        if message.get("sender") == self.channel_name or message.get("user") == self.user.pk:
            return
        await self.send_json(
            {
                "type": "presence",
                "user": message["user"],
                "name": message["name"],
                "state": message["state"],
                "ttl": PRESENCE_TTL_SECONDS,
            }
        )
        if message.get("hello"):
            # A page just opened: tell it who is here already.
            with contextlib.suppress(Exception):
                await self.channel_layer.send(
                    str(message["sender"]),
                    {
                        "type": "live.presence",
                        "user": self.user.pk,
                        "name": str(self.user),
                        "state": self._presence_state,
                        "sender": self.channel_name,
                        "hello": False,
                    },
                )
