"""``bihuan serve``: run the ASGI app with uvicorn (embedded mode: one process).

Production runs several workers: ``bihuan serve --workers 5`` (uvicorn's own process manager)
or gunicorn with uvicorn workers; see docs/deploy.md.
"""

from __future__ import annotations

from typing import Any

import uvicorn
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve Bihuan over HTTP with uvicorn (ASGI)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=1)
        parser.add_argument("--log-level", default="info")

    def handle(self, *args: Any, **options: Any) -> None:
        uvicorn.run(
            "bihuan.asgi:application",
            host=options["host"],
            port=options["port"],
            workers=options["workers"],
            log_level=options["log_level"],
            lifespan="off",
            proxy_headers=True,
        )
