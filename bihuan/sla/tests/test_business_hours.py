"""Business-time arithmetic: exact across nights, weekends, breaks, holidays, make-up
workdays (调休) and any input offset; property-tested."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from bihuan.sla.business_hours import (
    Schedule,
    add_business_time,
    business_between,
    default_weekly,
    is_open_at,
    official_workday,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
OFFICE = Schedule(weekly=default_weekly())
NO_LUNCH = Schedule(weekly=default_weekly(lunch=None))
ALWAYS = Schedule(always_open=True)
# A company that also closes on 2026-03-06 and works the Saturday after.
COMPANY = Schedule(
    weekly=default_weekly(),
    exceptions={date(2026, 3, 6): (), date(2026, 3, 7): ((time(10), time(15)),)},
)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_one_hour_before_the_lunch_break_runs_on_after_it() -> None:
    due = add_business_time(OFFICE, at("2026-03-02T11:30+08:00"), timedelta(hours=1))

    assert due == at("2026-03-02T13:30+08:00")


def test_time_after_closing_counts_from_the_next_working_morning() -> None:
    due = add_business_time(OFFICE, at("2026-03-06T17:30+08:00"), timedelta(hours=1))

    assert due == at("2026-03-09T09:30+08:00")  # Friday evening → Monday


def test_national_day_is_skipped_and_the_make_up_saturday_counts() -> None:
    # 2026: 10-01..10-07 off; Saturday 10-10 is a make-up workday (调休).
    due = add_business_time(OFFICE, at("2026-09-30T17:00+08:00"), timedelta(hours=2))

    assert due == at("2026-10-08T10:00+08:00")
    assert add_business_time(OFFICE, at("2026-10-09T17:00+08:00"), timedelta(hours=2)) == at(
        "2026-10-10T10:00+08:00"
    )


def test_the_make_up_sunday_before_national_day_counts() -> None:
    assert official_workday(date(2026, 9, 20)) is True
    due = add_business_time(OFFICE, at("2026-09-19T12:00+08:00"), timedelta(minutes=30))

    assert due == at("2026-09-20T09:30+08:00")


def test_spring_festival_week_counts_nothing() -> None:
    minutes = business_between(OFFICE, at("2026-02-15T00:00+08:00"), at("2026-02-24T00:00+08:00"))

    assert minutes == timedelta(0)


def test_an_input_in_another_offset_gives_the_same_instant() -> None:
    in_utc = add_business_time(OFFICE, at("2026-03-02T03:30+00:00"), timedelta(hours=1))

    assert in_utc == at("2026-03-02T13:30+08:00")


def test_company_exceptions_override_the_official_days() -> None:
    due = add_business_time(COMPANY, at("2026-03-05T17:00+08:00"), timedelta(hours=2))

    assert due == at("2026-03-07T11:00+08:00")


def test_a_year_the_package_lacks_counts_monday_to_friday_without_raising() -> None:
    assert official_workday(date(2031, 10, 1)) is None
    due = add_business_time(OFFICE, at("2031-09-30T17:00+08:00"), timedelta(hours=2))

    assert due == at("2031-10-01T10:00+08:00")  # a Wednesday, counted as a workday


def test_a_24_7_calendar_counts_every_minute() -> None:
    start = at("2026-10-01T23:55+08:00")

    assert add_business_time(ALWAYS, start, timedelta(minutes=10)) == start + timedelta(minutes=10)
    assert business_between(ALWAYS, start, start + timedelta(days=2)) == timedelta(days=2)


def test_a_calendar_never_open_counts_wall_time_instead_of_looping() -> None:
    never = Schedule(weekly={}, official_holidays=False)
    start = at("2026-03-02T09:00+08:00")

    assert add_business_time(never, start, timedelta(hours=1)) == start + timedelta(hours=1)


def test_between_is_negative_when_the_end_comes_first() -> None:
    a, b = at("2026-03-02T09:00+08:00"), at("2026-03-02T10:00+08:00")

    assert business_between(OFFICE, b, a) == -timedelta(hours=1)


def test_a_year_of_2026_has_the_official_number_of_working_hours() -> None:
    # 2026: 261 weekdays, 19 of them public holidays, plus 6 make-up weekend days (调休)
    # = 248 official working days, 8 h each.
    start = datetime(2026, 1, 1, tzinfo=SHANGHAI)
    end = datetime(2027, 1, 1, tzinfo=SHANGHAI)

    assert business_between(OFFICE, start, end) == timedelta(hours=8 * 248)


instants = st.datetimes(
    min_value=datetime(2025, 12, 1), max_value=datetime(2027, 2, 1), timezones=st.just(UTC)
).map(lambda moment: moment.replace(microsecond=0))
offsets = st.integers(min_value=-12, max_value=14).map(lambda h: timezone(timedelta(hours=h)))
durations = st.integers(min_value=1, max_value=60 * 24 * 20).map(lambda m: timedelta(minutes=m))
schedules = st.sampled_from([OFFICE, NO_LUNCH, COMPANY, ALWAYS])


@given(schedules, instants, offsets, durations)
def test_adding_then_measuring_gives_the_duration_back(
    schedule: Schedule, start: datetime, offset: timezone, duration: timedelta
) -> None:
    local = start.astimezone(offset)

    due = add_business_time(schedule, local, duration)

    assert business_between(schedule, local, due) == duration


@given(schedules, instants, durations, durations)
def test_adding_more_never_ends_earlier(
    schedule: Schedule, start: datetime, first: timedelta, second: timedelta
) -> None:
    shorter, longer = sorted((first, second))

    assert add_business_time(schedule, start, shorter) <= add_business_time(schedule, start, longer)


@given(schedules, instants, durations)
def test_a_due_instant_never_lands_in_a_closed_period(
    schedule: Schedule, start: datetime, duration: timedelta
) -> None:
    due = add_business_time(schedule, start, duration)

    # Inside an open interval, or exactly at its close (18:00 is the last working instant).
    assert is_open_at(schedule, due) or is_open_at(schedule, due - timedelta(seconds=1))


@given(schedules, instants, instants)
def test_measuring_is_additive_over_any_midpoint(
    schedule: Schedule, a: datetime, b: datetime
) -> None:
    start, end = sorted((a, b))
    middle = start + (end - start) / 2

    assert business_between(schedule, start, end) == business_between(
        schedule, start, middle
    ) + business_between(schedule, middle, end)
