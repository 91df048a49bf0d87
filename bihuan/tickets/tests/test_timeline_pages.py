"""The ticket timeline is read by key, a page at a time, in two queries per page."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from bihuan.testing.factories import make_ticket
from bihuan.tickets import queries
from bihuan.tickets import services as tickets


def test_the_timeline_pages_by_key_and_the_pages_add_up_to_the_whole_history(org: Any) -> None:
    ticket = make_ticket(team=org.presales)
    for number in range(7):
        tickets.add_internal_note(ticket, body=f"备注 {number}", actor=org.agent)
    whole = [entry.event.pk for entry in queries.timeline(ticket)]

    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        with CaptureQueriesContext(connection) as queries_run:
            page = queries.timeline_page(ticket, cursor=cursor, limit=3)
        assert len(queries_run) == 2
        seen += [entry.event.pk for entry in page.entries]
        pages += 1
        if page.next_cursor is None:
            break
        cursor = page.next_cursor

    assert seen == whole == sorted(whole)
    assert pages == -(-len(whole) // 3)
    assert all(e.message is not None for e in queries.timeline_page(ticket, limit=50).entries[:1])
