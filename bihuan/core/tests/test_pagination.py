"""Keyset pagination: walking forwards and backwards visits every row exactly once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from bihuan.core.errors import ValidationFailed
from bihuan.core.models import Tag
from bihuan.core.pagination import decode_cursor, encode_cursor, paginate
from bihuan.testing.factories import make_ticket
from bihuan.tickets.models import Ticket


@pytest.mark.django_db
def test_walking_forward_then_back_with_equal_sort_values(org: Any) -> None:
    tickets = [make_ticket(team=org.presales) for _ in range(7)]
    same = timezone.now() - timedelta(days=1)
    Ticket.objects.filter(pk__in=[t.pk for t in tickets[:4]]).update(updated_at=same)
    queryset = Ticket.objects.all()

    pages = []
    cursor = None
    while True:
        page = paginate(queryset, order_field="updated_at", descending=True, limit=3, cursor=cursor)
        pages.append([t.pk for t in page.items])
        cursor = page.next_cursor
        if cursor is None:
            break
    back = paginate(
        queryset,
        order_field="updated_at",
        descending=True,
        limit=3,
        cursor=paginate(
            queryset,
            order_field="updated_at",
            descending=True,
            limit=3,
            cursor=page.previous_cursor,
        ).next_cursor,
    )

    flat = [pk for p in pages for pk in p]
    assert sorted(flat) == sorted(t.pk for t in tickets)
    assert len(flat) == len(set(flat))
    assert [len(p) for p in pages] == [3, 3, 1]
    assert [t.pk for t in back.items] == pages[-1]


@pytest.mark.parametrize(
    "cursor", ["", "x", "bm9wZQ", encode_cursor("z", 1, 1), "W10", "WyJuIiwgdHJ1ZSwgMV0"]
)
def test_forged_cursors_are_refused(cursor: str) -> None:
    with pytest.raises(ValidationFailed):
        decode_cursor(cursor)


@pytest.mark.django_db
def test_a_cursor_with_a_value_of_the_wrong_type_is_refused() -> None:
    Tag.objects.create(name="a")

    with pytest.raises(ValidationFailed):
        paginate(
            Tag.objects.all(),
            order_field="id",
            descending=True,
            limit=1,
            cursor=encode_cursor("n", "not-a-number", 1),
        )
