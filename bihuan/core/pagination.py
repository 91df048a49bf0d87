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

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from bihuan.core.errors import ValidationFailed
from bihuan.core.time_window import check_datetime

# Beyond any stored id or sort value (and SQLite's 64-bit integers).
MAX_KEY = 2**62

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
    if isinstance(value, dict):
        parsed = parse_datetime(str(value.get("dt", "")))
        if parsed is None:
            raise ValueError("bad datetime")
        # A time outside the window no row has; near year 9999 it overflows on conversion.
        return check_datetime(parsed, label="cursor")
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) <= MAX_KEY:
        return value
    if isinstance(value, str) and len(value) <= 500 and "\x00" not in value:
        return value
    raise ValueError("bad cursor value")


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
        if not 0 <= pk <= MAX_KEY:
            raise ValueError("bad cursor id")
        return direction, _decode_value(value), pk
    except (
        ValueError,
        TypeError,
        OverflowError,
        binascii.Error,
        UnicodeDecodeError,
        RecursionError,
        ValidationFailed,
    ) as exc:
        raise ValidationFailed(_("The page cursor is not valid."), code="invalid_cursor") from exc


def _check_value_type(model: type[models.Model], order_field: str, value: Any) -> None:
    """A cursor's sort value must be of the sort column's type (a forged one is refused)."""
    column = model._meta.get_field(order_field)
    if isinstance(column, models.DateTimeField):
        expected: type | tuple[type, ...] = datetime
    elif isinstance(column, models.IntegerField | models.AutoField):
        expected = int
    else:
        expected = str
    if not isinstance(value, expected):
        raise ValidationFailed(_("The page cursor is not valid."), code="invalid_cursor")


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
        _check_value_type(queryset.model, order_field, value)
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
        except (ValueError, TypeError, ValidationError) as exc:
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
