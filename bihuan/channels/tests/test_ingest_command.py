"""``bihuan mail ingest``: one line per message, idempotent, standard input as a pipe."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from bihuan.channels.tests.mail import CORPUS, build_mail
from bihuan.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("mail", "ingest", *args, stdout=out)
    return out.getvalue()


def test_ingest_prints_one_line_per_file_and_the_same_lines_again(tmp_path: Path) -> None:
    files = [str(CORPUS / "gmail_zh_new.eml"), str(CORPUS / "not_an_email.eml")]

    first = _run(*files)
    again = _run(*files)

    number = Ticket.objects.get().pk
    assert first == f"{number}\nquarantined: parse_error\n"
    assert again == first
    assert Ticket.objects.count() == 1


def test_ingest_reads_standard_input(monkeypatch: pytest.MonkeyPatch) -> None:
    stdin = io.TextIOWrapper(io.BytesIO(build_mail(message_id="<pipe@x>")))
    monkeypatch.setattr(sys, "stdin", stdin)

    output = _run()

    assert output == f"{Ticket.objects.get().pk}\n"
