"""A PostgreSQL cluster and a Redis of a test's own, on spare loopback ports.

For tests that stop, kill or restart servers: they must never touch the servers the rest of
the suite shares. PostgreSQL comes from Debian's binaries (``/usr/lib/postgresql/*/bin``);
``initdb`` refuses to run as root, so as root the cluster belongs to the ``postgres`` user.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg


def spare_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def servers_available() -> str:
    """Why the own servers cannot be started here ("" when they can)."""
    if _postgres_bin() is None:
        return "PostgreSQL binaries not found under /usr/lib/postgresql/*/bin"
    if shutil.which("redis-server") is None:
        return "redis-server not found"
    return ""


def _as_owner(command: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


@dataclass
class OwnPostgres:
    """One cluster in a temporary folder; ``restart`` keeps its data."""

    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="bihuan-pg-")))
    port: int = field(default_factory=spare_port)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/bihuan"

    def _ctl(self, *args: str) -> None:
        binaries = _postgres_bin()
        assert binaries is not None
        subprocess.run(
            _as_owner([str(binaries / "pg_ctl"), "-D", str(self.folder / "data"), *args]),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def start(self) -> None:
        binaries = _postgres_bin()
        assert binaries is not None
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        subprocess.run(
            _as_owner(
                [
                    str(binaries / "initdb"),
                    "-D",
                    str(self.folder / "data"),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "--no-sync",
                    "-E",
                    "UTF8",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        self._start()
        with psycopg.connect(self.admin_url, autocommit=True) as connection:
            connection.execute("CREATE DATABASE bihuan")

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _start(self) -> None:
        options = (
            f"-p {self.port} -h 127.0.0.1 -k {self.folder} -F "
            "-c shared_buffers=32MB -c max_connections=60 -c fsync=off"
        )
        self._ctl("-o", options, "-l", str(self.folder / "log"), "-w", "start")

    def restart(self) -> None:
        self._ctl("-m", "fast", "-w", "stop")
        self._start()

    def stop(self) -> None:
        try:
            self._ctl("-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.url, autocommit=True) as connection:
            return list(connection.execute(sql.encode()).fetchall())

    def execute(self, sql: str) -> None:
        with psycopg.connect(self.url, autocommit=True) as connection:
            connection.execute(sql.encode())


@dataclass
class OwnRedis:
    """One redis-server without persistence; ``stop`` and ``start`` again on the same port."""

    port: int = field(default_factory=spare_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None
