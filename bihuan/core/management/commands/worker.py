"""``bihuan worker``: a production background process (run several, on several machines).

It takes reactions and due items from the database (``core.runner``), listens for wake-up
messages on the broker (Celery's queue ``BIHUAN_WAKE_QUEUE``) so that work starts within
milliseconds of its commit, and sweeps every ``BIHUAN_SWEEP_SECONDS`` whatever it heard, so a
lost wake-up or a broker outage only delays work. SIGTERM/SIGINT stop it after the current
batch; SIGKILL loses nothing (leases expire and another worker takes the rows).
"""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from bihuan.celery import app as celery_app
from bihuan.core.due_work import ensure_recurring
from bihuan.core.runner import BrokerWake, LocalWake, Runner, WakeSource

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Handle reactions to events and due work from the database (production worker)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", default="", help="Shown in claims (default host:pid).")
        parser.add_argument(
            "--sweep-seconds",
            type=float,
            default=None,
            help="Look for work at least this often (default BIHUAN_SWEEP_SECONDS).",
        )
        parser.add_argument(
            "--once", action="store_true", help="Handle what is claimable now, then exit."
        )
        parser.add_argument(
            "--due-batch",
            type=int,
            default=100,
            help="Due items claimed at a time (smaller: shared more evenly between workers).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        runner = Runner(options["name"], due_batch=max(1, options["due_batch"]))
        try:
            ensure_recurring()
        except Exception:
            # The database may still be starting: the periodic jobs are created by the next
            # worker start, or by any runner that starts meanwhile.
            logger.exception("could not create the periodic jobs")
        if options["once"]:
            done = runner.run_until_idle()
            self.stdout.write(f"{done.reactions} reactions, {done.due_items} due items")
            return
        stop = threading.Event()

        wake: WakeSource
        if settings.BIHUAN_WAKE_VIA_BROKER:
            wake = BrokerWake(str(celery_app.conf.broker_url), settings.BIHUAN_WAKE_QUEUE, stop)
        else:
            wake = LocalWake()

        def request_stop(signum: int, frame: FrameType | None) -> None:
            stop.set()
            if isinstance(wake, LocalWake):
                wake.event.set()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        sweep = options["sweep_seconds"] or float(settings.BIHUAN_SWEEP_SECONDS)
        runner.serve(stop, wake, sweep_seconds=sweep)
