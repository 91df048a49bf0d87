"""``bihuan mail``: the email channel from the command line.

``bihuan mail ingest [FILE…]`` reads RFC 822 messages from files (or standard input, as a mail
server's pipe transport calls it) and prints one line per message: the ticket number it landed
on, ``N held: REASON``, ``automatic: REASON``, or ``quarantined: REASON``. Exit status 0 when
every message was stored or quarantined; 75 (EX_TEMPFAIL, the mail server retries) when one
could not even be quarantined.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bihuan.channels.models import Mailbox
from bihuan.channels.services import ingest_email

EX_TEMPFAIL = 75


class Command(BaseCommand):
    help = "The email channel: ingest RFC 822 messages from files or standard input."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="action", required=True)
        ingest = commands.add_parser("ingest", help="Ingest messages from files or stdin.")
        ingest.add_argument("files", nargs="*", help="RFC 822 files; none or '-': stdin")
        ingest.add_argument("--mailbox", default="", help="the receiving address (a Mailbox)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "ingest":
            self._ingest(options["files"], options["mailbox"])

    def _ingest(self, files: list[str], address: str) -> None:
        mailbox = None
        if address:
            mailbox = Mailbox.objects.filter(address__iexact=address).first()
            if mailbox is None:
                raise CommandError(f"no mailbox with the address {address}")
        failed = 0
        for name in files or ["-"]:
            raw = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
            try:
                result = ingest_email(raw, mailbox=mailbox)
            except Exception as exc:  # not even quarantined (database down): retry later
                self.stderr.write(f"{name}: not stored: {type(exc).__name__}: {exc}")
                failed += 1
                continue
            self.stdout.write(result.line())
        if failed:
            sys.exit(EX_TEMPFAIL)
