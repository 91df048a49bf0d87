"""CPU per created ticket, by component, measured in-process (the creation part of the
million-tickets issue).

    .venv/bin/python bench/create_cost.py [--tickets 10000] [--creates 300] [--label after]
    .venv/bin/python bench/create_cost.py --compare bench/results/create-before.json
    .venv/bin/python bench/create_cost.py --profile web      # cProfile of the creates
    .venv/bin/python bench/create_cost.py --profile worker   # cProfile of the reactions

It generates (or reuses) a PostgreSQL data set in the database ``bench_create`` with
``bench.generate`` (``--db sqlite``: ``bench/results/data/create-sqlite/``), then, in a child
process with the production settings (DEBUG off; reactions queued, not inline), creates
``--creates`` tickets through ``POST /api/v1/tickets`` with Django's test ``Client`` and the
bench's API token — the payloads of the harness's ``create`` workload: half from a known
customer's phone, half from a new one, a random channel and queue, Chinese and English texts
from the bench's pool. Then it handles the reactions those creates left, consumer by consumer,
with the worker's own ``Runner`` (one batch after another, as ``bihuan worker`` does).

Figures (medians where per create; totals divided by the creates for the worker):

* web: Python CPU of the request (``time.process_time``), SQL statements of one create;
* database for the web: CPU of the PostgreSQL backend serving this process, read from
  ``/proc/<pid>/stat`` (``pg_backend_pid()``), total over the creates ÷ creates;
* worker: Python CPU and backend CPU of each consumer's reactions ÷ creates, SQL per create.

CPU time is what the machine's other load does not inflate (wall time is printed too). The
data set grows by ``--creates`` tickets a run; ``--force`` in ``bench.generate`` resets it.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import RESULTS, measure_in_child, own_data_set  # noqa: E402

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# --- in the child process (the target's environment) -----------------------------------------


def _backend_cpu(pid: int | None) -> float:
    """CPU seconds of the PostgreSQL backend ``pid`` so far (0 on SQLite)."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _payloads(meta: dict[str, Any], count: int) -> list[dict[str, Any]]:
    from bench.create_texts import ticket_text  # the create workload's own texts

    rng = random.Random(20261206)
    customers = meta["stats"]["customers"]
    teams = meta["org"]["teams"]
    payloads = []
    for _ in range(count):
        subject, body = ticket_text(rng)
        if rng.random() < 0.5:  # a known customer writes again
            phone = str(13_000_000_000 + rng.randint(1, customers) * 37)
        else:
            phone = f"139{rng.randint(10**7, 10**8 - 1)}"
        payloads.append(
            {
                "subject": subject,
                "body": body,
                "channel": rng.choice(["web", "email", "chat", "wechat", "api"]),
                "customer": {"name": "王芳", "phone": phone},
                "team_id": rng.choice(teams),
            }
        )
    return payloads


def measure(creates: int, warmup: int, profile: str | None) -> dict[str, Any]:
    import django

    django.setup()
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bihuan.core.consumers import registered_consumers
    from bihuan.core.models import Reaction, WorkState
    from bihuan.core.runner import Runner

    with connection.cursor() as cur:
        cur.execute("SELECT value FROM bench_meta WHERE key = 'dataset'")
        meta = json.loads(cur.fetchone()[0])
    backend: int | None = None
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            backend = cur.fetchone()[0]
    client = Client(headers={"Authorization": f"Bearer {meta['org']['tokens']['bench_agent']}"})
    payloads = _payloads(meta, warmup + creates + 1)
    runner = Runner("bench-create")

    def create(payload: dict[str, Any]) -> None:
        response = client.post("/api/v1/tickets", payload, content_type="application/json")
        assert response.status_code == 201, response.content[:500]

    def drain() -> None:
        while runner.run_once(due=False).reactions:
            pass

    for payload in payloads[:warmup]:
        create(payload)
    drain()
    timed = payloads[warmup : warmup + creates]
    web_profiler = cProfile.Profile(time.process_time) if profile == "web" else None  # CPU only
    cpu: list[float] = []
    wall: list[float] = []
    db_before = _backend_cpu(backend)
    if web_profiler:
        web_profiler.enable()
    for payload in timed:
        started_cpu, started = time.process_time(), time.perf_counter()
        create(payload)
        cpu.append(time.process_time() - started_cpu)
        wall.append(time.perf_counter() - started)
    if web_profiler:
        web_profiler.disable()
    db_web = _backend_cpu(backend) - db_before
    # Every reaction the creates caused, the later ones included (triage's changes are
    # events that automation reacts to): rounds over the consumers until nothing is pending.
    totals: dict[str, dict[str, float]] = {}
    profiler = cProfile.Profile(time.process_time) if profile == "worker" else None
    while Reaction.objects.filter(state=WorkState.PENDING).exists():
        for consumer in registered_consumers():
            reset_queries()  # the log keeps 9,000 statements: a full one counts nothing new
            py0, db0, wall0 = time.process_time(), _backend_cpu(backend), time.perf_counter()
            handled = 0
            with CaptureQueriesContext(connection) as captured:
                if profiler:
                    profiler.enable()
                while batch := runner.run_reactions(consumer):
                    handled += batch
                if profiler:
                    profiler.disable()
            if not handled:
                continue
            row = totals.setdefault(
                consumer.name, {"reactions": 0, "cpu": 0.0, "db": 0.0, "wall": 0.0, "sql": 0}
            )
            row["reactions"] += handled
            row["cpu"] += time.process_time() - py0
            row["db"] += _backend_cpu(backend) - db0
            row["wall"] += time.perf_counter() - wall0
            row["sql"] += len(captured)
    worker = {
        name: {
            "reactions": int(row["reactions"]),
            "cpu_ms": round(row["cpu"] * 1000 / creates, 2),
            "db_cpu_ms": round(row["db"] * 1000 / creates, 2),
            "wall_ms": round(row["wall"] * 1000 / creates, 2),
            "queries": round(row["sql"] / creates, 1),
        }
        for name, row in sorted(totals.items())
    }
    shown = web_profiler or profiler
    if shown is not None:
        stats = pstats.Stats(shown, stream=sys.stderr)
        stats.sort_stats("cumulative").print_stats(50)
        stats.sort_stats("tottime").print_stats(30)
    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        create(payloads[-1])
    web_sql = [q["sql"][:160] for q in captured.captured_queries]
    drain()
    if backend is not None:
        with connection.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            assert cur.fetchone()[0] == backend, "the connection changed: backend CPU is wrong"
    cpu.sort()
    return {
        "creates": creates,
        "web": {
            "cpu_ms_p50": round(statistics.median(cpu) * 1000, 2),
            "cpu_ms_p90": round(cpu[int(len(cpu) * 0.9) - 1] * 1000, 2),
            "wall_ms_p50": round(statistics.median(wall) * 1000, 2),
            "db_cpu_ms": round(db_web * 1000 / creates, 2),
            "queries": len(web_sql),
            "sql": web_sql,
        },
        "worker": worker,
    }


# --- the parent ---------------------------------------------------------------------------------


def totals(report: dict[str, Any]) -> dict[str, float]:
    web, worker = report["web"], report["worker"].values()
    out = {
        "web CPU (median)": web["cpu_ms_p50"],
        "database for the web": web["db_cpu_ms"],
        "worker CPU": round(sum(w["cpu_ms"] for w in worker), 2),
        "database for the worker": round(sum(w["db_cpu_ms"] for w in worker), 2),
    }
    out["whole stack"] = round(sum(out.values()), 2)
    return out


def print_table(report: dict[str, Any], before: dict[str, Any] | None) -> None:
    arrow = " before → after" if before else ""
    print(f"| CPU ms per created ticket{arrow} | |")
    print("|---|---|")
    old = totals(before) if before else {}
    for name, value in totals(report).items():
        shown = f"{old[name]} → {value}" if name in old else str(value)
        print(f"| {name} | {shown} |")
    queries = str(report["web"]["queries"])
    if before:
        queries = f"{before['web']['queries']} → {queries}"
    print(f"| web SQL statements | {queries} |")
    print()
    print(f"| consumer | reactions | CPU ms / ticket{arrow} | database ms{arrow} | SQL / ticket |")
    print("|---|---|---|---|---|")
    for name, row in report["worker"].items():
        was = (before or {}).get("worker", {}).get(name)
        cpu = f"{was['cpu_ms']} → {row['cpu_ms']}" if was else str(row["cpu_ms"])
        db = f"{was['db_cpu_ms']} → {row['db_cpu_ms']}" if was else str(row["db_cpu_ms"])
        print(f"| {name} | {row['reactions']} | {cpu} | {db} | {row['queries']} |")


def main() -> None:
    parser = argparse.ArgumentParser(description="CPU per created ticket, in-process")
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--creates", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--label", default="latest")
    parser.add_argument("--compare", help="a saved create-<label>.json to print beside this run")
    parser.add_argument("--profile", choices=("web", "worker"), help="cProfile one side")
    parser.add_argument("--sql", action="store_true", help="print the SQL of one create")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:  # the child, in the target's environment
        print(json.dumps(measure(args.creates, args.warmup, args.profile)))
        return
    env = own_data_set("create", args.db, args.tickets)
    env["BIHUAN_EMBEDDED_RUNNER"] = "0"  # the child handles the reactions itself
    # One persistent connection, so that one PostgreSQL backend serves everything measured.
    env["BIHUAN_DB_POOL"] = "false"
    env["BIHUAN_DB_CONN_MAX_AGE"] = "3600"
    child = ["-m", "bench.create_cost", "--measure", "--creates", str(args.creates)]
    result = measure_in_child([*child, "--warmup", str(args.warmup)], env, profile=args.profile)
    if result is None:
        return
    report = {
        "tickets": args.tickets,
        "db": args.db,
        "load_average": os.getloadavg(),
        **result,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"create-{args.label}.json").write_text(json.dumps(report, indent=2))
    before = json.loads(Path(args.compare).read_text()) if args.compare else None
    print_table(report, before)
    if args.sql:
        print("\n".join(report["web"]["sql"]))


if __name__ == "__main__":
    main()
