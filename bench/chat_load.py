"""Chat widget under load, in the production layout: ``uvicorn --workers 3`` on PostgreSQL with
the Redis channel layer, and one ``bihuan worker``.

1. ``--visitors`` (200) widget connections open at once; each says hello and sends
   ``--messages`` (5) messages, one after the other with a pause of 0.5–1.5 s (people type).
   The round trip is from sending a message to its acknowledgement (stored on the ticket,
   exactly once): p50/p95/max; memory of the server processes after the run.
2. Fan-out: ``--agents`` (40) agent pages connected to the live workspace
   (``/ws/live/``, signed in); one visitor writes ``--fanout-messages`` (20) messages, one at a
   time; for each, the delay until each agent page receives the event frame carrying it:
   p50/p95/max over every (message, page).

    .venv/bin/python -m bench.chat_load [--visitors 200] [--agents 40]

A fresh database ``bench_bihuan_chat`` is made (dropped first). Results in
``bench/results/chat_load.json``; the figures in docs/channels.md come from one run.
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
from bench.server import bihuan_server, celery_worker, stop_process

DB_NAME = "bench_bihuan_chat"
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
print(json.dumps({{"key": widget.public_key, "sessions": sessions}}))
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
    log("chat_load: migrating a fresh database")
    subprocess.run([PYTHON, "-m", "bihuan", "migrate", "--no-input", "-v", "0"], env=env,
                   check=True, cwd=ROOT)  # fmt: skip
    out = subprocess.run(
        [PYTHON, "-m", "bihuan", "shell", "-v", "0", "-c",
         SETUP.format(agents=agents, origin=ORIGIN)],
        env=env, check=True, cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


async def _visitor(url: str, messages: int, latencies: list[float], errors: list[str]) -> None:
    from websockets.asyncio.client import connect

    try:
        async with connect(url, origin=ORIGIN, open_timeout=60) as socket:  # type: ignore[arg-type]
            await socket.send(json.dumps({"type": "hello", "token": ""}))
            welcome = json.loads(await socket.recv())
            assert welcome["type"] == "welcome", welcome
            for number in range(messages):
                await asyncio.sleep(random.uniform(0.5, 1.5))
                client_id = f"c-{random.getrandbits(64):x}-{number}"
                started = time.perf_counter()
                await socket.send(
                    json.dumps(
                        {"client_id": client_id, "type": "message", "body": f"压测消息{number}"}
                    )
                )
                while True:
                    frame = json.loads(await asyncio.wait_for(socket.recv(), 60))
                    if frame.get("client_id") == client_id:
                        break
                if frame["type"] != "ack":
                    errors.append(str(frame.get("code")))
                    continue
                latencies.append(time.perf_counter() - started)
    except Exception as error:  # a refused or dropped connection is a result, not a crash
        errors.append(f"{type(error).__name__}: {error}"[:200])


async def _load(base: str, key: str, visitors: int, messages: int) -> dict[str, Any]:
    url = base.replace("http://", "ws://") + f"/ws/chat/{key}/"
    latencies: list[float] = []
    errors: list[str] = []
    started = time.perf_counter()
    await asyncio.gather(*(_visitor(url, messages, latencies, errors) for _ in range(visitors)))
    return {
        "visitors": visitors,
        "messages_acknowledged": len(latencies),
        "errors": len(errors),
        "error_examples": sorted(set(errors))[:5],
        "seconds": round(time.perf_counter() - started, 1),
        "round_trip_ms": _summary(latencies),
    }


def _summary(values: list[float]) -> dict[str, float]:
    ms = [v * 1000 for v in values]
    return {
        "p50": round(percentile(ms, 50), 1),
        "p95": round(percentile(ms, 95), 1),
        "max": round(max(ms), 1) if ms else float("nan"),
    }


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
    parser.add_argument("--messages", type=int, default=5)
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
            log(f"chat_load: {args.visitors} visitors × {args.messages} messages")
            report["load"] = asyncio.run(
                _load(server.url, prepared["key"], args.visitors, args.messages)
            )
            report["memory_after_load"] = server.memory()
            _save(report)
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


def _save(report: dict[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "chat_load.json").write_text(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
