"""IMAP polling: fetch what is new in a mailbox and ingest it, one committed message at a time.

Exactly once across crashes: the mailbox's cursor (UIDVALIDITY, last UID) advances in the
transaction that stores each message, so after a kill the next poll starts after the last
committed message; a message fetched again anyway (another mailbox, a reset UIDVALIDITY) is
recognised by its dedupe key. Messages are only read (``BODY.PEEK``) and flagged ``\\Seen``
after their commit; nothing is ever deleted from the server.
"""

from __future__ import annotations

import contextlib
import imaplib
import io
import logging
import re
import select
import ssl
import threading
import time
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from bihuan.channels.choices import ImapSecurity
from bihuan.channels.models import Mailbox
from bihuan.channels.services import IngestResult, MailCursor, ingest_email

logger = logging.getLogger(__name__)

_UID = re.compile(rb"\bUID (\d+)")
_FETCH_BATCH = 25  # messages per FETCH round trip
TIMEOUT_SECONDS = 60
ERROR_PAUSE_SECONDS = 60


class MailboxError(Exception):
    """The IMAP server could not be reached or refused us; the poll is retried later."""


@dataclass
class PollReport:
    """What one poll of one mailbox did."""

    fetched: int = 0
    stored: int = 0
    duplicates: int = 0
    quarantined: int = 0
    has_more: bool = False

    def count(self, result: IngestResult) -> None:
        self.fetched += 1
        if result.is_quarantined:
            self.quarantined += 1
        elif result.is_duplicate:
            self.duplicates += 1
        else:
            self.stored += 1


def connect(mailbox: Mailbox) -> imaplib.IMAP4:
    """A logged-in IMAP connection to ``mailbox``'s server, with its folder selected."""
    try:
        if mailbox.imap_security == ImapSecurity.SSL:
            connection: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                mailbox.imap_host,
                mailbox.imap_port,
                ssl_context=ssl.create_default_context(),
                timeout=TIMEOUT_SECONDS,
            )
        else:
            connection = imaplib.IMAP4(
                mailbox.imap_host, mailbox.imap_port, timeout=TIMEOUT_SECONDS
            )
            if mailbox.imap_security == ImapSecurity.STARTTLS:
                connection.starttls(ssl.create_default_context())
        connection.login(mailbox.imap_username, mailbox.imap_password)
        status, _data = connection.select(_quoted(mailbox.imap_folder))
        if status != "OK":
            raise MailboxError(f"cannot select folder {mailbox.imap_folder!r}")
    except (OSError, imaplib.IMAP4.error) as exc:
        raise MailboxError(f"{type(exc).__name__}: {exc}") from exc
    return connection


def poll_mailbox(mailbox: Mailbox, *, limit: int = 500) -> PollReport:
    """Ingest up to ``limit`` new messages of ``mailbox``; raises ``MailboxError`` on a
    connection problem (recorded on the mailbox), never for a bad message."""
    connection = _open(mailbox)
    try:
        return _poll_open(connection, mailbox, _uidvalidity(connection), limit=limit)
    finally:
        # If the server went away, everything fetched is committed already.
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            connection.logout()


def watch_mailbox(
    mailbox: Mailbox, *, stop: threading.Event, idle_seconds: float = 25 * 60
) -> None:
    """Keep ``mailbox`` ingested as mail arrives: poll, then wait with IMAP IDLE (RFC 2177)
    until the server announces new mail, and poll again; until ``stop`` is set.

    Without IDLE on the server it polls every ``poll_seconds``. A lost connection is retried
    after a pause; the engine's periodic polls keep running beside it, and the cursor and the
    dedupe key make a message fetched by both land once.
    """
    while not stop.is_set():
        try:
            connection = _open(mailbox)
        except MailboxError:
            stop.wait(min(ERROR_PAUSE_SECONDS, max(1, mailbox.poll_seconds)))
            continue
        try:
            uidvalidity = _uidvalidity(connection)
            has_idle = "IDLE" in connection.capabilities
            while not stop.is_set():
                connection.untagged_responses.pop("EXISTS", [])
                report = _poll_open(connection, mailbox, uidvalidity, limit=500)
                # Mail that arrived during the poll was announced in the answer to one of its
                # commands (imaplib keeps it), not to the IDLE that follows: poll again.
                if report.has_more or connection.untagged_responses.pop("EXISTS", []):
                    continue
                if has_idle:
                    _idle(connection, stop=stop, seconds=idle_seconds)
                else:
                    stop.wait(mailbox.poll_seconds)
        except (MailboxError, OSError, imaplib.IMAP4.error):
            logger.warning("mailbox %s: watching again after an error", mailbox.address)
            stop.wait(1)
        finally:
            with contextlib.suppress(OSError, imaplib.IMAP4.error):
                connection.logout()


def _idle(connection: imaplib.IMAP4, *, stop: threading.Event, seconds: float) -> bool:
    """IDLE until the server reports a new message (EXISTS), ``seconds`` pass or ``stop``.

    imaplib has no IDLE before Python 3.14; the command and its continuation are simple
    enough to speak directly. Returns whether new mail was announced.
    """
    tag = b"BHIDLE"
    connection.send(tag + b" IDLE\r\n")
    announced = False
    while True:  # new mail found meanwhile may be announced before the continuation
        line = connection.readline()
        if line.startswith(b"+"):
            break
        if not line.startswith(b"*"):
            raise imaplib.IMAP4.error(f"IDLE refused: {line!r}")
        announced = announced or _announces_mail(line)
    deadline = time.monotonic() + seconds
    try:
        while not announced and not stop.is_set() and time.monotonic() < deadline:
            # Wait in one-second steps to look at ``stop``; a socket timeout would break
            # imaplib's buffered reader, so wait for readability instead (what the reader
            # holds already first: select() cannot see it).
            if not (_buffered(connection) or _readable(connection, 1.0)):
                continue
            line = connection.readline()
            if not line:
                raise imaplib.IMAP4.abort("connection closed while idling")
            announced = _announces_mail(line)
    finally:
        connection.send(b"DONE\r\n")
        while not connection.readline().startswith(tag):
            pass  # the untagged lines before our tagged OK
    return announced


def _announces_mail(line: bytes) -> bool:
    return line.startswith(b"*") and line.rstrip().upper().endswith(b"EXISTS")


def _buffered(connection: imaplib.IMAP4) -> bool:
    """Whether imaplib's reader already holds bytes (peeked without blocking)."""
    sock = connection.socket()
    timeout = sock.gettimeout()
    sock.setblocking(False)
    try:
        reader = connection.file
        return isinstance(reader, io.BufferedReader) and bool(reader.peek(1))
    except (BlockingIOError, ssl.SSLWantReadError):
        return False
    finally:
        sock.settimeout(timeout)


def _readable(connection: imaplib.IMAP4, timeout: float) -> bool:
    sock = connection.socket()
    if isinstance(sock, ssl.SSLSocket) and sock.pending():
        return True  # decrypted bytes waiting that select() cannot see
    ready, _writable, _errors = select.select([sock], [], [], timeout)
    return bool(ready)


def _open(mailbox: Mailbox) -> imaplib.IMAP4:
    try:
        return connect(mailbox)
    except MailboxError as exc:
        _record_error(mailbox, str(exc))
        raise


def _poll_open(
    connection: imaplib.IMAP4, mailbox: Mailbox, uidvalidity: int, *, limit: int
) -> PollReport:
    report = PollReport()
    try:
        last_uid = _reset_cursor_if_needed(mailbox, uidvalidity)
        uids = _new_uids(connection, last_uid)
        report.has_more = len(uids) > limit
        for start in range(0, min(len(uids), limit), _FETCH_BATCH):
            batch = uids[start : min(start + _FETCH_BATCH, limit)]
            for uid, raw in _fetch(connection, batch):
                result = ingest_email(raw, cursor=MailCursor(mailbox, uidvalidity, uid))
                report.count(result)
            connection.uid("STORE", _uid_set(batch), "+FLAGS.SILENT", r"(\Seen)")
    except (OSError, imaplib.IMAP4.error) as exc:
        _record_error(mailbox, f"{type(exc).__name__}: {exc}")
        raise MailboxError(str(exc)) from exc
    Mailbox.objects.filter(pk=mailbox.pk).update(last_polled_at=timezone.now(), last_error="")
    return report


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _uidvalidity(connection: imaplib.IMAP4) -> int:
    _status, data = connection.response("UIDVALIDITY")
    if not data or data[0] is None:
        raise MailboxError("the server did not say UIDVALIDITY")
    return int(data[0])


def _reset_cursor_if_needed(mailbox: Mailbox, uidvalidity: int) -> int:
    """The stored last UID, or 0 after the server renumbered the folder (a new UIDVALIDITY)."""
    with transaction.atomic():
        current = Mailbox.objects.select_for_update().get(pk=mailbox.pk)
        if current.uidvalidity != uidvalidity:
            # UIDs of the old numbering mean nothing now: start over; the dedupe key makes
            # every message that was stored before a duplicate, not a second copy.
            current.uidvalidity = uidvalidity
            current.last_uid = 0
            current.save(update_fields=["uidvalidity", "last_uid"])
    mailbox.uidvalidity, mailbox.last_uid = current.uidvalidity, current.last_uid
    return current.last_uid


def _new_uids(connection: imaplib.IMAP4, last_uid: int) -> list[int]:
    status, data = connection.uid("SEARCH", f"UID {last_uid + 1}:*")
    if status != "OK" or not data or not data[0]:
        return []
    # "n:*" always matches the highest UID, even one below n: filter.
    return sorted(uid for uid in (int(x) for x in data[0].split()) if uid > last_uid)


def _uid_set(uids: list[int]) -> str:
    return ",".join(str(uid) for uid in uids)


def _fetch(connection: imaplib.IMAP4, uids: list[int]) -> list[tuple[int, bytes]]:
    status, data = connection.uid("FETCH", _uid_set(uids), "(UID BODY.PEEK[])")
    if status != "OK":
        raise imaplib.IMAP4.error(f"FETCH failed: {data!r}")
    found: list[tuple[int, bytes]] = []
    for item in data:
        if isinstance(item, tuple) and len(item) == 2:
            match = _UID.search(item[0])
            if match is not None:
                found.append((int(match.group(1)), bytes(item[1])))
    return sorted(found)


def _record_error(mailbox: Mailbox, error: str) -> None:
    logger.warning("mailbox %s: %s", mailbox.address, error)
    Mailbox.objects.filter(pk=mailbox.pk).update(
        last_error=error[:2000], last_polled_at=timezone.now()
    )
