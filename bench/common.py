"""Shared by the bench scripts: where things live, the environment of a target database,
subprocess helpers and percentiles.

A *target* is one Bihuan database holding one generated data set: PostgreSQL database
``bench_bihuan_<n>`` or the SQLite file ``bench/results/data/sqlite-<n>/bihuan.sqlite3``.
Never the developer's ``data/bihuan.sqlite3``.
"""

from __future__ import annotations

import json
import math
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
RESULTS = BENCH_DIR / "results"
DATA = RESULTS / "data"
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable

# trust auth on loopback here; a fresh Debian cluster set up by scripts/services.sh uses this
# password, so the same URL works on both.
PG_BASE = os.environ.get("BENCH_PG_URL", "postgresql://postgres:postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
SECRET = "bench-secret-key-not-for-production-0123456789abcdef"


@dataclass(frozen=True)
class Target:
    """One Bihuan database with ``tickets`` generated tickets."""

    db: str  # "postgres" | "sqlite"
    tickets: int

    @property
    def label(self) -> str:
        return f"{self.db}-{self.tickets}"

    @property
    def pg_name(self) -> str:
        return f"bench_bihuan_{self.tickets}"

    @property
    def data_dir(self) -> Path:
        # PostgreSQL targets keep only collected static files there: share one folder.
        return DATA / ("postgres" if self.db == "postgres" else self.label)

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "bihuan.sqlite3"

    def env(self) -> dict[str, str]:
        """The environment Bihuan runs with against this target (production for PostgreSQL,
        the embedded mode for SQLite)."""
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"DATABASE_URL", "REDIS_URL", "BIHUAN_DATA_DIR", "BIHUAN_DEBUG"}
        }
        env.update(
            DJANGO_SETTINGS_MODULE="bihuan.settings",
            BIHUAN_DATA_DIR=str(self.data_dir),
            BIHUAN_SECRET_KEY=SECRET,
            BIHUAN_DEBUG="false",
            BIHUAN_LOG_LEVEL="ERROR",
            PYTHONPATH=str(ROOT),
            PYTHONDONTWRITEBYTECODE="1",
        )
        if self.db == "postgres":
            env["DATABASE_URL"] = f"{PG_BASE}/{self.pg_name}"
            env["REDIS_URL"] = REDIS_URL
        return env


def run_json(args: list[str], env: dict[str, str], *, timeout: float | None = None) -> Any:
    """Run a bench module in a subprocess; its last stdout line is a JSON answer."""
    proc = subprocess.run(
        [PYTHON, *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n"
            f"{proc.stderr[-5000:]}"
        )
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    return json.loads(lines[-1]) if lines else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, *, timeout: float = 60.0, ok: tuple[int, ...] = (200, 302, 401)) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            response = httpx.get(url, timeout=5.0)
            if response.status_code in ok:
                return
            last = RuntimeError(f"{url} answered {response.status_code}")
        except httpx.HTTPError as exc:
            last = exc
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not come up: {last}")


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0–100) by linear interpolation; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summarize_ms(values_s: list[float]) -> dict[str, float]:
    ms = [v * 1000 for v in values_s]
    return {
        "n": len(ms),
        "p50": round(percentile(ms, 50), 2),
        "p95": round(percentile(ms, 95), 2),
        "p99": round(percentile(ms, 99), 2),
        "max": round(max(ms), 2) if ms else math.nan,
    }


def write_json(path: Path, payload: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2, default=str))


def log(*parts: Any) -> None:
    print(time.strftime("%H:%M:%S"), *parts, file=sys.stderr, flush=True)


def own_data_set(name: str, db: str, tickets: int) -> dict[str, str]:
    """The production environment pointed at a script's own data set — PostgreSQL database
    ``bench_<name>`` or the SQLite folder ``data/<name>-sqlite`` — generated (or reused) by
    ``bench.generate``, so that what the script writes never touches the harness's data."""
    env = Target(db, tickets).env()
    if db == "postgres":
        env["DATABASE_URL"] = f"{PG_BASE}/bench_{name}"
    else:
        env["BIHUAN_DATA_DIR"] = str(DATA / f"{name}-sqlite")
    Path(env["BIHUAN_DATA_DIR"]).mkdir(parents=True, exist_ok=True)
    log(f"{name}: data set of {tickets} tickets ({db})")
    run_json(["-m", "bench.generate", "--tickets", str(tickets)], env)
    return env


def measure_in_child(child: list[str], env: dict[str, str], *, profile: str | None) -> Any:
    """Run a script's measuring half (``python -m bench.x --measure …``) in the target's
    environment: its JSON answer, or None with ``profile`` (the child prints its profile)."""
    if profile:
        subprocess.run([PYTHON, *child, "--profile", profile], env=env, cwd=ROOT, check=True)
        return None
    return run_json(child, env)
