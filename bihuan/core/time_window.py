"""The window of dates and times Bihuan accepts from people and clients.

Both databases store years 1–9999, but a time near either end turns into an impossible year
once converted to another time zone (9999-12-31 23:00 −05:00 is year 10000 in UTC), after
which every read of the row fails. Every date and datetime that enters through the API, a
form or a service is checked against one sane window first.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from django.utils.translation import gettext_lazy as _

from bihuan.core.errors import ValidationFailed

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 12, 31, 23, 59, 59, tzinfo=UTC)
EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2100, 12, 31)


def check_datetime(value: datetime, *, label: str) -> datetime:
    """``value`` if it is time-zone aware and inside the window, else ``ValidationFailed``."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationFailed(
            _("%(field)s needs a time zone."), code="naive_datetime", field=label
        )
    try:
        inside = EARLIEST <= value <= LATEST
    except OverflowError:
        inside = False
    if not inside:
        raise ValidationFailed(
            _("%(field)s must be between %(earliest)s and %(latest)s."),
            code="out_of_range",
            field=label,
            earliest=EARLIEST_DAY.isoformat(),
            latest=LATEST_DAY.isoformat(),
        )
    return value


def check_date(value: date, *, label: str) -> date:
    """``value`` if it is inside the window, else ``ValidationFailed``."""
    if not EARLIEST_DAY <= value <= LATEST_DAY:
        raise ValidationFailed(
            _("%(field)s must be between %(earliest)s and %(latest)s."),
            code="out_of_range",
            field=label,
            earliest=EARLIEST_DAY.isoformat(),
            latest=LATEST_DAY.isoformat(),
        )
    return value
