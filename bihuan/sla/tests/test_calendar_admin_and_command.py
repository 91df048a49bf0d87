"""``bihuan calendar add/between`` and the admin's warning about years without an official
schedule; company exceptions entered by the admin change the arithmetic."""

from __future__ import annotations

from datetime import date
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import Client

from bihuan.sla.calendars import get_calendar

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("policies")]


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("calendar", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_add_prints_the_due_instant_as_its_last_line() -> None:
    out, err = run("add", "--start", "2026-09-30T17:00+08:00", "--minutes", "120")

    assert out.splitlines()[-1] == "2026-10-08T10:00:00+08:00"  # National Day skipped
    assert err == ""


def test_add_in_another_offset_answers_in_the_calendars_offset() -> None:
    out, _err = run("add", "--start", "2026-09-30T09:00+00:00", "--minutes", "120")

    assert out.splitlines()[-1] == "2026-10-08T10:00:00+08:00"


def test_between_prints_the_business_minutes() -> None:
    out, _err = run(
        "between", "--start", "2026-09-30T17:00+08:00", "--end", "2026-10-10T10:00+08:00"
    )

    assert out.splitlines()[-1] == str(60 + 8 * 60 * 2 + 60)  # 30th, 8th, 9th, make-up 10th


def test_a_24_7_calendar_is_chosen_by_name() -> None:
    out, _err = run(
        "add", "--start", "2026-10-01T23:55+08:00", "--minutes", "10", "--calendar", "全天候 24/7"
    )

    assert out.splitlines()[-1] == "2026-10-02T00:05:00+08:00"


def test_a_year_without_official_data_is_counted_monday_to_friday_with_a_warning() -> None:
    out, err = run("add", "--start", "2031-09-30T17:00+08:00", "--minutes", "120")

    assert out.splitlines()[-1] == "2031-10-01T10:00:00+08:00"
    assert "2031" in err


def test_an_exception_entered_for_a_missing_year_is_used() -> None:
    calendar = get_calendar()
    calendar.exceptions.create(day=date(2031, 10, 1), is_working=False, note="国庆节")

    out, err = run("add", "--start", "2031-09-30T17:00+08:00", "--minutes", "120")

    assert out.splitlines()[-1] == "2031-10-02T10:00:00+08:00"
    assert err == ""  # the admin has entered that year


@pytest.mark.parametrize(
    "args",
    [
        ("add", "--start", "2026-09-30T17:00", "--minutes", "10"),  # no offset
        ("add", "--start", "tomorrow", "--minutes", "10"),
        ("add", "--start", "2026-09-30T17:00+08:00", "--minutes", "-5"),
        ("add", "--start", "2026-09-30T17:00+08:00", "--minutes", "5", "--calendar", "无"),
    ],
)
def test_bad_input_is_a_clear_error(args: tuple[str, ...]) -> None:
    with pytest.raises(CommandError):
        run(*args)


def test_the_admin_is_warned_about_next_year_when_it_is_missing(org: Any) -> None:
    client = Client()
    client.force_login(org.admin)

    with time_machine.travel("2026-12-06T10:00+08:00", tick=False):
        response = client.get("/admin/sla/businesscalendar/", follow=True)

    text = response.content.decode()
    assert response.status_code == 200
    assert "2027" in text
    assert "标准工作日" in text
