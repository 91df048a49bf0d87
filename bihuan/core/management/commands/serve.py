"""``bihuan serve``: run the ASGI app with uvicorn, and (embedded mode) the background runner.

In the embedded mode (``BIHUAN_EMBEDDED_RUNNER``, the default without ``DATABASE_URL``) a
runner thread in this process handles reactions to events and due work (``core.runner``):
``make run`` needs nothing else, and no request waits for a reaction. Production runs
``bihuan worker`` processes instead, and several web workers: ``bihuan serve --workers 5``
(uvicorn's own process manager) or uvicorn/gunicorn directly; see docs/deploy.md.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import uvicorn
from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from uvicorn.supervisors import Multiprocess

from bihuan.core.runner import start_embedded_runner


class Command(BaseCommand):
    help = "Serve Bihuan over HTTP with uvicorn (ASGI), with the embedded background runner."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=1)
        parser.add_argument("--log-level", default="info")
        parser.add_argument(
            "--runner",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="Run the background runner in this process (default: BIHUAN_EMBEDDED_RUNNER).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        runner = options["runner"]
        if runner is None:
            runner = settings.BIHUAN_EMBEDDED_RUNNER
        config = uvicorn.Config(
            "bihuan.asgi:application",
            host=options["host"],
            port=options["port"],
            workers=options["workers"],
            log_level=options["log_level"],
            lifespan="off",
            proxy_headers=True,
        )
        # Bind before the runner starts: a second ``bihuan serve`` on a port in use exits
        # here (status 3). Started first, its runner claimed reactions and died with the
        # process, and they waited for their lease (BIHUAN_LEASE_SECONDS) to run out.
        sock = config.bind_socket()
        if runner:
            start_embedded_runner(sweep_seconds=settings.BIHUAN_SWEEP_SECONDS)
        if config.workers > 1:
            Multiprocess(config, sockets=[sock]).run()
            return
        server = uvicorn.Server(config)
        server.run(sockets=[sock])
        if not server.started:
            sys.exit(3)
