"""Web CPU per HTML page, measured in-process (the rendering part of the million-tickets issue).

    .venv/bin/python bench/render_cost.py [--tickets 20000] [--requests 60] [--label after]
    .venv/bin/python bench/render_cost.py --compare bench/results/render-before.json
    .venv/bin/python bench/render_cost.py --profile ticket_html    # cProfile, top functions

It generates (or reuses) a PostgreSQL data set in the database ``bench_render`` with
``bench.generate`` (``--db sqlite`` uses ``bench/results/data/render-sqlite/``), then, in a
child process with the production settings (DEBUG off, the cached template loader, Redis
cache), signs the bench agent in with Django's test ``Client`` and requests each page: a
dozen warm-up requests, then ``--requests`` timed ones. For each page it prints the median
and p90 of the process CPU time (``time.process_time``: the web CPU a worker spends,
which the machine's other load does not inflate), the median wall time and the SQL
statements of one request (``CaptureQueriesContext``). No server, no network: the same
middleware, views and templates a worker runs, minus the ASGI layer.

Pages: ``inbox_html_first`` (``/?view=open``), ``inbox_html_deep`` (the middle page of the
open view, ≤ 5,000 rows deep, by its keyset cursor), ``ticket_html`` (``/tickets/N/`` of a
ticket with 50 messages). Results go to ``bench/results/render-<label>.json``; ``--compare``
prints a saved run beside this one.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import RESULTS, measure_in_child, own_data_set  # noqa: E402

PAGES = ("inbox_html_first", "inbox_html_deep", "ticket_html")


# --- in the child process (the target's environment) -----------------------------------------


def _paths(client: Any, meta: dict[str, Any]) -> dict[str, str]:
    cursors: list[str] = []
    cursor: str | None = None
    while len(cursors) * 25 < 10_000:
        url = "/?view=open" + (f"&cursor={cursor}" if cursor else "")
        response = client.get(url)
        text = response.content.decode()
        marker = 'rel="next"'
        if marker not in text:
            break
        head = text[: text.index(marker)]
        cursor = head[head.rindex("cursor=") + len("cursor=") : head.rindex('"')]
        cursor = cursor.split('"')[0].replace("&amp;", "&")
        cursors.append(cursor)
    paths = {"inbox_html_first": "/?view=open", "ticket_html": f"/tickets/{meta['long_ticket']}/"}
    if cursors:
        paths["inbox_html_deep"] = f"/?view=open&cursor={cursors[len(cursors) // 2]}"
    return paths


def measure(requests: int, warmup: int, profile: str | None) -> dict[str, Any]:
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bihuan.accounts.models import User

    with connection.cursor() as cur:
        cur.execute("SELECT value FROM bench_meta WHERE key = 'dataset'")
        meta = json.loads(cur.fetchone()[0])
    agent = User.objects.get(pk=meta["org"]["agent"])
    client = Client()
    client.force_login(agent)
    paths = _paths(client, {"long_ticket": meta["stats"]["long_tickets"][0]})
    if profile:
        path = paths[profile]
        for _ in range(warmup):
            client.get(path)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(requests):
            client.get(path)
        profiler.disable()
        stats = pstats.Stats(profiler, stream=sys.stderr)
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(30)
        return {"profiled": profile}
    results: dict[str, Any] = {}
    for name, path in paths.items():
        for _ in range(warmup):
            assert client.get(path).status_code == 200, path
        cpu: list[float] = []
        wall: list[float] = []
        for _ in range(requests):
            started_cpu, started = time.process_time(), time.perf_counter()
            client.get(path)
            cpu.append(time.process_time() - started_cpu)
            wall.append(time.perf_counter() - started)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        cpu.sort()
        results[name] = {
            "path": path,
            "cpu_ms_p50": round(statistics.median(cpu) * 1000, 2),
            "cpu_ms_p90": round(cpu[int(len(cpu) * 0.9) - 1] * 1000, 2),
            "wall_ms_p50": round(statistics.median(wall) * 1000, 2),
            "queries": len(captured),
            "bytes": len(response.content),
        }
    return results


# --- the parent ---------------------------------------------------------------------------------


def print_table(report: dict[str, Any], before: dict[str, Any] | None) -> None:
    head = "| page | CPU ms p50 | CPU ms p90 | wall ms p50 | SQL |"
    if before:
        head = (
            "| page | CPU ms p50 before → after | CPU ms p90 | wall ms p50 | SQL before → after |"
        )
    print(head)
    print("|---|---|---|---|---|")
    for name in PAGES:
        row = report["pages"].get(name)
        if not row:
            continue
        old = (before or {}).get("pages", {}).get(name)
        if old:
            print(
                f"| {name} | {old['cpu_ms_p50']} → {row['cpu_ms_p50']} | {old['cpu_ms_p90']} → "
                f"{row['cpu_ms_p90']} | {old['wall_ms_p50']} → {row['wall_ms_p50']} | "
                f"{old['queries']} → {row['queries']} |"
            )
        else:
            print(
                f"| {name} | {row['cpu_ms_p50']} | {row['cpu_ms_p90']} | {row['wall_ms_p50']} | "
                f"{row['queries']} |"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description="Web CPU per HTML page, in-process")
    parser.add_argument("--tickets", type=int, default=20_000)
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=12)
    parser.add_argument("--label", default="latest")
    parser.add_argument("--compare", help="a saved render-<label>.json to print beside this run")
    parser.add_argument("--profile", choices=PAGES, help="cProfile one page instead")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:  # the child, in the target's environment
        print(json.dumps(measure(args.requests, args.warmup, args.profile)))
        return
    env = own_data_set("render", args.db, args.tickets)
    child = ["-m", "bench.render_cost", "--measure", "--requests", str(args.requests)]
    pages = measure_in_child([*child, "--warmup", str(args.warmup)], env, profile=args.profile)
    if pages is None:
        return
    report = {
        "tickets": args.tickets,
        "db": args.db,
        "requests": args.requests,
        "load_average": os.getloadavg(),
        "pages": pages,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"render-{args.label}.json").write_text(json.dumps(report, indent=2))
    before = json.loads(Path(args.compare).read_text()) if args.compare else None
    print_table(report, before)


if __name__ == "__main__":
    main()
