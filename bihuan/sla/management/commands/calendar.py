"""``bihuan calendar add|between``: the business-time arithmetic every SLA clock uses.

    bihuan calendar add --start 2026-09-30T17:00+08:00 --minutes 120 [--calendar NAME]
    bihuan calendar between --start 2026-09-30T17:00+08:00 --end 2026-10-09T10:00+08:00

``add`` prints, as its last line, the instant N business minutes after the start (ISO 8601
with the calendar's offset); ``between`` prints the business minutes between two instants.
A year the official schedule does not cover is counted Monday–Friday, with a warning.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.dateparse import parse_datetime

from bihuan.core.errors import DomainError
from bihuan.sla.calendars import add_minutes, get_calendar, minutes_between, missing_years
from bihuan.sla.models import BusinessCalendar


def _instant(value: str, name: str) -> datetime:
    try:
        parsed = parse_datetime(value)
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise CommandError(f"{name} must be an ISO 8601 instant with an offset, got {value!r}")
    return parsed


def _minutes(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:.2f}"


class Command(BaseCommand):
    help = "Add business minutes to an instant, or count the business minutes between two."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        add = sub.add_parser("add", help="the instant N business minutes after --start")
        add.add_argument("--start", required=True)
        add.add_argument("--minutes", required=True, type=float)
        add.add_argument("--calendar", default=None)
        between = sub.add_parser("between", help="business minutes from --start to --end")
        between.add_argument("--start", required=True)
        between.add_argument("--end", required=True)
        between.add_argument("--calendar", default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            calendar = get_calendar(options["calendar"])
        except DomainError as exc:
            raise CommandError(str(exc.message) % exc.params) from exc
        start = _instant(options["start"], "--start")
        if options["subcommand"] == "add":
            minutes = float(options["minutes"])
            if minutes < 0:
                raise CommandError("--minutes must not be negative")
            result = add_minutes(calendar, start, minutes)
            self._warn_missing(calendar, start, result)
            self.stdout.write(result.astimezone(ZoneInfo(calendar.time_zone)).isoformat())
        else:
            end = _instant(options["end"], "--end")
            self._warn_missing(calendar, min(start, end), max(start, end))
            self.stdout.write(_minutes(minutes_between(calendar, start, end)))

    def _warn_missing(self, calendar: BusinessCalendar, first: datetime, last: datetime) -> None:
        years = missing_years(calendar, range(first.year, last.year + 1))
        if years:
            self.stderr.write(
                f"warning: no official schedule for {', '.join(map(str, years))} in "
                f"{calendar.name!r}: counted Monday–Friday (enter the year's days in the admin)"
            )
