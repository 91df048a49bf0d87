"""Inbox latency at 2,000 and 100,000 tickets, on SQLite and on PostgreSQL.

For each database and scale: generate the tickets in bulk (``bench.generate``, kept between
runs), serve the app as it runs (PostgreSQL: the production layout, ``uvicorn
bihuan.asgi:application --workers 2×cores+1`` with Redis; SQLite: the embedded layout, one
process), then request each inbox workload repeatedly from one client, one request at a time
(keep-alive), and print the median and p95 of the repeated requests:

* ``api_first``  – ``GET /api/v1/tickets?view=open`` (the agent's open tickets, first page)
* ``api_deep``   – the same list at a deep page reached by walking the cursors
* ``html_first`` / ``html_deep`` – the HTML inbox ``/?view=open`` (skipped if absent)
* ``api_first_supervisor`` – the first page for a supervisor (who sees every ticket)
* ``search_zh`` / ``search_en`` / ``search_rare`` / ``search_phrase`` – the search page
  ``/search/?q=…`` for 退款 (a common Chinese word), refund (a common English one), the order
  number of the oldest message (a rare word) and a two-word phrase (agent, session)

``--only a,b`` runs just those workloads. The inbox counts are cached for
``BIHUAN_VIEW_COUNTS_SECONDS`` (10 s) per viewer; ``BIHUAN_VIEW_COUNTS_SECONDS=0`` in the
environment makes every HTML inbox request count its views (the cost each cache expiry adds).

Usage::

    .venv/bin/python bench/inbox_latency.py [--scales 2000,100000] [--db both] [--requests 200]

Results go to ``bench/results/inbox-latency-<time>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from urllib.parse import quote

from bench.common import RESULTS, Target, log, run_json, summarize_ms, write_json
from bench.server import bihuan_server, cpu_seconds

DEEP_MAX_ROWS = 5000
SEARCHES = {
    "search_zh": "退款",
    "search_en": "refund",
    "search_rare": "{rare}",  # the oldest message's order number (see rare_word)
    "search_phrase": "退款 快递",
}


def rare_word(env: dict[str, str]) -> str:
    """The order number of the data set's oldest message: a word that ≈ 1 message in 14,000
    holds (at 1M: 251 of 3.6 M), so that the newest 20,000 messages hold too few of them and
    the search reaches back through the whole history."""
    import psycopg

    url = env.get("DATABASE_URL")
    if url is None:
        return "保修卡"
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT substring(search_tokens from '(dd[0-9]+)') FROM tickets_message "
            "WHERE search_tokens ~ 'dd[0-9]+' ORDER BY id LIMIT 1"
        ).fetchone()
    return str(row[0]) if row and row[0] else "保修卡"


def workers_for(db: str) -> int:
    return (os.cpu_count() or 1) + 1 if db == "postgres" else 1


def deep_cursor(client: Any, base: str, headers: dict[str, str]) -> tuple[str | None, int]:
    """Walk the open list page by page (25 rows, as the inbox shows) by its cursors and return
    the cursor of the page in its middle (at most 5,000 rows deep) and that depth in rows."""
    cursors: list[str] = []
    cursor: str | None = None
    while len(cursors) * 25 < 2 * DEEP_MAX_ROWS:
        url = f"{base}/api/v1/tickets?view=open&limit=25" + (f"&cursor={cursor}" if cursor else "")
        cursor = client.get(url, headers=headers).json()["next_cursor"]
        if not cursor:
            break
        cursors.append(cursor)
    if not cursors:
        return None, 0
    middle = len(cursors) // 2
    return cursors[middle], (middle + 1) * 25


def measure(
    client: Any, url: str, headers: dict[str, str], *, requests: int, warmup: int, pids: list[int]
) -> dict[str, Any]:
    """Median and p95 of ``requests`` sequential requests, and the server's CPU per request
    (its workers' user+system time: the machine's other load does not inflate it)."""
    errors = 0
    for _ in range(warmup):
        client.get(url, headers=headers)
    cpu_before = cpu_seconds(pids)
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(url, headers=headers)
        times.append(time.perf_counter() - started)
        if response.status_code != 200:
            errors += 1
    cpu_ms = (cpu_seconds(pids) - cpu_before) * 1000 / requests
    return {
        **summarize_ms(times),
        "server_cpu_ms": round(cpu_ms, 1),
        "errors": errors,
        "status": response.status_code,
    }


def run_target(
    target: Target, *, requests: int, warmup: int, only: set[str] | None = None
) -> dict[str, Any]:
    import httpx

    started = time.perf_counter()
    meta = run_json(["-m", "bench.generate", "--tickets", str(target.tickets)], target.env())
    generation = {
        "cached": meta["cached"],
        "seconds": round(time.perf_counter() - started, 1),
        "timings": meta["timings"],
        "rows": meta["rows"],
        "statuses": meta["stats"]["statuses"],
    }
    log(f"{target.label}: data ready ({'cached' if meta['cached'] else 'generated'})")
    token = meta["org"]["tokens"]["bench_agent"]
    supervisor_token = meta["org"]["tokens"]["bench_supervisor"]
    session = meta["sessions"]["agent"]
    api = {"Authorization": f"Bearer {token}"}
    results: dict[str, Any] = {"generation": generation}
    server = bihuan_server(
        target.env(), workers=workers_for(target.db), name=f"inbox-{target.label}"
    )
    with server, httpx.Client(timeout=60) as client:
        base = server.url
        cursor, depth = deep_cursor(client, base, api)
        html_probe = client.get(f"{base}/?view=open", cookies={"sessionid": session})
        has_html = html_probe.status_code == 200
        workloads: dict[str, tuple[str, dict[str, str], dict[str, str]]] = {
            "api_first": (f"{base}/api/v1/tickets?view=open", api, {}),
            "api_first_supervisor": (
                f"{base}/api/v1/tickets?view=open",
                {"Authorization": f"Bearer {supervisor_token}"},
                {},
            ),
        }
        if cursor:
            workloads["api_deep"] = (f"{base}/api/v1/tickets?view=open&cursor={cursor}", api, {})
        if has_html:
            cookies = {"sessionid": session}
            workloads["html_first"] = (f"{base}/?view=open", {}, cookies)
            if cursor:
                workloads["html_deep"] = (f"{base}/?view=open&cursor={cursor}", {}, cookies)
            rare = rare_word(target.env()) if target.db == "postgres" else "保修卡"
            results["rare_word"] = rare
            for name, words in SEARCHES.items():
                q = quote(words.format(rare=rare))
                workloads[name] = (f"{base}/search/?q={q}", {}, cookies)
        if only:
            workloads = {name: w for name, w in workloads.items() if name in only}
        for name, (url, headers, cookies) in workloads.items():
            client.cookies.clear()
            for key, value in cookies.items():
                client.cookies.set(key, value)
            results[name] = measure(
                client, url, headers, requests=requests, warmup=warmup, pids=server.worker_pids()
            )
            log(f"{target.label} {name}: p50 {results[name]['p50']} ms, p95 {results[name]['p95']}")
        client.cookies.clear()
        results["deep_page_rows"] = depth
        results["html_inbox"] = "present" if has_html else f"absent ({html_probe.status_code})"
        results["memory"] = server.memory()
        results["load_average_after"] = os.getloadavg()
    spec = [
        {"name": "api_first", "path": "/api/v1/tickets?view=open", "token": token},
        {
            "name": "api_first_supervisor",
            "path": "/api/v1/tickets?view=open",
            "token": supervisor_token,
        },
    ]
    if cursor:
        spec.append(
            {
                "name": "api_deep",
                "path": f"/api/v1/tickets?view=open&cursor={cursor}",
                "token": token,
            }
        )
    if has_html:
        spec.append({"name": "html_first", "path": "/?view=open", "session": session})
        if cursor:
            spec.append(
                {"name": "html_deep", "path": f"/?view=open&cursor={cursor}", "session": session}
            )
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(spec, handle)
    try:
        counts = run_json(["-m", "bench.querycount", handle.name], target.env())
    except RuntimeError as exc:  # the app may be mid-edit; keep the timings
        results["query_count_error"] = str(exc)[-500:]
        counts = {}
    Path(handle.name).unlink()
    for name, value in counts.items():
        if name in results:
            results[name]["queries"] = value["queries"]
    return results


def print_table(report: dict[str, Any]) -> None:
    names = ["api_first", "api_deep", "html_first", "html_deep", "api_first_supervisor",
             *SEARCHES]  # fmt: skip
    print()
    print(
        f"{'workload':<22} {'target':<16} {'p50 ms':>8} {'p95 ms':>8} {'cpu ms':>7} "
        f"{'queries':>8} {'errors':>7}"
    )
    for name in names:
        for label, result in report["targets"].items():
            row = result.get(name)
            if row is None:
                continue
            print(
                f"{name:<22} {label:<16} {row['p50']:>8.1f} {row['p95']:>8.1f} "
                f"{row['server_cpu_ms']:>7.1f} "
                f"{row.get('queries', '-')!s:>8} {row['errors']:>7}"
            )
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description="Inbox latency at two scales on both databases")
    parser.add_argument("--scales", default="2000,100000")
    parser.add_argument("--db", choices=["postgres", "sqlite", "both"], default="both")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--only", default="", help="comma-separated workload names")
    args = parser.parse_args()
    only = {name for name in args.only.split(",") if name} or None
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    scales = [int(s) for s in args.scales.split(",")]
    report: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "method": "sequential keep-alive requests from one client; median and p95 of "
        f"{args.requests} requests after {args.warmup} warm-up requests",
        "cpus": os.cpu_count(),
        "load_average_at_start": os.getloadavg(),
        "view_counts_seconds": os.environ.get("BIHUAN_VIEW_COUNTS_SECONDS", "10 (default)"),
        "targets": {},
    }
    path = RESULTS / f"inbox-latency-{time.strftime('%Y%m%d-%H%M%S')}.json"
    for db in dbs:
        for scale in scales:
            target = Target(db, scale)
            try:
                report["targets"][target.label] = run_target(
                    target, requests=args.requests, warmup=args.warmup, only=only
                )
            except Exception as exc:  # report what failed, go on with the next target
                log(f"{target.label} failed: {exc}")
                report["targets"][target.label] = {"error": str(exc)[-2000:]}
            write_json(path, report)
    print_table(report)
    print(f"results: {path}")


if __name__ == "__main__":
    main()
