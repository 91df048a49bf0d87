"""Background work: reaction lag, the drain of a pile of due items, the cost of an idle tick.

    .venv/bin/python bench/background_work.py [--tickets 100000] [--due 10000] [--creations 300]

On a PostgreSQL target (``bench.generate`` data set of ``--tickets`` tickets, Redis for the
wake-ups), with real ``bihuan worker`` processes (``--db sqlite``: the embedded mode's SQLite
file, one runner process, no broker):

1. *Reaction lag* with 1 and 2 workers: ``--creations`` tickets created through the services
   by 4 threads; lag = end of the triage reaction − the ``ticket.created`` event (p50/p95/max).
2. *Drain*: ``--due`` items due at the same instant (the morning after a holiday), each
   recording an event on a ticket as an SLA warning would; time to drain with 1 and 2 workers,
   lag (end − due) p50/p95/max, and the API's inbox latency while it drains (one web server).
3. *Idle tick*: one runner pass with nothing to do (mean over 200 passes), and the plans of
   the claim queries.
4. *SLA* (``--sla N``; ``--sla-only`` runs just this one): N urgent phone tickets created
   through the tickets services at one frozen instant 7 hours ago (time-machine), their
   clocks tracked by the sla app's own consumer under the seeded "紧急电话" policy (24/7,
   first response 10 min, resolution 8 h, warning at 75 %). Each ticket's first response is
   then past its breach and its resolution past its warning (not its breach): its warning
   and breach due work (the first response's warning too, which the breach makes moot) is
   made claimable at one instant 30 seconds ahead (the workers start meanwhile), and drained
   by 1 and 2 workers (``--db sqlite``: one embedded-mode runner).
   Reported: drain time, items/s, lag (end − that instant) p50/p95/max, and the events: one
   ``sla.breached`` per first-response clock and one ``sla.warning`` per resolution clock,
   none twice. Its own data set: PostgreSQL database ``bench_sla_<tickets>``, SQLite folder
   ``bench/results/data/sla-sqlite-<tickets>``.

Results: ``bench/results/background-<time>.json`` and a table on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import DATA, PG_BASE, PYTHON, RESULTS, ROOT, Target, percentile, run_json


def _setup() -> None:
    import django

    django.setup()


def _register_bench_kind() -> None:
    from bihuan.core.due_work import due_work
    from bihuan.core.events import record_event
    from bihuan.core.models import DueItem
    from bihuan.tickets.models import Ticket

    @due_work("bench.warn")
    def warn(item: DueItem) -> None:
        ticket = Ticket.objects.only("pk", "customer_id").get(pk=item.data["ticket"])
        record_event(
            "bench.warned",
            ticket,
            ticket_id=ticket.pk,
            customer_id=ticket.customer_id,
            data={"item": item.pk},
        )


# --- subcommands run in the target's environment -------------------------------------------


def cmd_worker() -> None:
    _setup()
    _register_bench_kind()
    from django.core.management import call_command

    call_command("worker")


def cmd_create(count: int, threads: int) -> None:
    _setup()
    from django.db import connection

    from bihuan.customers.services import ContactDetails
    from bihuan.tickets import services
    from bihuan.triage.services import install_default_rules

    install_default_rules()
    texts = [
        ("申请退款", "收到的商品有质量问题，我要申请退款，请尽快处理"),
        ("快递一直没到", "物流显示已经签收，但是我根本没收到包裹，非常生气"),
        ("Invoice request", "Please send me the invoice for order 20231104, thank you"),
        ("账号无法登录", "手机号登录一直提示验证码错误，着急用"),
    ]
    started = datetime.now(UTC)

    def create(offset: int) -> None:
        for number in range(offset, count, threads):
            subject, body = texts[number % len(texts)]
            services.create_ticket(
                services.NewTicket(
                    subject=subject,
                    body=body,
                    contact=ContactDetails(name="压测", phone=f"139{number:08d}"),
                ),
                actor=None,
            )
        connection.close()

    workers = [threading.Thread(target=create, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    print(json.dumps({"started": started.isoformat()}))


def cmd_schedule(count: int) -> None:
    _setup()
    from django.db import transaction
    from django.utils import timezone

    from bihuan.core import wakeups
    from bihuan.core.models import DueItem
    from bihuan.tickets.choices import OPEN_STATUSES
    from bihuan.tickets.models import Ticket

    now = timezone.now()
    ids = list(Ticket.objects.filter(status__in=OPEN_STATUSES).values_list("pk", flat=True)[:count])
    ids = (ids * (count // max(len(ids), 1) + 1))[:count]
    with transaction.atomic():
        DueItem.objects.bulk_create(
            (
                DueItem(
                    kind="bench.warn",
                    key=f"bench:{n}",
                    due_at=now,
                    available_at=now,
                    data={"ticket": pk},
                    created_at=now,
                )
                for n, pk in enumerate(ids)
            ),
            batch_size=2000,
        )
        wakeups.wake_after_commit()
    time.sleep(0.5)  # the wake-up is sent by a background thread
    print(json.dumps({"due_at": now.isoformat(), "count": len(ids)}))


def cmd_measure(kind: str, since: str) -> None:
    """Lags of the reactions (consumer) or due items (kind) finished since ``since``."""
    _setup()
    from bihuan.core.models import DueItem, Reaction, WorkState

    moment = datetime.fromisoformat(since)
    if kind == "reactions":
        reactions = Reaction.objects.filter(consumer="triage.classify", event_at__gte=moment)
        pending = reactions.exclude(state=WorkState.DONE).count()
        found = list(reactions.filter(state=WorkState.DONE).values_list("event_at", "finished_at"))
    else:
        items = DueItem.objects.filter(kind="bench.warn", due_at__gte=moment)
        pending = items.exclude(state=WorkState.DONE).count()
        found = list(items.filter(state=WorkState.DONE).values_list("due_at", "finished_at"))
    # A done row always has its finished_at.
    pairs = [(start, end) for start, end in found if end is not None]
    lags = [(end - start).total_seconds() for start, end in pairs]
    last = max((end for _start, end in pairs), default=None)
    print(
        json.dumps(
            {
                "pending": pending,
                "done": len(lags),
                "p50": percentile(lags, 50),
                "p95": percentile(lags, 95),
                "max": max(lags, default=float("nan")),
                "last_finished": last.isoformat() if last else None,
            }
        )
    )


def cmd_idle() -> None:
    _setup()
    from django.db import connection

    from bihuan.core.models import DueItem, Reaction, WorkState
    from bihuan.core.runner import Runner

    _register_bench_kind()
    runner = Runner("bench-idle")
    runner.run_until_idle()
    started = time.perf_counter()
    passes = 200
    for _ in range(passes):
        runner.run_once()
        runner.seconds_until_next()
    elapsed = (time.perf_counter() - started) / passes
    now = datetime.now(UTC)
    due_plan = (
        DueItem.objects.filter(state=WorkState.PENDING, available_at__lte=now)
        .order_by("available_at", "id")[:100]
        .explain()
    )
    reaction_plan = (
        Reaction.objects.filter(
            consumer="triage.classify", state=WorkState.PENDING, available_at__lte=now
        )
        .order_by("available_at", "id")[:200]
        .explain()
    )
    print(
        json.dumps(
            {
                "idle_pass_ms": round(elapsed * 1000, 2),
                "vendor": connection.vendor,
                "due_plan": due_plan,
                "reaction_plan": reaction_plan,
            }
        )
    )


# --- the SLA workload ----------------------------------------------------------------------

SLA_HOURS_AGO = 7  # first response (10 min) long breached, resolution (8 h) past its 75 % only
SLA_LEAD_SECONDS = 30  # the workers start (Django, jieba, broker) before the pile falls due


def cmd_sla_setup(count: int) -> None:
    """N urgent phone tickets created 7 h ago with their clocks, due work aligned ahead."""
    _setup()
    from datetime import timedelta

    import time_machine
    from django.db import connection
    from django.utils import timezone

    from bihuan.core.consumers import registered_consumers
    from bihuan.core.models import DueItem, WorkState
    from bihuan.core.runner import Runner
    from bihuan.customers.services import ContactDetails
    from bihuan.sla.services import BREACH, WARN
    from bihuan.tickets import services
    from bihuan.tickets.choices import Channel, Priority, TicketType
    from bihuan.triage.services import install_default_rules

    install_default_rules()
    setup_started = timezone.now()
    created_at = (setup_started - timedelta(hours=SLA_HOURS_AGO)).replace(microsecond=0)
    ids: list[int] = []
    # tick=False: every ticket (and every clock) starts at the same instant.
    with time_machine.travel(created_at, tick=False):
        for number in range(count):
            ticket = services.create_ticket(
                services.NewTicket(
                    subject="电话：系统无法下单",
                    body="客户来电：下单页面一直报错，无法付款，非常着急",
                    channel=Channel.PHONE,
                    kind=TicketType.INQUIRY,
                    priority=Priority.URGENT,
                    contact=ContactDetails(name="压测", phone=f"137{number:08d}"),
                    explicit_fields=("channel", "kind", "priority"),
                ),
                actor=None,
            )
            ids.append(ticket.pk)
    created_seconds = (timezone.now() - setup_started).total_seconds()
    # The reactions of those tickets (triage, routing, the sla clocks) as a running system
    # would have handled them when they arrived; no due work is run here.
    runner = Runner("bench-sla-setup")
    reactions = 0
    while True:
        handled = sum(runner.run_reactions(c) for c in registered_consumers())
        reactions += handled
        if not handled:
            break
    # The pile a runner finds after being down: every warning and breach that is due,
    # claimable at one instant a few seconds ahead (the workers start meanwhile).
    aligned_at = timezone.now() + timedelta(seconds=SLA_LEAD_SECONDS)
    aligned = DueItem.objects.filter(
        kind__in=(WARN, BREACH),
        state=WorkState.PENDING,
        created_at__gte=setup_started,
        due_at__lte=aligned_at,
    ).update(available_at=aligned_at)
    connection.close()
    print(
        json.dumps(
            {
                "tickets": len(ids),
                "first_ticket": min(ids),
                "last_ticket": max(ids),
                "created_at": created_at.isoformat(),
                "setup_started": setup_started.isoformat(),
                "aligned_at": aligned_at.isoformat(),
                "items": aligned,
                "reactions": reactions,
                "create_seconds": round(created_seconds, 1),
            }
        )
    )


def cmd_sla_measure(setup_json: str) -> None:
    """Progress of the aligned SLA items and the exactly-once check of their events."""
    _setup()
    from collections import Counter

    from bihuan.core.models import DueItem, Event, WorkState
    from bihuan.sla.choices import Metric
    from bihuan.sla.models import SlaClock
    from bihuan.sla.services import BREACH, WARN

    setup = json.loads(setup_json)
    aligned_at = datetime.fromisoformat(setup["aligned_at"])
    tickets = (setup["first_ticket"], setup["last_ticket"])
    rows = DueItem.objects.filter(
        kind__in=(WARN, BREACH),
        created_at__gte=datetime.fromisoformat(setup["setup_started"]),
        due_at__lte=aligned_at,
    )
    pending = rows.filter(state=WorkState.PENDING).count()
    states = Counter(rows.values_list("state", flat=True))
    finished = [
        end
        for end in rows.filter(state=WorkState.DONE).values_list("finished_at", flat=True)
        if end is not None
    ]
    lags = [(end - aligned_at).total_seconds() for end in finished]
    last = max(finished, default=None)
    events = Counter(
        (verb, data.get("clock"))
        for verb, data in Event.objects.filter(
            verb__in=("sla.warning", "sla.breached", "sla.escalated"),
            ticket_id__range=tickets,
        ).values_list("verb", "data")
    )
    clocks = dict(SlaClock.objects.filter(ticket__pk__range=tickets).values_list("pk", "metric"))
    first_response = {pk for pk, metric in clocks.items() if metric == Metric.FIRST_RESPONSE}
    resolution = {pk for pk, metric in clocks.items() if metric == Metric.RESOLUTION}
    breached = {clock for (verb, clock), _n in events.items() if verb == "sla.breached"}
    warned = {clock for (verb, clock), _n in events.items() if verb == "sla.warning"}
    print(
        json.dumps(
            {
                "pending": pending,
                "done": states.get(WorkState.DONE, 0),
                "cancelled": states.get(WorkState.CANCELLED, 0),
                "other_states": {
                    k: v
                    for k, v in states.items()
                    if k not in (WorkState.DONE, WorkState.CANCELLED, WorkState.PENDING)
                },
                "p50": percentile(lags, 50),
                "p95": percentile(lags, 95),
                "max": max(lags, default=float("nan")),
                # The first item's lag: small when the workers were up at the aligned instant.
                "min": min(lags, default=float("nan")),
                "last_finished": last.isoformat() if last else None,
                "breached_events": sum(
                    n for (verb, _c), n in events.items() if verb == "sla.breached"
                ),
                "warning_events": sum(
                    n for (verb, _c), n in events.items() if verb == "sla.warning"
                ),
                "escalated_events": sum(
                    n for (verb, _c), n in events.items() if verb == "sla.escalated"
                ),
                "fired_twice": sum(1 for n in events.values() if n > 1),
                "every_first_response_breached": breached == first_response,
                "every_resolution_warned": warned == resolution,
                "clocks": len(clocks),
            }
        )
    )


def _sla_target(db: str, tickets: int) -> dict[str, str]:
    """The SLA workload's own data set (never the other sections' databases)."""
    target = Target(db, tickets)
    env = target.env()
    env["BIHUAN_LOG_LEVEL"] = "ERROR"
    if db == "postgres":
        env["DATABASE_URL"] = f"{PG_BASE}/bench_sla_{tickets}"
    else:
        env["BIHUAN_DATA_DIR"] = str(DATA / f"sla-sqlite-{tickets}")
    return env


def _run_sla(db: str, tickets: int, count: int) -> dict[str, Any]:
    env = _sla_target(db, tickets)
    run_json(["-m", "bench.generate", "--tickets", str(tickets)], env, timeout=3600)
    (RESULTS / "logs").mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {}
    for workers in (1, 2) if db == "postgres" else (1,):
        setup = run_json(_sub("sla-setup", str(count)), env, timeout=3600)
        processes = _start_workers(env, workers)
        try:
            deadline = time.monotonic() + 1800
            while True:
                time.sleep(1)
                result: dict[str, Any] = run_json(_sub("sla-measure", json.dumps(setup)), env)
                if result["pending"] == 0 or time.monotonic() > deadline:
                    break
        finally:
            _stop(processes)
        aligned = datetime.fromisoformat(setup["aligned_at"])
        if result["last_finished"]:
            finished = datetime.fromisoformat(result["last_finished"])
            result["drain_seconds"] = round((finished - aligned).total_seconds(), 2)
            # Items handled (done); the cancelled ones are first-response warnings that their
            # breach cancelled before a worker took them.
            result["items_per_second"] = round(
                result["done"] / max(result["drain_seconds"], 0.001), 1
            )
        result["setup"] = setup
        report[f"sla_{workers}w"] = result
        print(json.dumps({f"sla_{workers}w": result}, default=str), file=sys.stderr, flush=True)
    return report


# --- the driver ----------------------------------------------------------------------------


def _sub(*args: str) -> list[str]:
    return [str(Path(__file__).resolve()), *args]


def _start_workers(env: dict[str, str], count: int) -> list[Any]:
    import subprocess

    log = (RESULTS / "logs" / "background-workers.log").open("ab")
    return [
        subprocess.Popen(
            [PYTHON, *_sub("worker")],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        for _ in range(count)
    ]


def _stop(processes: list[Any]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(timeout=30)


def _wait_done(env: dict[str, str], kind: str, since: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        result: dict[str, Any] = run_json(_sub("measure", kind, since), env)
        if (result["pending"] == 0 and result["done"] > 0) or time.monotonic() > deadline:
            return result
        time.sleep(1)


def _web_latency(base: str, token: str, stop: threading.Event, out: list[float]) -> None:
    import httpx

    with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
        while not stop.is_set():
            started = time.perf_counter()
            client.get(f"{base}/api/v1/tickets?view=open&limit=25")
            out.append((time.perf_counter() - started) * 1000)
            time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--creations", type=int, default=300)
    parser.add_argument(
        "--db",
        choices=["postgres", "sqlite"],
        default="postgres",
        help="sqlite: the embedded mode's database, one runner (no broker)",
    )
    parser.add_argument(
        "--sla", type=int, default=0, help="N tickets with their SLA clocks to drain (0: none)"
    )
    parser.add_argument("--sla-only", action="store_true", help="run only the SLA workload")
    parser.add_argument(
        "--sla-tickets", type=int, default=2000, help="size of the SLA workload's own data set"
    )
    args = parser.parse_args()
    if args.sla_only:
        sla = {
            "db": args.db,
            "sla": args.sla,
            "at": time.time(),
            "load_average": list(os.getloadavg()),
            **_run_sla(args.db, args.sla_tickets, args.sla),
        }
        _write_report("background-sla", sla)
        return
    target = Target(args.db, args.tickets)
    runners = (1, 2) if args.db == "postgres" else (1,)
    env = target.env()
    env["BIHUAN_LOG_LEVEL"] = "ERROR"
    meta = run_json(["-m", "bench.generate", "--tickets", str(args.tickets)], env, timeout=3600)
    (RESULTS / "logs").mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {
        "db": args.db,
        "tickets": args.tickets,
        "due": args.due,
        "at": time.time(),
    }

    for workers in runners:
        processes = _start_workers(env, workers)
        time.sleep(5)
        since = datetime.now(UTC).isoformat()
        run_json(_sub("create", str(args.creations), "4"), env, timeout=1800)
        report[f"reaction_lag_{workers}w"] = _wait_done(env, "reactions", since, 600)
        _stop(processes)

    from bench.server import bihuan_server

    for workers in runners:
        with bihuan_server(env, workers=2, name=f"background-web-{workers}") as server:
            processes = _start_workers(env, workers)
            time.sleep(5)
            latencies: list[float] = []
            stop = threading.Event()
            probe = threading.Thread(
                target=_web_latency,
                args=(server.url, list(meta["org"]["tokens"].values())[-1], stop, latencies),
            )
            probe.start()
            time.sleep(2)
            scheduled = run_json(_sub("schedule", str(args.due)), env)
            started = datetime.fromisoformat(scheduled["due_at"])
            result = _wait_done(env, "due", scheduled["due_at"], 1800)
            stop.set()
            probe.join()
            _stop(processes)
            finished = datetime.fromisoformat(result["last_finished"])
            result["drain_seconds"] = round((finished - started).total_seconds(), 2)
            result["web_ms_p50"] = percentile(latencies, 50)
            result["web_ms_p95"] = percentile(latencies, 95)
            report[f"drain_{workers}w"] = result

    report["idle"] = run_json(_sub("idle"), env)
    if args.sla:
        report.update(_run_sla(args.db, args.sla_tickets, args.sla))
    report["load_average"] = list(os.getloadavg())
    _write_report("background", report)


def _write_report(name: str, report: dict[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(report, indent=2, default=str))
    print(json.dumps(report, indent=2, default=str))
    print(f"written to {path}")


if __name__ == "__main__":
    commands = {"worker", "create", "schedule", "measure", "idle", "sla-setup", "sla-measure"}
    if len(sys.argv) > 1 and sys.argv[1] in commands:
        command, *rest = sys.argv[1:]
        if command == "sla-setup":
            cmd_sla_setup(int(rest[0]))
        elif command == "sla-measure":
            cmd_sla_measure(rest[0])
        elif command == "worker":
            cmd_worker()
        elif command == "create":
            cmd_create(int(rest[0]), int(rest[1]))
        elif command == "schedule":
            cmd_schedule(int(rest[0]))
        elif command == "measure":
            cmd_measure(rest[0], rest[1])
        else:
            cmd_idle()
    else:
        main()
