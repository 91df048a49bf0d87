"""Email ingestion throughput (parse + thread + store, messages/s) and LMTP delivery delay.

    .venv/bin/python bench/mail_ingest.py --db sqlite   [--messages 2000]
    .venv/bin/python bench/mail_ingest.py --db postgres [--messages 2000]

Each run uses a fresh database of its own (SQLite in bench/results/data/mail/, PostgreSQL
database ``bench_mail``) and a fresh storage folder. The messages are the recorded corpus
(Chinese, Japanese and English mail, attachments, HTML, bounces, auto-replies) with unique
Message-IDs, one in three a reply to an earlier one (threaded onto its ticket). Ingestion
runs in this one process, as one IMAP poller or `bihuan mail ingest` does; reactions
(triage…) are left for the workers, as in production. The LMTP figure is the time from the
end of DATA to the receiver's 250, which it sends only after the commit: the delay from
delivery to the ticket. The IMAP IDLE figure runs a real dovecot on loopback (as the tests
do) and measures from the APPEND of a message to its stored row, with `bihuan mail idle`'s
watcher waiting on IDLE.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import smtplib
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PG_ADMIN_URL = "postgresql://postgres:postgres@127.0.0.1:5432/postgres"


def _prepare(db: str) -> None:
    data = RESULTS / "data" / "mail"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    os.environ["BIHUAN_DATA_DIR"] = str(data)
    os.environ["BIHUAN_MEDIA_ROOT"] = str(data / "media")
    os.environ["DJANGO_SETTINGS_MODULE"] = "bihuan.settings"
    if db == "postgres":
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute("DROP DATABASE IF EXISTS bench_mail")
            admin.execute("CREATE DATABASE bench_mail")
        os.environ["DATABASE_URL"] = PG_ADMIN_URL.rsplit("/", 1)[0] + "/bench_mail"
        os.environ.setdefault("BIHUAN_SECRET_KEY", "bench-only-secret-key-0123456789abcdef")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _messages(count: int) -> list[bytes]:
    corpus = sorted((ROOT / "bihuan/channels/email/corpus").glob("*.eml"))
    usable = [p.read_bytes() for p in corpus if p.name != "not_an_email.eml"]
    messages: list[bytes] = []
    for n in range(count):
        raw = usable[n % len(usable)]
        new_id = f"<bench-{n}@bench.example>".encode()
        raw = re.sub(rb"(?im)^message-id:[^\r\n]*", b"Message-ID: " + new_id, raw, count=1)
        if not re.search(rb"(?im)^message-id:", raw):
            raw = b"Message-ID: " + new_id + b"\r\n" + raw
        if n % 3 == 2:  # a reply to the mail two before it
            raw = f"In-Reply-To: <bench-{n - 2}@bench.example>\r\n".encode() + raw
        messages.append(raw)
    return messages


def _throughput(messages: list[bytes]) -> dict[str, float]:
    from bihuan.channels.services import ingest_email

    started = time.perf_counter()
    outcomes: dict[str, int] = {}
    for raw in messages:
        result = ingest_email(raw)
        outcomes[result.status] = outcomes.get(result.status, 0) + 1
    seconds = time.perf_counter() - started
    return {"messages": len(messages), "seconds": seconds, "per_second": len(messages) / seconds,
            **{f"outcome_{k}": v for k, v in sorted(outcomes.items())}}  # fmt: skip


def _lmtp_delay(samples: int) -> dict[str, float]:
    from django.utils import timezone

    from bihuan.channels.email import lmtp
    from bihuan.channels.models import Mailbox

    # The receiver refuses recipients that are none of our mailboxes (550 at RCPT TO).
    Mailbox.objects.get_or_create(
        address="support@bench.example", defaults={"name": "bench", "created_at": timezone.now()}
    )

    loop = asyncio.new_event_loop()
    ready = threading.Event()
    port: list[int] = []

    def run() -> None:
        asyncio.set_event_loop(loop)
        server = loop.run_until_complete(
            lmtp.serve(host="127.0.0.1", port=0, data_size_limit=50_000_000)
        )
        port.append(server.sockets[0].getsockname()[1])
        ready.set()
        loop.run_forever()

    threading.Thread(target=run, daemon=True).start()
    ready.wait(10)
    client = smtplib.LMTP("127.0.0.1", port[0])
    client.ehlo_or_helo_if_needed()
    delays = []
    for n in range(samples):
        raw = (
            f"From: 客户 <lmtp{n}@bench.example>\r\nTo: support@bench.example\r\n"
            f"Subject: LMTP {n}\r\nMessage-ID: <lmtp-{n}@bench.example>\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\n我的订单还没有发货。\r\n"
        ).encode()
        client.mail("sender@bench.example")
        client.rcpt("support@bench.example")
        started = time.perf_counter()
        code, _text = client.data(raw)
        delays.append((time.perf_counter() - started) * 1000)
        assert code == 250, code
    client.quit()
    loop.call_soon_threadsafe(loop.stop)
    ordered = sorted(delays)
    return {
        "samples": samples,
        "median_ms": statistics.median(ordered),
        "p95_ms": ordered[int(0.95 * (len(ordered) - 1))],
    }


def _idle_delay(samples: int) -> dict[str, float]:
    """From IMAP APPEND on a real dovecot to the stored message, with a watcher on IDLE."""
    from django.db import connections
    from django.utils import timezone

    from bihuan.channels.choices import ImapSecurity
    from bihuan.channels.email.imap import watch_mailbox
    from bihuan.channels.models import InboundEmail, Mailbox
    from bihuan.channels.tests.dovecot import running_dovecot

    with running_dovecot() as dovecot:
        user = dovecot.add_account()
        mailbox = Mailbox.objects.create(
            name="idle", address="idle@bench.example", imap_host=dovecot.host,
            imap_port=dovecot.port, imap_security=ImapSecurity.NONE, imap_username=user,
            imap_password="secret", poll_seconds=3600, created_at=timezone.now(),
        )  # fmt: skip
        stop = threading.Event()

        def watch() -> None:
            try:
                watch_mailbox(mailbox, stop=stop)
            finally:
                connections.close_all()

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        while not Mailbox.objects.filter(pk=mailbox.pk, last_polled_at__isnull=False).exists():
            time.sleep(0.01)
        client = dovecot.connect(user)
        delays = []
        for n in range(samples):
            message_id = f"<idle-{n}@bench.example>"
            raw = (
                f"From: 客户 <idle{n}@bench.example>\r\nTo: idle@bench.example\r\n"
                f"Subject: IDLE {n}\r\nMessage-ID: {message_id}\r\n"
                "Content-Type: text/plain; charset=utf-8\r\n\r\n发票还没收到。\r\n"
            ).encode()
            started = time.perf_counter()
            client.append("INBOX", "", "", raw)
            while not InboundEmail.objects.filter(message_id=message_id).exists():
                if time.perf_counter() - started > 30:
                    raise SystemExit(f"{message_id} not stored after 30 s (quarantined?)")
                time.sleep(0.002)
            delays.append((time.perf_counter() - started) * 1000)
        client.logout()
        stop.set()
        watcher.join(10)
    ordered = sorted(delays)
    return {
        "samples": samples,
        "median_ms": statistics.median(ordered),
        "p95_ms": ordered[int(0.95 * (len(ordered) - 1))],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--lmtp-samples", type=int, default=200)
    parser.add_argument("--idle-samples", type=int, default=100)
    args = parser.parse_args()
    _prepare(args.db)
    result = {
        "db": args.db,
        "ingest": _throughput(_messages(args.messages)),
        "lmtp_delivery_to_ticket": _lmtp_delay(args.lmtp_samples),
        "imap_idle_delivery_to_ticket": _idle_delay(args.idle_samples),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"mail-ingest-{args.db}.json").write_text(json.dumps(result, indent=2))
    ingest = result["ingest"]
    delay = result["lmtp_delivery_to_ticket"]
    idle = result["imap_idle_delivery_to_ticket"]
    print(f"{args.db}: {ingest['per_second']:.0f} messages/s "
          f"({ingest['messages']} in {ingest['seconds']:.1f} s); "
          f"LMTP delivery→ticket median {delay['median_ms']:.1f} ms, "
          f"p95 {delay['p95_ms']:.1f} ms; IMAP IDLE append→ticket median "
          f"{idle['median_ms']:.1f} ms, p95 {idle['p95_ms']:.1f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
