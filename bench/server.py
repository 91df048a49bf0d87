"""Start and stop a served app (Bihuan's ASGI workers, the peer's WSGI workers) on loopback,
and read the memory of its processes from /proc."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

from bench.common import PYTHON, RESULTS, ROOT, free_port, log, wait_http


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces or parentheses: the fields after the last ')'.
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def process_tree(pid: int) -> list[int]:
    tree = [pid]
    for child in _children(pid):
        tree.extend(process_tree(child))
    return tree


def memory_of(pid: int) -> dict[str, float]:
    """RSS now, peak RSS (VmHWM) and PSS of one process, in MB (0 if it is gone)."""
    values = {"rss_mb": 0.0, "peak_rss_mb": 0.0, "pss_mb": 0.0}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                values["rss_mb"] = int(line.split()[1]) / 1024
            elif line.startswith("VmHWM:"):
                values["peak_rss_mb"] = int(line.split()[1]) / 1024
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                values["pss_mb"] = int(line.split()[1]) / 1024
    except OSError:
        pass
    return {k: round(v, 1) for k, v in values.items()}


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time used so far by ``pids`` (seconds)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def pids_by_name(*names: str) -> list[int]:
    """Processes whose command name is one of ``names`` (for the database and Redis)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                comm = (entry / "comm").read_text().strip()
            except OSError:
                continue
            if comm in names:
                found.append(int(entry.name))
    return found


class Server:
    """A server started as its own process group; ``stop()`` ends that group only."""

    def __init__(
        self,
        name: str,
        command: list[str],
        env: dict[str, str],
        *,
        port: int,
        ready_path: str,
        workers: int,
        cwd: Path = ROOT,
    ) -> None:
        self.name = name
        self.command = command
        self.env = env
        self.port = port
        self.ready_path = ready_path
        self.workers = workers
        self.cwd = cwd
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = RESULTS / "logs" / f"{name}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log(f"starting {self.name}: {' '.join(self.command[-8:])}")
        with self.log_path.open("ab") as out:
            self.proc = subprocess.Popen(
                self.command,
                env=self.env,
                cwd=self.cwd,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_http(self.url + self.ready_path, timeout=90)
        # Every worker has to be up (and to have imported the app) before we measure.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(self.worker_pids()) < self.workers:
            time.sleep(0.2)
        return self

    def worker_pids(self) -> list[int]:
        if self.proc is None:
            return []
        if self.workers <= 1:
            return [self.proc.pid]
        return _children(self.proc.pid)

    def memory(self) -> dict[str, Any]:
        """Per worker and in all: RSS, peak RSS and PSS (MB)."""
        if self.proc is None:
            return {}
        workers = [memory_of(pid) for pid in self.worker_pids()]
        master = memory_of(self.proc.pid) if self.workers > 1 else None
        everything = [memory_of(pid) for pid in process_tree(self.proc.pid)]
        return {
            "workers": workers,
            "master": master,
            "max_worker_peak_rss_mb": max((w["peak_rss_mb"] for w in workers), default=0.0),
            "sum_worker_peak_rss_mb": round(sum(w["peak_rss_mb"] for w in workers), 1),
            "sum_rss_mb": round(sum(m["rss_mb"] for m in everything), 1),
            "sum_pss_mb": round(sum(m["pss_mb"] for m in everything), 1),
        }

    def stop(self) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.proc = None

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def bihuan_server(env: dict[str, str], *, workers: int, name: str) -> Server:
    """The production process layout: ``uvicorn bihuan.asgi:application --workers N``."""
    port = free_port()
    command = [
        PYTHON,
        "-m",
        "uvicorn",
        "bihuan.asgi:application",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--lifespan",
        "off",
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    return Server(name, command, env, port=port, ready_path="/login/", workers=workers)


def bihuan_wsgi_server(env: dict[str, str], *, workers: int, name: str) -> Server:
    """For comparison only: the same app under gunicorn's sync WSGI workers (each request
    on the worker's own thread, so persistent database connections are reused)."""
    port = free_port()
    command = [
        PYTHON,
        "-m",
        "gunicorn",
        "bihuan.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--timeout",
        "120",
        "--log-level",
        "warning",
    ]
    return Server(name, command, env, port=port, ready_path="/login/", workers=workers)


def celery_worker(env: dict[str, str], *, name: str) -> subprocess.Popen[bytes]:
    """One ``bihuan worker`` as production runs it: reactions and due work from the database,
    woken through Redis (the name is kept for the callers)."""
    log_path = RESULTS / "logs" / f"{name}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as out:
        return subprocess.Popen(
            [PYTHON, "-m", "bihuan", "worker"],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop_process(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
