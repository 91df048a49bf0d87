"""Keyset (cursor) pagination.

Pages are found by the sort key of the last row seen, never by OFFSET, so that page 1 and
page 500 cost the same indexed range scan. The sort is one non-null column plus ``id`` as the
tie-breaker, both in the same direction; an index on (filter columns…, column, id) serves it.
A cursor is opaque to clients: URL-safe base64 of JSON ``[direction, value, id]``.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from django.db import models
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from bihuan.core.errors import ValidationFailed

M = TypeVar("M", bound=models.Model)

NEXT = "n"
PREVIOUS = "p"


@dataclass(frozen=True)
class Page(Generic[M]):
    """One page of rows and the cursors to the neighbouring pages (None at either end)."""

    items: list[M]
    next_cursor: str | None
    previous_cursor: str | None


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"dt": value.isoformat()}
    return value


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict) and "dt" in value:
        parsed = parse_datetime(str(value["dt"]))
        if parsed is None:
            raise ValueError("bad datetime")
        return parsed
    return value


def encode_cursor(direction: str, value: Any, pk: int) -> str:
    raw = json.dumps([direction, _encode_value(value), pk], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, Any, int]:
    """Parse a cursor or raise ``ValidationFailed`` (never a 500 for a forged cursor)."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        direction, value, pk = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if direction not in (NEXT, PREVIOUS) or not isinstance(pk, int) or isinstance(pk, bool):
            raise ValueError("bad cursor")
        if not isinstance(value, str | int | float | dict) or isinstance(value, bool):
            raise ValueError("bad cursor value")
        return direction, _decode_value(value), pk
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise ValidationFailed(_("The page cursor is not valid."), code="invalid_cursor") from exc


def paginate(
    queryset: models.QuerySet[M],
    *,
    order_field: str,
    descending: bool,
    limit: int,
    cursor: str | None = None,
) -> Page[M]:
    """Return the page after (or before) ``cursor`` of ``queryset`` sorted by ``order_field``.

    ``order_field`` must be a non-null column of the model. Costs one query of ``limit + 1``
    rows; whether a previous page exists is known from the cursor itself.
    """
    direction = NEXT
    if cursor:
        direction, value, pk = decode_cursor(cursor)
        # Walking backwards means reading the index in the opposite direction.
        forward_desc = descending if direction == NEXT else not descending
        try:
            # The redundant bound (``<= value``) lets the database start an index range
            # scan at the cursor instead of reading every row above it (the OR alone is not
            # a range for PostgreSQL's or SQLite's planner).
            if forward_desc:
                keyset = (
                    models.Q(**{f"{order_field}__lt": value})
                    | models.Q(**{order_field: value, "pk__lt": pk})
                ) & models.Q(**{f"{order_field}__lte": value})
            else:
                keyset = (
                    models.Q(**{f"{order_field}__gt": value})
                    | models.Q(**{order_field: value, "pk__gt": pk})
                ) & models.Q(**{f"{order_field}__gte": value})
            queryset = queryset.filter(keyset)
        except (ValueError, TypeError) as exc:
            raise ValidationFailed(
                _("The page cursor is not valid."), code="invalid_cursor"
            ) from exc
    else:
        forward_desc = descending
    prefix = "-" if forward_desc else ""
    rows = list(queryset.order_by(f"{prefix}{order_field}", f"{prefix}pk")[: limit + 1])
    has_more = len(rows) > limit
    rows = rows[:limit]
    if direction == PREVIOUS:
        rows.reverse()
    next_cursor: str | None = None
    previous_cursor: str | None = None
    if rows:
        first, last = rows[0], rows[-1]
        more_after = has_more if direction == NEXT else bool(cursor)
        more_before = bool(cursor) if direction == NEXT else has_more
        if more_after:
            next_cursor = encode_cursor(NEXT, getattr(last, order_field), int(last.pk))
        if more_before:
            previous_cursor = encode_cursor(PREVIOUS, getattr(first, order_field), int(first.pk))
    return Page(items=rows, next_cursor=next_cursor, previous_cursor=previous_cursor)
