"""Chat widget under a realistic load, in the production layout: ``uvicorn --workers 3`` on
PostgreSQL with the Redis channel layer, and one ``bihuan worker``.

1. Paced chat: ``--visitors`` (200) widget connections stay open. First every visitor opens
   its chat (its first message: a new ticket, assigned), spread over ``--open-seconds`` (40),
   reported apart as "open". Then each visitor writes a message every ``mean × (0.5…1.5)``
   seconds (random, seeded with ``--seed``: a mean of 10 s is one every 5–15 s, as people
   chat), without waiting for the previous answer (an open loop: the offered rate does not
   drop when the server slows down). ``--agent-pages`` (2) agent pages (``/ws/live/``,
   signed in) receive the event of every message. The offered rate is stepped (``--rates``,
   messages per second, each for ``--duration`` seconds); per step: the offered and achieved
   rate, messages acknowledged (stored on the ticket, exactly once) out of sent, p50/p95/p99
   of the acknowledgement (send → ack) and of the delivery to the agent side (send → the
   agent page's event frame). The saturation point is the highest step whose p95 ack stays
   below 1 s with every message acknowledged; stepping stops after the first step above it.
2. Fan-out (``--fanout-messages``, 20; 0 skips it): ``--agents`` (40) agent pages connected
   to the live workspace; one visitor writes one message at a time; for each, the delay until
   each agent page receives the event frame carrying it: p50/p95/max over every
   (message, page).

    .venv/bin/python -m bench.chat_load [--visitors 200] [--rates 5,10,15,20,25,30] [--duration 30]

A fresh database ``bench_bihuan_chat`` is made (dropped first). Results in
``bench/results/chat_load.json``; bench/README.md (“Chat widget”) has the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import time
from typing import Any

from bench.common import DATA, PG_BASE, PYTHON, REDIS_URL, RESULTS, ROOT, SECRET, log, percentile
from bench.server import (
    Server,
    bihuan_server,
    celery_worker,
    cpu_seconds,
    process_tree,
    stop_process,
)

DB_NAME = "bench_bihuan_chat"
GRACE_SECONDS = 15.0  # how long a step waits for its last acknowledgements
ORIGIN = "https://shop.bench.example"


def _env() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "BIHUAN_DATA_DIR", "BIHUAN_DEBUG"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="bihuan.settings",
        BIHUAN_DATA_DIR=str(DATA / "postgres"),
        BIHUAN_SECRET_KEY=SECRET,
        BIHUAN_DEBUG="false",
        BIHUAN_LOG_LEVEL="ERROR",
        BIHUAN_CHAT_MESSAGES_PER_MINUTE="1000",
        DATABASE_URL=f"{PG_BASE}/{DB_NAME}",
        REDIS_URL=REDIS_URL,
        PYTHONPATH=str(ROOT),
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


SETUP = """
import json
from django.test import Client
from bihuan.accounts.choices import Availability, Role
from bihuan.accounts.models import Department, Team, User
from bihuan.channels.chat import services
n = {agents}
department = Department.objects.create(name="客服部")
team = Team.objects.create(name="在线客服组", department=department)
admin = User.objects.create_user("bench_admin", password=None, role=Role.ADMIN)
agents = []
for i in range(n):
    agents.append(User.objects.create_user(
        f"bench_chat_{{i}}", password=None, role=Role.AGENT, department=department,
        availability=Availability.ONLINE, max_concurrent_chats=20, display_name=f"客服{{i}}"))
team.members.add(*agents)
widget = services.create_widget(services.WidgetFields(
    name="压测", allowed_origins="{origin}", team=team, max_chats_per_agent=20), actor=admin)
sessions = []
for agent in agents:
    client = Client()
    client.force_login(agent)
    sessions.append(client.cookies["sessionid"].value)
client = Client()
client.force_login(admin)
print(json.dumps({{"key": widget.public_key, "sessions": sessions,
                  "admin_session": client.cookies["sessionid"].value}}))
"""


def _prepare(env: dict[str, str], agents: int) -> dict[str, Any]:
    base_env = dict(env, DATABASE_URL=f"{PG_BASE}/postgres")
    drop = f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)"
    for sql in (drop, f"CREATE DATABASE {DB_NAME}"):
        subprocess.run(
            [PYTHON, "-c", f"import psycopg; c=psycopg.connect('{PG_BASE}/postgres', "
             f"autocommit=True); c.execute('{sql}')"],
            env=base_env, check=True, cwd=ROOT,
        )  # fmt: skip
    if not (DATA / "postgres" / "static" / "staticfiles.json").exists():
        # Production settings serve hashed static files (the login page is the ready check).
        subprocess.run(
            [PYTHON, "-m", "django", "collectstatic", "--no-input", "-v", "0"],
            env=dict(env, DJANGO_SETTINGS_MODULE="bench.collect_settings"), check=True, cwd=ROOT,
        )  # fmt: skip
    log("chat_load: migrating a fresh database")
    subprocess.run([PYTHON, "-m", "bihuan", "migrate", "--no-input", "-v", "0"], env=env,
                   check=True, cwd=ROOT)  # fmt: skip
    out = subprocess.run(
        [PYTHON, "-m", "bihuan", "shell", "-v", "0", "-c",
         SETUP.format(agents=agents, origin=ORIGIN)],
        env=env, check=True, cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


class _Run:
    """What the paced phase saw: send and ack times per client id (``s<step>-v<n>-<i>``,
    ``open-v<n>`` for a chat's first message), the agent side's frames per event id."""

    def __init__(self) -> None:
        self.sent: dict[str, float] = {}
        self.acked: dict[str, float] = {}
        self.message_of: dict[str, int] = {}  # client id → message id (from the ack)
        self.heard: dict[int, float] = {}  # event id → first time an agent page had it
        self.errors: list[str] = []


async def _read_visitor(socket: Any, run: _Run) -> None:
    async for raw in socket:
        frame = json.loads(raw)
        client_id = frame.get("client_id")
        if frame.get("type") == "ack" and client_id in run.sent:
            run.acked.setdefault(client_id, time.perf_counter())
            run.message_of[client_id] = int(frame["entry"]["id"])
        elif frame.get("type") == "error":
            run.errors.append(str(frame.get("code")))


async def _send_at(socket: Any, run: _Run, client_id: str, at: float, body: str) -> None:
    await asyncio.sleep(max(0.0, at - time.perf_counter()))
    run.sent[client_id] = time.perf_counter()
    await socket.send(json.dumps({"client_id": client_id, "type": "message", "body": body}))


async def _agent_page(url: str, session: str, origin: str, run: _Run, stop: asyncio.Event) -> None:
    from websockets.asyncio.client import connect

    async with connect(
        url,
        origin=origin,  # type: ignore[arg-type]
        additional_headers={"Cookie": f"sessionid={session}"},
        open_timeout=60,
    ) as page:
        while not stop.is_set():
            try:
                raw = await asyncio.wait_for(page.recv(), 0.5)
            except TimeoutError:
                continue
            now = time.perf_counter()
            frame = json.loads(raw)
            if frame.get("type") == "events":
                for event in frame.get("events", []):
                    run.heard.setdefault(int(event["id"]), now)


def _schedule(rng: random.Random, mean: float, duration: float) -> list[float]:
    """Send instants in [0, duration): a random start, then mean × (0.5…1.5) apart."""
    at = rng.uniform(0, mean)
    times = []
    while at < duration:
        times.append(at)
        at += rng.uniform(0.5 * mean, 1.5 * mean)
    return times


async def _settle(run: _Run, client_ids: list[str]) -> None:
    """Wait for the stragglers' acknowledgements (at most ``GRACE_SECONDS``)."""
    deadline = time.perf_counter() + GRACE_SECONDS
    while time.perf_counter() < deadline and any(c not in run.acked for c in client_ids):
        await asyncio.sleep(0.2)
    await asyncio.sleep(1.0)  # the agent pages' last frames


def _figures(run: _Run, client_ids: list[str], seconds: float) -> dict[str, Any]:
    acked = [c for c in client_ids if c in run.acked]
    return {
        "sent": len(client_ids),
        "achieved_rate": round(len(client_ids) / seconds, 1),
        "acknowledged": len(acked),
        "ack_ms": _summary([run.acked[c] - run.sent[c] for c in acked]),
    }


class _Cpu:
    """CPU seconds of the server's processes (the uvicorn tree, the ``bihuan worker``) spent
    since the last reading, per message: less sensitive to a busy shared machine than the
    latencies."""

    def __init__(self, server_pid: int, worker_pid: int) -> None:
        self.server_pid, self.worker_pid = server_pid, worker_pid
        self.last = self._read()

    def _read(self) -> tuple[float, float]:
        return cpu_seconds(process_tree(self.server_pid)), cpu_seconds([self.worker_pid])

    def per_message(self, messages: int) -> dict[str, float]:
        now = self._read()
        web, worker = (now[0] - self.last[0], now[1] - self.last[1])
        self.last = now
        n = max(messages, 1)
        return {
            "asgi_cpu_ms": round(web / n * 1000, 1),
            "worker_cpu_ms": round(worker / n * 1000, 1),
        }


async def _paced_async(
    env: dict[str, str], base: str, prepared: dict[str, Any], args: argparse.Namespace,
    cpu: _Cpu,
) -> dict[str, Any]:  # fmt: skip
    from websockets.asyncio.client import connect

    ws_base = base.replace("http://", "ws://")
    run = _Run()
    rng = random.Random(args.seed)
    stop = asyncio.Event()
    pages = [
        asyncio.create_task(
            _agent_page(f"{ws_base}/ws/live/", prepared["admin_session"], base, run, stop)
        )
        for _ in range(args.agent_pages)
    ]
    url = f"{ws_base}/ws/chat/{prepared['key']}/"
    sockets = []
    for _ in range(args.visitors):
        socket = await connect(url, origin=ORIGIN, open_timeout=60)  # type: ignore[arg-type]
        await socket.send(json.dumps({"type": "hello", "token": ""}))
        welcome = json.loads(await socket.recv())
        assert welcome["type"] == "welcome", welcome
        sockets.append(socket)
    readers = [asyncio.create_task(_read_visitor(s, run)) for s in sockets]
    report: dict[str, Any] = {
        "visitors": args.visitors,
        "seconds_per_step": args.duration,
        "agent_pages": args.agent_pages,
        "seed": args.seed,
    }
    try:
        # Every visitor opens their chat (a new ticket, assigned), spread over open-seconds.
        log(f"chat_load: {args.visitors} chats opened over {args.open_seconds:g} s")
        cpu.per_message(0)  # from here on
        start = time.perf_counter() + 0.5
        ids = [f"open-v{n}" for n in range(args.visitors)]
        await asyncio.gather(
            *(
                _send_at(s, run, ids[n], start + rng.uniform(0, args.open_seconds),
                         f"你好，我想问一下订单{n:04d}的物流")
                for n, s in enumerate(sockets)
            )
        )  # fmt: skip
        await _settle(run, ids)
        opening = _figures(run, ids, args.open_seconds)
        opening.update(cpu.per_message(len(ids)))
        opening.update(await asyncio.to_thread(_delivery, env, run, ids))
        report["opening"] = opening
        log(f"chat_load: opening {json.dumps(opening, ensure_ascii=False)}")
        steps = []
        saturation: float | None = None
        for step, rate in enumerate(float(r) for r in args.rates.split(",")):
            mean = args.visitors / rate
            log(f"chat_load: {args.visitors} visitors at {rate:g} msg/s for {args.duration:g} s")
            cpu.per_message(0)
            start = time.perf_counter() + 0.5
            sends = []
            for n, socket in enumerate(sockets):
                for i, at in enumerate(_schedule(rng, mean, args.duration)):
                    body = f"第{i}条：订单{n:04d}什么时候发货？"
                    sends.append(_send_at(socket, run, f"s{step}-v{n}-{i}", start + at, body))
            await asyncio.gather(*sends)
            ids = [c for c in run.sent if c.startswith(f"s{step}-")]
            await _settle(run, ids)
            figures = {"offered_rate": rate, "mean_interval_s": round(mean, 2)}
            figures.update(_figures(run, ids, args.duration))
            figures.update(cpu.per_message(len(ids)))
            figures.update(await asyncio.to_thread(_delivery, env, run, ids))
            figures["load_average"] = [round(x, 2) for x in os.getloadavg()]
            steps.append(figures)
            log(f"chat_load: {json.dumps(figures, ensure_ascii=False)}")
            if figures["acknowledged"] < figures["sent"] or figures["ack_ms"]["p95"] >= 1000:
                break
            saturation = rate
        report["steps"] = steps
        report["saturation_rate"] = saturation
        report["errors"] = len(run.errors)
        report["error_examples"] = sorted(set(run.errors))[:5]
    finally:
        stop.set()
        for task in readers:
            task.cancel()
        for socket in sockets:
            await socket.close()
        await asyncio.gather(*pages, *readers, return_exceptions=True)
    return report


DELIVERY_LOOKUP = """
import json, sys
from bihuan.channels.chat.models import ChatMessage
from bihuan.core.models import Event
ids = json.loads(sys.stdin.read())
rows = list(ChatMessage.objects.filter(message_id__in=ids).values_list("message_id", "ticket_id"))
tickets = {t for _m, t in rows}
verbs = ("ticket.created", "ticket.message_added")
events = Event.objects.filter(ticket_id__in=tickets, verb__in=verbs)
first = {}
by_message = {}
for event_id, verb, ticket_id, data in events.values_list("id", "verb", "ticket_id", "data"):
    if verb == "ticket.created":
        first[ticket_id] = event_id
    elif isinstance(data, dict) and data.get("kind") == "customer":
        by_message[data.get("message")] = event_id
firsts = {}
for message_id, ticket_id in sorted(rows):
    firsts.setdefault(ticket_id, message_id)
answer = {}
for message_id, ticket_id in rows:
    event_id = by_message.get(message_id)
    if event_id is None and firsts[ticket_id] == message_id:
        event_id = first.get(ticket_id)  # a chat's first message: its ticket.created
    if event_id is not None:
        answer[message_id] = event_id
print(json.dumps(answer))
"""


def _delivery(env: dict[str, str], run: _Run, client_ids: list[str]) -> dict[str, Any]:
    """Send → the agent page's frame: the event of each acknowledged message, read from the
    database afterwards (a message's event id is not in the frames the visitor gets)."""
    message_of = {c: run.message_of[c] for c in client_ids if c in run.message_of}
    out = subprocess.run(
        [PYTHON, "-m", "bihuan", "shell", "-v", "0", "-c", DELIVERY_LOOKUP],
        input=json.dumps(sorted(set(message_of.values()))), env=env, check=True, cwd=ROOT,
        capture_output=True, text=True,
    )  # fmt: skip
    event_of = {int(k): v for k, v in json.loads(out.stdout.strip().splitlines()[-1]).items()}
    delays = []
    missing = 0
    for client_id, message_id in message_of.items():
        event_id = event_of.get(message_id)
        if event_id is None or event_id not in run.heard:
            missing += 1
            continue
        delays.append(run.heard[event_id] - run.sent[client_id])
    return {"delivered": len(delays), "not_heard": missing, "delivery_ms": _summary(delays)}


def _summary(values: list[float]) -> dict[str, float]:
    ms = [v * 1000 for v in values]
    return {
        "p50": round(percentile(ms, 50), 1),
        "p95": round(percentile(ms, 95), 1),
        "p99": round(percentile(ms, 99), 1),
        "max": round(max(ms), 1) if ms else float("nan"),
    }


def _paced(
    env: dict[str, str], server: Server, worker_pid: int, prepared: dict[str, Any],
    args: argparse.Namespace,
) -> dict[str, Any]:  # fmt: skip
    assert server.proc is not None
    cpu = _Cpu(server.proc.pid, worker_pid)
    return asyncio.run(_paced_async(env, server.url, prepared, args, cpu))


async def _fanout(base: str, key: str, sessions: list[str], messages: int) -> dict[str, Any]:
    from websockets.asyncio.client import connect

    ws_base = base.replace("http://", "ws://")
    pages = []
    for session in sessions:
        pages.append(
            await connect(
                f"{ws_base}/ws/live/",
                origin=base,  # type: ignore[arg-type]
                additional_headers={"Cookie": f"sessionid={session}"},
                open_timeout=60,
            )
        )
    for page in pages:  # the first frame: the catch-up from "now"
        with _suppress():
            await asyncio.wait_for(page.recv(), 2)
    delays: list[float] = []
    missing = 0
    async with connect(f"{ws_base}/ws/chat/{key}/", origin=ORIGIN) as visitor:  # type: ignore[arg-type]
        await visitor.send(json.dumps({"type": "hello", "token": ""}))
        await visitor.recv()
        for number in range(messages):
            await asyncio.sleep(0.3)
            client_id = f"fan-{number}"
            started = time.perf_counter()
            await visitor.send(
                json.dumps({"client_id": client_id, "type": "message", "body": f"扇出{number}"})
            )

            async def heard(page: Any, started: float = started) -> float | None:
                deadline = started + 10
                while time.perf_counter() < deadline:
                    try:
                        frame = json.loads(
                            await asyncio.wait_for(page.recv(), deadline - time.perf_counter())
                        )
                    except TimeoutError:
                        return None
                    if frame.get("type") == "events" and any(
                        e.get("verb") in ("ticket.message_added", "ticket.created")
                        for e in frame.get("events", [])
                    ):
                        return time.perf_counter() - started
                return None

            results = await asyncio.gather(*(heard(page) for page in pages))
            delays.extend(r for r in results if r is not None)
            missing += sum(1 for r in results if r is None)
            await visitor.recv()  # the ack
    for page in pages:
        await page.close()
    return {
        "agent_pages": len(pages),
        "messages": messages,
        "deliveries": len(delays),
        "missing": missing,
        "delay_ms": _summary(delays),
    }


class _suppress:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> bool:
        return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--visitors", type=int, default=200)
    parser.add_argument("--rates", default="5,10,15,20,25,30,40,60", help="msg/s, one step each")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per step")
    parser.add_argument(
        "--open-seconds", type=float, default=40.0, help="every visitor's first message within"
    )
    parser.add_argument("--agent-pages", type=int, default=2)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--agents", type=int, default=40)
    parser.add_argument("--fanout-messages", type=int, default=20)
    parser.add_argument("--workers", type=int, default=3)
    args = parser.parse_args()
    env = _env()
    prepared = _prepare(env, args.agents)
    report: dict[str, Any] = {"layout": f"uvicorn --workers {args.workers}, PostgreSQL, Redis"}
    worker = celery_worker(env, name="chat-load-worker")
    try:
        with bihuan_server(env, workers=args.workers, name="chat-load") as server:
            report["paced"] = _paced(env, server, worker.pid, prepared, args)
            report["memory_after_paced"] = server.memory()
            _save(report)
            if args.fanout_messages:
                log(f"chat_load: fan-out to {args.agents} agent pages")
                report["fanout"] = asyncio.run(
                    _fanout(server.url, prepared["key"], prepared["sessions"], args.fanout_messages)
                )
                report["memory_after_fanout"] = server.memory()
            report["load_average_after"] = os.getloadavg()
    finally:
        stop_process(worker)
    _save(report)
    print(json.dumps(report, ensure_ascii=False, indent=2))
    _print_table(report["paced"])


def _print_table(paced: dict[str, Any]) -> None:
    print(
        f"{'offered/s':>9} {'sent':>6} {'acked':>6} {'ack p50/p95/p99 ms':>24} "
        f"{'delivery p50/p95/p99 ms':>26} {'cpu ms/msg asgi+worker':>22} {'load':>5}"
    )
    opening = {"offered_rate": "open", "load_average": ["-"], **paced["opening"]}
    for s in [opening, *paced["steps"]]:
        ack, dl = s["ack_ms"], s["delivery_ms"]
        print(
            f"{s['offered_rate']:>9} {s['sent']:>6} {s['acknowledged']:>6} "
            f"{ack['p50']:>8}/{ack['p95']}/{ack['p99']:<8} "
            f"{dl['p50']:>8}/{dl['p95']}/{dl['p99']:<8} "
            f"{s['asgi_cpu_ms']:>12}+{s['worker_cpu_ms']:<9} {s['load_average'][0]:>5}"
        )
    print(f"saturation (highest rate with p95 ack < 1 s, all acknowledged): "
          f"{paced['saturation_rate']} msg/s")  # fmt: skip


def _save(report: dict[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "chat_load.json").write_text(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
