"""Business calendars as stored by admins, turned into ``business_hours.Schedule`` values."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.utils.translation import gettext_lazy as _

from bihuan.core.errors import NotFound
from bihuan.sla.business_hours import (
    Hours,
    Schedule,
    add_business_time,
    business_between,
    official_years_missing,
)
from bihuan.sla.models import BusinessCalendar


def schedule_of(calendar: BusinessCalendar) -> Schedule:
    """The calendar's weekly hours and dated exceptions as a ``Schedule`` (two queries)."""
    weekly: dict[int, list[tuple[object, object]]] = {}
    for row in calendar.working_hours.order_by("weekday", "opens"):
        weekly.setdefault(row.weekday, []).append((row.opens, row.closes))
    week = {day: tuple(hours) for day, hours in weekly.items()}
    exceptions: dict[date, Hours] = {}
    for exception in calendar.exceptions.all():
        if not exception.is_working:
            exceptions[exception.day] = ()
        elif exception.opens is not None and exception.closes is not None:
            exceptions[exception.day] = ((exception.opens, exception.closes),)
        else:
            regular = week.get(exception.day.isoweekday()) or next(
                (week[d] for d in range(1, 8) if week.get(d)), ()
            )
            exceptions[exception.day] = regular  # type: ignore[assignment]
    return Schedule(
        zone=calendar.time_zone,
        always_open=calendar.is_always_open,
        weekly=week,  # type: ignore[arg-type]
        exceptions=exceptions,
        official_holidays=calendar.uses_official_holidays,
    )


def get_calendar(name: str | None = None) -> BusinessCalendar:
    """The calendar called ``name``, or the default one."""
    calendars = BusinessCalendar.objects.all()
    found = (
        calendars.filter(name=name).first() if name else calendars.filter(is_default=True).first()
    )
    if found is None:
        raise NotFound(_("No business calendar called “%(name)s”."), name=name or "")
    return found


def add_minutes(calendar: BusinessCalendar, start: datetime, minutes: float) -> datetime:
    return add_business_time(schedule_of(calendar), start, timedelta(minutes=minutes))


def minutes_between(calendar: BusinessCalendar, start: datetime, end: datetime) -> float:
    return business_between(schedule_of(calendar), start, end).total_seconds() / 60


def missing_years(calendar: BusinessCalendar, years: range | list[int]) -> list[int]:
    """Years counted Monday–Friday because neither the package nor the admin gave their
    official schedule (no exception entered for that year)."""
    if calendar.is_always_open or not calendar.uses_official_holidays:
        return []
    entered = {d.year for d in calendar.exceptions.values_list("day", flat=True)}
    return [year for year in official_years_missing(years) if year not in entered]
