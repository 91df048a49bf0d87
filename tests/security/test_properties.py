"""Property tests: whatever a client sends as a cursor or a time, the answer is the value or
a ``ValidationFailed`` — never another exception that would become a 500 (issue 9)."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bihuan.core.bidi import BIDI_CONTROLS, neutralise_bidi
from bihuan.core.errors import ValidationFailed
from bihuan.core.pagination import paginate
from bihuan.core.time_window import EARLIEST, LATEST, check_datetime
from bihuan.tickets.models import Ticket

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(["dt", "x"]), children, max_size=2)
    ),
    max_leaves=6,
)


def _encode(raw: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(raw).encode()).decode().rstrip("=")


@pytest.mark.django_db
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cursor=st.one_of(
        st.text(max_size=80),
        st.builds(_encode, json_values),
        st.builds(
            _encode,
            st.tuples(
                st.sampled_from(["n", "p"]),
                st.one_of(
                    json_values,
                    st.builds(lambda d: {"dt": d}, st.text(max_size=40)),
                    st.builds(
                        lambda d: {"dt": d.isoformat()},
                        st.datetimes(timezones=st.timezones()),
                    ),
                ),
                st.integers(),
            ),
        ),
    ),
    field=st.sampled_from(["updated_at", "created_at", "priority", "id"]),
)
def test_any_cursor_is_either_read_or_refused_with_422(cursor: str, field: str) -> None:
    code = "read"
    try:
        paginate(Ticket.objects.all(), order_field=field, descending=True, limit=5, cursor=cursor)
    except ValidationFailed as exc:
        code = exc.code

    assert code in {"read", "invalid_cursor"}


@given(
    moment=st.datetimes(),
    offset_minutes=st.integers(min_value=-24 * 60 + 1, max_value=24 * 60 - 1),
)
def test_any_aware_time_is_either_in_the_window_or_refused(
    moment: datetime, offset_minutes: int
) -> None:
    value = moment.replace(tzinfo=timezone(timedelta(minutes=offset_minutes)))

    try:
        check_datetime(value, label="t")
        code = "accepted"
    except ValidationFailed as exc:
        code = exc.code

    assert code == ("accepted" if EARLIEST <= value <= LATEST else "out_of_range")


@given(st.text())
def test_neutralised_text_has_no_direction_controls_and_keeps_everything_else(text: str) -> None:
    cleaned = neutralise_bidi(text)

    assert BIDI_CONTROLS.search(cleaned) is None
    assert cleaned == "".join(ch for ch in text if not BIDI_CONTROLS.match(ch))
