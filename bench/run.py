"""``make bench``: generate data at several scales, serve Bihuan in its production process
layout on loopback, drive it with locust from a separate process, and compare it side by
side with django-helpdesk (the peer) on the same machine, in the same run.

    .venv/bin/python bench/run.py                      # 10k + 100k, both databases, with peer
    .venv/bin/python bench/run.py --quick              # smoke run (~2 minutes)
    .venv/bin/python bench/run.py --with-1m --db postgres
    .venv/bin/python bench/run.py --scales 10000 --db sqlite --no-peer --duration 10

See bench/README.md for what each figure means. Results: ``bench/results/run-<time>.json``
(and ``latest.json``); the summary table is printed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import contextlib

from bench.common import PG_BASE, RESULTS, Target, log, run_json, write_json
from bench.generate import phone_of
from bench.load import run_locust
from bench.server import (
    Server,
    bihuan_server,
    celery_worker,
    memory_of,
    pids_by_name,
    stop_process,
)

# Workloads in the order they run: reads first, then writes, so every read sees the same data.
GROUPS = {
    "inbox": [
        "inbox_api_first",
        "inbox_api_deep",
        "queue_api_first",
        "queue_api_deep",
        "inbox_html_first",
        "inbox_html_deep",
        "queue_html_first",
    ],
    "ticket": ["ticket_api", "ticket_messages_api", "ticket_html"],
    "search": [
        "search_phone_api",
        "search_zh_html",
        "search_en_html",
        "search_phone_html",
        "search_number_html",
    ],
    "create": ["create"],
}
QUICK_WORKLOADS = {
    "inbox_api_first",
    "inbox_api_deep",
    "inbox_html_first",
    "ticket_api",
    "ticket_messages_api",
    "ticket_html",
    "search_zh_html",
    "search_phone_api",
    "create",
}


def workers_default() -> int:
    """Bihuan's ASGI workers: one per core plus one (deploy/systemd/bihuan-web.service).
    The peer's sync workers stay at 2×cores+1, as its own deployment guide says."""
    return (os.cpu_count() or 1) + 1


# --- Bihuan's workloads ---------------------------------------------------------------------


def _walk(client: Any, base: str, query: str, headers: dict[str, str]) -> tuple[str | None, int]:
    """Follow a list's cursors (25 rows a page) to its middle, at most 5,000 rows deep."""
    cursors: list[str] = []
    cursor: str | None = None
    while len(cursors) < 400:
        url = f"{base}/api/v1/tickets?{query}&limit=25" + (f"&cursor={cursor}" if cursor else "")
        response = client.get(url, headers=headers)
        response.raise_for_status()
        cursor = response.json()["next_cursor"]
        if not cursor:
            break
        cursors.append(cursor)
    if not cursors:
        return None, 0
    middle = len(cursors) // 2
    return cursors[middle], (middle + 1) * 25


def bihuan_workloads(meta: dict[str, Any], base: str) -> dict[str, Any]:
    """name → locust spec for every workload, built from the generated fixtures."""
    import httpx

    org = meta["org"]
    token = org["tokens"]["bench_agent"]
    api = {"Authorization": f"Bearer {token}"}
    cookies = {"sessionid": meta["sessions"]["agent"]}
    queue = org["teams"][0]
    with httpx.Client(timeout=60) as client:
        inbox_cursor, inbox_depth = _walk(client, base, "view=open", api)
        queue_query = f"view=all&status=open&team_id={queue}"
        queue_cursor, queue_depth = _walk(client, base, queue_query, api)
        html_probe = client.get(f"{base}/?view=open", cookies=cookies).status_code
        search_probe = client.get(f"{base}/search/?q=x", cookies=cookies).status_code
    long_tickets = meta["stats"]["long_tickets"]
    phone = phone_of(1)
    numbers = meta["stats"]["open_sample"][:10] or long_tickets

    def api_get(name: str, paths: list[str], ok: tuple[int, ...] = (200,)) -> dict[str, Any]:
        return {
            "mode": "get",
            "requests": [{"name": name, "path": p, "headers": api, "ok": ok} for p in paths],
        }

    def html_get(name: str, paths: list[str], ok: tuple[int, ...] = (200,)) -> dict[str, Any]:
        return {
            "mode": "get",
            "requests": [{"name": name, "path": p, "cookies": cookies, "ok": ok} for p in paths],
        }

    specs: dict[str, Any] = {
        "inbox_api_first": api_get("inbox_api_first", ["/api/v1/tickets?view=open"]),
        "queue_api_first": api_get("queue_api_first", [f"/api/v1/tickets?{queue_query}"]),
        "ticket_api": api_get("ticket_api", [f"/api/v1/tickets/{n}" for n in long_tickets]),
        "ticket_messages_api": api_get(
            "ticket_messages_api", [f"/api/v1/tickets/{n}/messages" for n in long_tickets]
        ),
        "search_phone_api": api_get("search_phone_api", [f"/api/v1/customers?q={phone}"]),
        "create": {
            "mode": "create",
            "app": "bihuan",
            "auth_headers": api,
            "customers": meta["stats"]["customers"],
            "teams": org["teams"],
        },
    }
    if inbox_cursor:
        specs["inbox_api_deep"] = api_get(
            "inbox_api_deep", [f"/api/v1/tickets?view=open&cursor={inbox_cursor}"]
        )
    if queue_cursor:
        specs["queue_api_deep"] = api_get(
            "queue_api_deep", [f"/api/v1/tickets?{queue_query}&cursor={queue_cursor}"]
        )
    if html_probe == 200:
        specs["inbox_html_first"] = html_get("inbox_html_first", ["/?view=open"])
        specs["queue_html_first"] = html_get(
            "queue_html_first", [f"/?view=all&status=open&team={queue}"]
        )
        if inbox_cursor:
            specs["inbox_html_deep"] = html_get(
                "inbox_html_deep", [f"/?view=open&cursor={inbox_cursor}"]
            )
        specs["ticket_html"] = html_get("ticket_html", [f"/tickets/{n}/" for n in long_tickets])
    if search_probe == 200:
        quote = urllib.parse.quote
        specs["search_zh_html"] = html_get("search_zh_html", [f"/search/?q={quote('退款')}"])
        specs["search_en_html"] = html_get("search_en_html", ["/search/?q=refund"])
        specs["search_phone_html"] = html_get("search_phone_html", [f"/search/?q={phone}"])
        specs["search_number_html"] = html_get(
            "search_number_html",
            [f"/search/?q=%23{n}" for n in numbers],
            ok=(302,),  # a ticket number opens the ticket: the redirect is the answer
        )
    specs["_info"] = {
        "inbox_deep_rows": inbox_depth,
        "queue_deep_rows": queue_depth,
        "html_pages": "present" if html_probe == 200 else f"absent ({html_probe})",
        "long_ticket_messages": 50,
    }
    return specs


def mixed_spec(specs: dict[str, Any], agents: int, per_day: int) -> dict[str, Any]:
    def requests(*names: str) -> list[dict[str, Any]]:
        found = []
        for name in names:
            for item in specs.get(name, {}).get("requests", [])[:3]:
                found.append({**item, "name": f"mixed_{name.split('_')[0]}"})
        return found

    create = specs["create"]
    return {
        **create,
        "mode": "mixed",
        "agents": agents,
        "arrivals_per_day": per_day,
        "inbox": requests("inbox_api_first", "inbox_html_first", "queue_api_first"),
        "ticket": requests("ticket_api", "ticket_messages_api", "ticket_html"),
        "search": requests("search_zh_html", "search_en_html", "search_phone_api"),
    }


def query_counts(target: Target, specs: dict[str, Any], meta: dict[str, Any]) -> dict[str, Any]:
    """SQL queries per request of each workload, counted in-process on the same data."""
    items = []
    for name, spec in specs.items():
        if name.startswith("_") or spec["mode"] != "get":
            continue
        first = spec["requests"][0]
        items.append(
            {
                "name": name,
                "path": first["path"],
                "token": first.get("headers", {}).get("Authorization", " ").split(" ")[-1] or None,
                "session": first.get("cookies", {}).get("sessionid"),
            }
        )
    payload = {
        "subject": "订单DD2025000001申请退款",
        "body": "您好，我的退款还没到账。",
        "customer": {"name": "王芳", "phone": "15900000001"},
        "team_id": meta["org"]["teams"][0],
    }
    second = {**payload, "customer": {"name": "李娜", "phone": phone_of(2)}}
    items.append(
        {
            "name": "create",
            "path": "/api/v1/tickets",
            "token": meta["org"]["tokens"]["bench_agent"],
            "json": [payload, second],
        }
    )
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(items, handle)
    try:
        return run_json(["-m", "bench.querycount", handle.name], target.env())  # type: ignore[no-any-return]
    except RuntimeError as exc:
        return {"error": str(exc)[-800:]}
    finally:
        Path(handle.name).unlink()


# --- one target ------------------------------------------------------------------------------


def stack_memory(server: Server, extra: list[int]) -> dict[str, Any]:
    """PSS (MB) of the web workers, Celery, PostgreSQL and Redis processes, and in all."""
    from bench.server import process_tree

    def pss(pids: list[int]) -> float:
        return round(sum(memory_of(p)["pss_mb"] for p in pids), 1)

    web = process_tree(server.proc.pid) if server.proc else []
    celery = [p for root in extra for p in process_tree(root)]
    postgres = pids_by_name("postgres")
    redis = pids_by_name("redis-server")
    parts = {
        "web_pss_mb": pss(web),
        "celery_pss_mb": pss(celery),
        "postgres_pss_mb": pss(postgres),
        "redis_pss_mb": pss(redis),
    }
    parts["total_pss_mb"] = round(sum(parts.values()), 1)
    return parts


def warm_up(host: str, spec: dict[str, Any], rounds: int = 12, budget: float = 15.0) -> None:
    """Untimed requests on fresh connections, so that every worker has loaded what the
    workload needs (templates, jieba's dictionary…) before it is measured; at most
    ``budget`` seconds (the peer's slowest endpoints take many seconds a request)."""
    import httpx

    deadline = time.monotonic() + budget
    if spec["mode"] == "create":
        if spec["app"] == "bihuan":
            for index in range(rounds):
                payload = {
                    "subject": "预热：订单查询",
                    "body": "预热请求，请忽略。",
                    "customer": {"name": "预热", "phone": f"1700000{index:04d}"},
                }
                with contextlib.suppress(httpx.HTTPError):
                    httpx.post(
                        host + "/api/v1/tickets",
                        json=payload,
                        headers=spec["auth_headers"],
                        timeout=max(1.0, deadline - time.monotonic()),
                    )
                if time.monotonic() > deadline:
                    break
        return
    for index in range(rounds):
        item = spec["requests"][index % len(spec["requests"])]
        with contextlib.suppress(httpx.HTTPError):
            httpx.get(
                host + item["path"],
                headers=item.get("headers") or {},
                cookies=item.get("cookies") or {},
                timeout=max(1.0, deadline - time.monotonic()),
            )
        if time.monotonic() > deadline:
            break


def pg_connections(database: str) -> int | None:
    """Open connections to ``database`` now (persistent ones outlive their request)."""
    try:
        import psycopg

        with psycopg.connect(f"{PG_BASE}/postgres") as conn:
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (database,)
            ).fetchone()
        return int(row[0]) if row else None
    except Exception:  # a figure for the report only
        return None


def _cpu(server: Server | None, extra_pids: list[int] | None) -> tuple[float, float]:
    """CPU seconds so far of the web workers, and of them plus ``extra_pids``' trees and
    every PostgreSQL process."""
    from bench.server import cpu_seconds, process_tree

    if server is None or server.proc is None:
        return 0.0, 0.0
    web = cpu_seconds(process_tree(server.proc.pid))
    others = [p for root in extra_pids or [] for p in process_tree(root)]
    return web, web + cpu_seconds(others + pids_by_name("postgres"))


def settle(server: Server | None, *, limit: float = 90.0) -> None:
    """Wait until the server's workers are idle: a request the load generator gave up on
    may still be running in a sync worker, and would weigh on the next workload."""
    from bench.server import cpu_seconds

    if server is None:
        return
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        before = cpu_seconds(server.worker_pids())
        time.sleep(0.5)
        if cpu_seconds(server.worker_pids()) - before < 0.05:
            return


def run_workloads(
    specs: dict[str, Any],
    names: list[str],
    *,
    host: str,
    label: str,
    seconds: float,
    users: int,
    create_users: int,
    server: Server | None = None,
    database: str | None = None,
    extra_pids: list[int] | None = None,
    settle_limit: float = 90.0,
) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for name in names:
        spec = specs.get(name)
        if spec is None:
            continue
        if spec.get("skip"):
            results[name] = {"skipped": spec["skip"]}
            continue
        settle(server, limit=settle_limit)
        try:
            warm_up(host, spec, rounds=2 * (server.workers if server else 1) + 2)
        except Exception as exc:  # a failed warm-up must not lose the target's results
            log(f"{label} {name}: warm-up failed: {exc}")
        concurrency = create_users if spec["mode"] == "create" else users
        cpu_before = _cpu(server, extra_pids)
        try:
            measured = run_locust(
                spec, host=host, users=concurrency, seconds=seconds, label=f"{label}-{name}"
            )
        except (subprocess.SubprocessError, OSError, ValueError) as exc:
            results[name] = {"error": str(exc)[-500:]}
            continue
        cpu_after = _cpu(server, extra_pids)
        row = measured.get(name) or next(iter(measured.values()), {"n": 0})
        row["users"] = concurrency
        if row.get("n"):
            # CPU per request of the web workers, and of the whole stack (web, Celery,
            # PostgreSQL): the machine's other load does not inflate these.
            row["web_cpu_ms"] = round((cpu_after[0] - cpu_before[0]) * 1000 / row["n"], 1)
            row["stack_cpu_ms"] = round((cpu_after[1] - cpu_before[1]) * 1000 / row["n"], 1)
        if database:
            row["pg_connections_after"] = pg_connections(database)
        results[name] = row
        log(
            f"{label} {name}: {row.get('rps')} req/s, p50 {row.get('p50')} p95 {row.get('p95')} "
            f"p99 {row.get('p99')} ms, errors {row.get('errors')}"
        )
    return results


def run_bihuan_target(target: Target, args: argparse.Namespace, names: list[str]) -> dict[str, Any]:
    started = time.perf_counter()
    meta = run_json(["-m", "bench.generate", "--tickets", str(target.tickets)], target.env())
    result: dict[str, Any] = {
        "app": "bihuan",
        "db": target.db,
        "tickets": target.tickets,
        "generation": {
            "cached": meta["cached"],
            "seconds": round(time.perf_counter() - started, 1),
            "timings": {k: round(v, 1) for k, v in meta["timings"].items()},
            "rows": meta["rows"],
            "statuses": meta["stats"]["statuses"],
            "messages_per_ticket": meta["stats"]["messages_per_ticket"],
        },
    }
    log(f"{target.label}: data ready in {result['generation']['seconds']} s")
    workers = args.workers if target.db == "postgres" else 1
    env = target.env()
    if args.conn_max_age is not None:
        env["BIHUAN_DB_CONN_MAX_AGE"] = str(args.conn_max_age)
    if args.server == "wsgi":
        from bench.server import bihuan_wsgi_server

        server = bihuan_wsgi_server(env, workers=workers, name=f"bihuan-wsgi-{target.label}")
    else:
        server = bihuan_server(env, workers=workers, name=f"bihuan-{target.label}")
    celery = None
    try:
        server.start()
        if target.db == "postgres":
            celery = celery_worker(target.env(), name=f"celery-{target.label}")
        specs = bihuan_workloads(meta, server.url)
        result["workload_info"] = specs["_info"]
        serving = (
            f"gunicorn bihuan.wsgi:application --workers {workers} (sync)"
            if args.server == "wsgi"
            else f"uvicorn bihuan.asgi:application --workers {workers}"
        )
        result["layout"] = serving + (
            " + 1 Celery worker, Redis" if target.db == "postgres" else " (embedded mode)"
        )
        result["workloads"] = run_workloads(
            specs,
            names,
            host=server.url,
            label=target.label,
            seconds=args.duration,
            users=args.users,
            create_users=args.create_users,
            server=server,
            database=target.pg_name if target.db == "postgres" else None,
            extra_pids=[celery.pid] if celery else None,
        )
        if (
            args.mixed_seconds
            and target.db == "postgres"
            and target.tickets == max(args.scale_list)
        ):
            spec = mixed_spec(specs, args.mixed_agents, args.mixed_per_day)
            mixed = run_locust(
                spec,
                host=server.url,
                users=args.mixed_agents + 1,
                seconds=args.mixed_seconds,
                label=f"{target.label}-mixed",
            )
            mixed_result: dict[str, Any] = {"requests": mixed}
            mixed_result["memory"] = stack_memory(server, [celery.pid] if celery else [])
            result["mixed"] = mixed_result
            log(f"{target.label} mixed: {json.dumps(mixed)[:400]}")
        result["memory"] = server.memory()
        if target.db == "postgres":
            result["stack_memory"] = stack_memory(server, [celery.pid] if celery else [])
    finally:
        server.stop()
        stop_process(celery)
    result["queries"] = query_counts(target, specs, meta)
    return result


# --- the whole run ---------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load_average_at_start": os.getloadavg(),
    }
    try:
        mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
        info["memory_gb"] = round(int(mem) / 1024 / 1024, 1)
        import psycopg

        with psycopg.connect(f"{PG_BASE}/postgres") as conn:
            info["postgresql"] = conn.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
            info["synchronous_commit"] = conn.execute("SHOW synchronous_commit").fetchone()[0]  # type: ignore[index]
            info["shared_buffers"] = conn.execute("SHOW shared_buffers").fetchone()[0]  # type: ignore[index]
    except Exception as exc:  # the run goes on without these details
        info["error"] = str(exc)
    return info


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Bihuan benchmarks (see bench/README.md)")
    parser.add_argument("--scales", default="10000,100000", help="ticket counts, comma-separated")
    parser.add_argument("--with-1m", action="store_true", help="add the 1,000,000-ticket scale")
    parser.add_argument("--db", choices=["postgres", "sqlite", "both"], default="both")
    parser.add_argument("--duration", type=float, default=4, help="seconds per workload")
    parser.add_argument("--users", type=int, default=4, help="concurrent users, read workloads")
    parser.add_argument("--create-users", type=int, default=10, help="users creating tickets")
    parser.add_argument("--workers", type=int, default=workers_default(), help="ASGI workers")
    parser.add_argument(
        "--peer-workers",
        type=int,
        default=2 * (os.cpu_count() or 1) + 1,
        help="the peer's gunicorn sync workers (2×cores+1)",
    )
    parser.add_argument("--mixed-seconds", type=float, default=60, help="0 to skip")
    parser.add_argument("--mixed-agents", type=int, default=40)
    parser.add_argument("--mixed-per-day", type=int, default=100_000, help="ticket arrivals")
    parser.add_argument("--reference-seconds", type=float, default=4)
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=None,
        help="BIHUAN_DB_CONN_MAX_AGE for the served app (default: the app's own default)",
    )
    peer = parser.add_mutually_exclusive_group()
    peer.add_argument("--peer", dest="peer", action="store_true", default=True)
    peer.add_argument("--no-peer", dest="peer", action="store_false")
    parser.add_argument("--quick", action="store_true", help="smoke run: 2,000 tickets, short")
    parser.add_argument("--peer-only", action="store_true", help="run only the peer's targets")
    parser.add_argument(
        "--server",
        choices=["asgi", "wsgi"],
        default="asgi",
        help="asgi: uvicorn workers (production layout); wsgi: gunicorn sync, for comparison",
    )
    parser.add_argument("--only", default="", help="comma-separated workload names to run")
    args = parser.parse_args(argv)
    if args.quick:
        args.scales = "2000"
        args.duration = 3
        args.workers = 2
        args.mixed_seconds = 0
        args.peer = False
        args.reference_seconds = 1
    scales = [int(s) for s in args.scales.split(",") if s]
    if args.with_1m and 1_000_000 not in scales:
        scales.append(1_000_000)
    args.scale_list = scales
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = RESULTS / f"run-{stamp}.json"
    dbs = ["postgres", "sqlite"] if args.db == "both" else [args.db]
    names = [n for group in GROUPS.values() for n in group]
    if args.quick:
        names = [n for n in names if n in QUICK_WORKLOADS]
    if args.only:
        names = [n for n in names if n in set(args.only.split(","))]
    report: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "arguments": dict(vars(args).items()),
        "machine": machine(),
        "targets": {},
    }
    started = time.perf_counter()
    if "postgres" in dbs and not args.peer_only:
        log("reference: raw insert rate into PostgreSQL")
        try:
            report["reference"] = run_json(
                [
                    "-m",
                    "bench.reference",
                    "--seconds",
                    str(args.reference_seconds),
                    "--connections",
                    f"1,{args.create_users}",
                ],
                Target("postgres", 0).env(),
            )
        except RuntimeError as exc:
            report["reference"] = {"error": str(exc)[-800:]}
        write_json(path, report)
    suffix = "-wsgi" if args.server == "wsgi" else ""
    for db in [] if args.peer_only else dbs:
        for scale in args.scale_list:
            target = Target(db, scale)
            try:
                report["targets"][f"bihuan{suffix}-{target.label}"] = run_bihuan_target(
                    target, args, names
                )
            except Exception as exc:  # report it and go on with the next target
                log(f"{target.label} failed: {exc}")
                report["targets"][f"bihuan{suffix}-{target.label}"] = {"error": str(exc)[-3000:]}
            write_json(path, report)
    if args.peer and "postgres" in dbs:
        from bench import peer

        for scale in args.scale_list:
            label = f"peer-postgres-{scale}"
            try:
                report["targets"][label] = peer.run_peer_target(scale, args, names)
            except Exception as exc:
                log(f"{label} failed: {exc}")
                report["targets"][label] = {"error": str(exc)[-3000:]}
            write_json(path, report)
    report["seconds"] = round(time.perf_counter() - started, 1)
    report["machine"]["load_average_at_end"] = os.getloadavg()
    from bench.summary import render

    report["summary_markdown"] = render(report)
    write_json(path, report)
    write_json(RESULTS / "latest.json", report)
    print(report["summary_markdown"])
    print(f"\nresults: {path}  ({report['seconds']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
