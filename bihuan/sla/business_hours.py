"""Business-time arithmetic: exact, in any time zone, and never raising.

A calendar is a ``Schedule``: per ISO weekday the open intervals of a day (a lunch break is the
gap between two intervals), dated exceptions (a company day off, a make-up workday, a year the
``chinese-calendar`` package does not know yet, entered by an admin), and whether the official
Chinese holidays and make-up workdays (调休) apply. Every SLA clock counts with these two
functions, and ``bihuan calendar add/between`` prints their results.

Intervals are half-open, ``[opens, closes)``; time is counted in exact seconds between aware
instants, so an input in any offset gives the same answer, and ``business_between(a,
add_business_time(a, d)) == d`` for every ``d > 0``. A due instant lands inside an open period
or at its closing instant (18:00 on a working day), never inside a closed one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import chinese_calendar  # type: ignore[import-untyped]  # the package ships no types

Hours = tuple[tuple[time, time], ...]

# A calendar with no open time at all would search forever: after this many days without an
# open interval the arithmetic counts wall-clock time instead (services refuse such a calendar,
# this is only the last guard that keeps the arithmetic from raising or looping).
_SEARCH_DAYS = 3 * 366
_DAY = timedelta(days=1)
ZERO = timedelta(0)


@lru_cache(maxsize=8192)
def official_workday(day: date) -> bool | None:
    """Whether ``day`` is an official working day in mainland China (holidays and make-up
    workdays included), or None when the package has no data for its year."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


def official_years_missing(years: range | list[int]) -> list[int]:
    """The years among ``years`` for which the package has no official schedule."""
    return [year for year in years if official_workday(date(year, 6, 1)) is None]


@dataclass(frozen=True)
class Schedule:
    """When a business calendar is open (see the module doc)."""

    zone: str = "Asia/Shanghai"
    always_open: bool = False
    weekly: Mapping[int, Hours] = field(default_factory=dict)  # ISO weekday 1..7 → intervals
    exceptions: Mapping[date, Hours] = field(default_factory=dict)  # () = closed that day
    official_holidays: bool = True

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)

    @property
    def workday_hours(self) -> Hours:
        """The hours of a make-up workday (调休) that falls on a weekend: the first weekday's."""
        for weekday in range(1, 8):
            if self.weekly.get(weekday):
                return self.weekly[weekday]
        return ()

    def hours_on(self, day: date) -> Hours:
        """The open intervals of ``day`` in local time."""
        if day in self.exceptions:
            return self.exceptions[day]
        regular = self.weekly.get(day.isoweekday(), ())
        if self.official_holidays:
            official = official_workday(day)
            if official is True:
                return regular or self.workday_hours
            if official is False:
                return ()
        # Not covered by the package (or official days not used): the weekly pattern.
        return regular


def _open_intervals(schedule: Schedule, start: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Open intervals ending after ``start``, in order (wall-clock time when never open)."""
    if schedule.always_open:
        yield start, datetime.max.replace(tzinfo=start.tzinfo)
        return
    tz = schedule.tz
    day = start.astimezone(tz).date() - _DAY  # the day before: an interval may end after 0:00
    empty_days = 0
    while empty_days < _SEARCH_DAYS:
        hours = schedule.hours_on(day)
        empty_days = 0 if hours else empty_days + 1
        for opens, closes in hours:
            begin = datetime.combine(day, opens, tz)
            end = (
                datetime.combine(day + _DAY, time.min, tz)
                if closes == time.min
                else (datetime.combine(day, closes, tz))
            )
            if end > start and end > begin:
                yield begin, end
        day += _DAY
    yield start, datetime.max.replace(tzinfo=start.tzinfo)


def add_business_time(schedule: Schedule, start: datetime, duration: timedelta) -> datetime:
    """The instant ``duration`` of open time after ``start`` (``start`` itself for zero)."""
    if duration <= ZERO:
        return start
    remaining = duration
    for begin, end in _open_intervals(schedule, start):
        counted_from = max(begin, start)
        available = end - counted_from
        if remaining <= available:
            return counted_from + remaining
        remaining -= available
    raise AssertionError("unreachable: the interval generator ends with an endless interval")


def business_between(schedule: Schedule, start: datetime, end: datetime) -> timedelta:
    """Open time between two instants (negative when ``end`` is before ``start``)."""
    if end < start:
        return -business_between(schedule, end, start)
    if schedule.always_open:
        return end - start
    total = ZERO
    for begin, close in _open_intervals(schedule, start):
        if begin >= end:
            break
        total += min(close, end) - max(begin, start)
    return total


def is_open_at(schedule: Schedule, moment: datetime) -> bool:
    """Whether ``moment`` is inside an open interval."""
    for begin, end in _open_intervals(schedule, moment):
        return begin <= moment < end
    return False


def default_weekly(
    *,
    opens: time = time(9),
    closes: time = time(18),
    lunch: tuple[time, time] | None = (time(12), time(13)),
    weekdays: tuple[int, ...] = (1, 2, 3, 4, 5),
) -> dict[int, Hours]:
    """Monday–Friday 09:00–18:00 with a lunch break, the default calendar's week."""
    if lunch is None:
        hours: Hours = ((opens, closes),)
    else:
        hours = ((opens, lunch[0]), (lunch[1], closes))
    return dict.fromkeys(weekdays, hours)
