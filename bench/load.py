"""Runs of the load generator: locust, headless, as a separate process, bounded in time."""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from bench.common import PYTHON, RESULTS, ROOT, percentile

LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"


def run_locust(
    spec: dict[str, Any], *, host: str, users: int, seconds: float, label: str
) -> dict[str, Any]:
    """Run one workload for ``seconds`` with ``users`` simulated users against ``host``
    (loopback only); return per request name: count, requests/s, p50/p95/p99, errors."""
    assert host.startswith("http://127.0.0.1:"), "bench traffic goes to loopback only"
    with tempfile.TemporaryDirectory(prefix="bench-locust-") as tmp:
        spec_path = Path(tmp) / "spec.json"
        out_path = Path(tmp) / "out.json"
        spec_path.write_text(json.dumps(spec, ensure_ascii=False))
        log_path = RESULTS / "logs" / f"locust-{label}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        command = [
            PYTHON,
            "-m",
            "locust",
            "-f",
            str(LOCUSTFILE),
            "--headless",
            "--users",
            str(users),
            "--spawn-rate",
            str(max(users, 1)),
            "--run-time",
            f"{max(1, round(seconds))}s",
            "--host",
            host,
            "--only-summary",
            "--stop-timeout",
            "5",
            "--exit-code-on-error",
            "0",
            "--loglevel",
            "ERROR",
        ]
        env = {"BENCH_SPEC": str(spec_path), "BENCH_OUT": str(out_path), "PYTHONPATH": str(ROOT)}
        import os

        with log_path.open("w") as log_file:
            subprocess.run(
                command,
                env={**os.environ, **env},
                cwd=ROOT,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                timeout=seconds + 120,
                check=True,
            )
        raw = json.loads(out_path.read_text())
    results: dict[str, Any] = {}
    window = seconds
    if raw.get("window", {}).get("start"):
        # From the start of the test to the last completed request (the stop waits for
        # requests in flight, which would otherwise stretch the window).
        last = max((s[0] for samples in raw["samples"].values() for s in samples), default=0)
        window = max(1e-3, min(last, raw["window"].get("stop", last)) - raw["window"]["start"])
    for name, samples in raw["samples"].items():
        latencies = [s[1] for s in samples]
        errors = sum(raw["errors"].get(name, {}).values())
        results[name] = {
            "n": len(latencies),
            "rps": round(len(latencies) / max(window, 1e-6), 1),
            "p50": round(percentile(latencies, 50), 1),
            "p95": round(percentile(latencies, 95), 1),
            "p99": round(percentile(latencies, 99), 1),
            "max": round(max(latencies), 1),
            "errors": errors,
            "error_kinds": raw["errors"].get(name, {}),
        }
    return results
