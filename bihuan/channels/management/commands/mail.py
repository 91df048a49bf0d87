"""``bihuan mail``: the email channel from the command line.

``bihuan mail lmtp`` runs the LMTP receiver; ``bihuan mail poll`` polls the IMAP mailboxes once;
``bihuan mail rekey`` re-encrypts the stored mailbox passwords after a secret-key rotation;
``bihuan mail idle`` watches them with IMAP IDLE, so new mail becomes a ticket at once.
``bihuan mail ingest [FILE…]`` reads RFC 822 messages from files (or standard input, as a mail
server's pipe transport calls it) and prints one line per message: the ticket number it landed
on, ``N held: REASON``, ``automatic: REASON``, or ``quarantined: REASON``. Exit status 0 when
every message was stored or quarantined; 75 (EX_TEMPFAIL, the mail server retries) when one
could not even be quarantined.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections
from django.db.models import QuerySet

from bihuan.channels import services
from bihuan.channels.adapters import adapter_for
from bihuan.channels.email import imap, lmtp
from bihuan.channels.models import Mailbox
from bihuan.tickets.choices import Channel

EX_TEMPFAIL = 75


class Command(BaseCommand):
    help = "The email channel: ingest RFC 822 messages from files or standard input."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="action", required=True)
        ingest = commands.add_parser("ingest", help="Ingest messages from files or stdin.")
        ingest.add_argument("files", nargs="*", help="RFC 822 files; none or '-': stdin")
        ingest.add_argument("--mailbox", default="", help="the receiving address (a Mailbox)")
        lmtp = commands.add_parser("lmtp", help="Run the LMTP receiver a mail server delivers to.")
        lmtp.add_argument("--host", default="127.0.0.1")
        lmtp.add_argument("--port", type=int, default=2424)
        lmtp.add_argument("--socket", default="", help="listen on this Unix socket instead")
        idle = commands.add_parser(
            "idle", help="Watch IMAP mailboxes with IDLE (new mail at once)."
        )
        idle.add_argument("addresses", nargs="*", help="mailbox addresses (default: all active)")
        poll = commands.add_parser("poll", help="Poll IMAP mailboxes once.")
        poll.add_argument("addresses", nargs="*", help="mailbox addresses (default: all active)")
        poll.add_argument("--limit", type=int, default=500, help="messages per mailbox")
        commands.add_parser(
            "rekey", help="Re-encrypt mailbox passwords under the current secret key."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "ingest":
            self._ingest(options["files"], options["mailbox"])
        elif options["action"] == "lmtp":
            self._lmtp(options["host"], options["port"], options["socket"])
        elif options["action"] == "rekey":
            count = services.rekey_mailbox_passwords()
            self.stdout.write(f"{count} mailbox passwords re-encrypted")
        elif options["action"] == "poll":
            self._poll(options["addresses"], options["limit"])
        elif options["action"] == "idle":
            self._idle(options["addresses"])

    def _idle(self, addresses: list[str]) -> None:
        mailboxes = list(self._polled(addresses))
        if not mailboxes:
            raise CommandError("no active IMAP mailbox")
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
        watchers = [
            threading.Thread(
                target=self._watch, args=(mailbox, stop), name=f"idle:{mailbox.address}"
            )
            for mailbox in mailboxes
        ]
        for watcher in watchers:
            watcher.start()
        self.stdout.write(f"Watching {len(watchers)} mailbox(es) with IMAP IDLE")
        try:
            while not stop.wait(1):
                pass
        except KeyboardInterrupt:
            stop.set()
        for watcher in watchers:
            watcher.join()

    @staticmethod
    def _watch(mailbox: Mailbox, stop: threading.Event) -> None:
        try:
            imap.watch_mailbox(mailbox, stop=stop)
        finally:
            connections.close_all()

    @staticmethod
    def _polled(addresses: list[str]) -> QuerySet[Mailbox]:
        mailboxes = Mailbox.objects.filter(is_active=True).exclude(imap_host="")
        if addresses:
            mailboxes = mailboxes.filter(address__in=[a.lower() for a in addresses])
        return mailboxes.order_by("pk")

    def _lmtp(self, host: str, port: int, socket_path: str) -> None:
        limit = 2 * int(settings.BIHUAN_MAIL_MAX_BYTES)  # bigger ones are quarantined, not refused

        async def run() -> None:
            server = await lmtp.serve(
                host=host, port=port, socket_path=socket_path, data_size_limit=limit
            )
            where = socket_path or f"{host}:{port}"
            self.stdout.write(f"LMTP receiver on {where}", ending="\n")
            self.stdout.flush()
            async with server:
                await server.serve_forever()

        asyncio.run(run())

    def _poll(self, addresses: list[str], limit: int) -> None:
        failed = 0
        for mailbox in self._polled(addresses):
            try:
                report = imap.poll_mailbox(mailbox, limit=limit)
            except imap.MailboxError as exc:
                self.stderr.write(f"{mailbox.address}: {exc}")
                failed += 1
                continue
            self.stdout.write(
                f"{mailbox.address}: {report.fetched} fetched, {report.stored} stored, "
                f"{report.duplicates} duplicates, {report.quarantined} quarantined"
            )
        if failed:
            sys.exit(EX_TEMPFAIL)

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
                result = adapter_for(Channel.EMAIL).receive(raw, source=mailbox)
            except Exception as exc:  # not even quarantined (database down): retry later
                self.stderr.write(f"{name}: not stored: {type(exc).__name__}: {exc}")
                failed += 1
                continue
            self.stdout.write(result.line())
        if failed:
            sys.exit(EX_TEMPFAIL)
