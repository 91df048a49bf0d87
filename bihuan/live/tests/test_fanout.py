"""The production layout: two ASGI worker processes (uvicorn) on one Redis channel layer and
one PostgreSQL. A page connected to the first worker hears about a note added through the
second; the only process that writes (and so publishes) is the second.

PostgreSQL + Redis only: the embedded layout (SQLite, in-memory layer) is one process by
design (``bihuan serve`` without ``REDIS_URL``), and a second worker there could not share an
in-memory layer; its single-process path is what ``test_workspace_socket.py`` covers.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from websockets.sync.client import connect
from websockets.typing import Origin

from bihuan.core.models import Event
from bihuan.testing.factories import make_ticket
from conftest import Org

pytestmark = pytest.mark.postgres


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_serving(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"uvicorn on {port} exited: {process.stderr.read()!r}")  # type: ignore[union-attr]
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"uvicorn on {port} did not start")


@pytest.fixture
def two_workers(transactional_db: None) -> Iterator[tuple[int, int]]:
    if (
        connection.vendor != "postgresql"
        or "Redis" not in settings.CHANNEL_LAYERS["default"]["BACKEND"]
    ):
        pytest.skip("the multi-worker layout needs PostgreSQL and Redis (see the module doc)")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bihuan.settings_test",
        "BIHUAN_WORKER_DB_NAME": str(connection.settings_dict["NAME"]),
    }
    ports = (_free_port(), _free_port())
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "bihuan.asgi:application", "--host", "127.0.0.1",
             "--port", str(port), "--lifespan", "off", "--ws", "websockets-sansio",
             "--log-level", "warning"],
            env=env,
            cwd=Path(__file__).resolve().parents[3],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for port in ports
    ]  # fmt: skip
    try:
        for port, process in zip(ports, processes, strict=True):
            _wait_until_serving(port, process)
        yield ports
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=3)
            except subprocess.TimeoutExpired:
                process.kill()  # a graceful shutdown is not what this test is about
                process.wait(timeout=5)


def test_a_note_added_through_one_worker_reaches_a_page_on_the_other(
    two_workers: tuple[int, int], org: Org
) -> None:
    first, second = two_workers
    ticket = make_ticket(subject="订单还没发货", team=org.presales)
    cursor = Event.objects.latest("id").pk
    client = Client()
    client.force_login(org.agent)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    request = urllib.request.Request(
        f"http://127.0.0.1:{second}/api/v1/tickets/{ticket.pk}/messages",
        data=json.dumps({"kind": "note", "body": "仓库已确认今天发出"}).encode(),
        headers={
            "Authorization": f"Bearer {org.tokens['supervisor']}",
            "Content-Type": "application/json",
        },
        method="POST",
    )
    with connect(
        f"ws://127.0.0.1:{first}/ws/live/?after={cursor}",
        additional_headers={"Cookie": cookie},
        origin=Origin(f"http://127.0.0.1:{first}"),
        open_timeout=10,
    ) as page:
        with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310
            assert response.status == 201

        frame = json.loads(page.recv(timeout=10))

    note = Event.objects.filter(ticket_id=ticket.pk, verb="ticket.message_added").get()
    assert frame["type"] == "events"
    assert [(e["id"], e["ticket"], e["actor"]) for e in frame["events"]] == [
        (note.pk, ticket.pk, str(org.supervisor))
    ]
