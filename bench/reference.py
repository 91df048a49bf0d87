"""The physical reference: how many ticket-sized rows this machine's PostgreSQL accepts per
second from Python (psycopg), one transaction per row, with the server's own
``synchronous_commit`` (on by default), measured in the same run as the API creation.

A row holds what one created ticket writes in its biggest table rows: a subject, a status,
ids, four timestamps, a ~150-character body and its ~300-character search tokens. It goes
into a table of its own in the database ``bench_reference``.

``python -m bench.reference --seconds 5 --connections 1,10`` prints, for each number of
concurrent connections (threads, each with its own connection), rows/s and latency.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from datetime import UTC, datetime
from typing import Any

import psycopg

from bench.common import PG_BASE, summarize_ms

DATABASE = "bench_reference"
SUBJECT = "订单DD2025{n}申请退款，快递单号SF88888888"
BODY = (
    "您好，我在贵店购买的华为Mate 60手机，订单号DD2025{n}，收到后发现屏幕有划痕，"
    "要求换货或者退款，请尽快处理。快递单号SF{n}，已经等了五天了，谢谢。"
)
TOKENS = (
    "您好 我 在 贵店 购买 的 华为 mate 60 手机 订单 单号 订单号 dd2025{n} 收到 后 发现 屏幕 "
    "有 划痕 要求 换货 或者 退款 请 尽快 处理 快递 单号 sf{n} 已经 等 了 五天 了 谢谢"
)


def _prepare() -> None:
    with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone():
            conn.execute(f"CREATE DATABASE {DATABASE}")
    with psycopg.connect(f"{PG_BASE}/{DATABASE}", autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS reference_ticket")
        conn.execute(
            """
            CREATE TABLE reference_ticket (
                id bigserial PRIMARY KEY,
                subject varchar(200) NOT NULL,
                status varchar(24) NOT NULL,
                priority smallint NOT NULL,
                channel varchar(16) NOT NULL,
                customer_id bigint NOT NULL,
                team_id bigint,
                body text NOT NULL,
                search_tokens text NOT NULL,
                created_at timestamptz NOT NULL,
                updated_at timestamptz NOT NULL,
                last_customer_message_at timestamptz,
                first_response_at timestamptz
            )
            """
        )
        conn.execute("CREATE INDEX ON reference_ticket (status, updated_at, id)")


def _insert_loop(stop_at: float, latencies: list[float], errors: list[int]) -> None:
    with psycopg.connect(f"{PG_BASE}/{DATABASE}", autocommit=True) as conn:
        n = 0
        sql = (
            "INSERT INTO reference_ticket (subject, status, priority, channel, customer_id, "
            "team_id, body, search_tokens, created_at, updated_at, last_customer_message_at) "
            "VALUES (%s, 'new', 2, 'api', %s, 1, %s, %s, %s, %s, %s)"
        )
        while time.perf_counter() < stop_at:
            n += 1
            now = datetime.now(UTC)
            key = f"{threading.get_ident() % 10**8:08d}{n}"
            started = time.perf_counter()
            try:
                # autocommit: each INSERT is its own transaction, committed (and, with
                # synchronous_commit on, flushed to the WAL) before the next one.
                conn.execute(
                    sql,
                    (
                        SUBJECT.format(n=key),
                        n,
                        BODY.format(n=key),
                        TOKENS.format(n=key),
                        now,
                        now,
                        now,
                    ),
                )
            except psycopg.Error:
                errors.append(1)
                continue
            latencies.append(time.perf_counter() - started)


def measure(seconds: float, connections: int) -> dict[str, Any]:
    latencies: list[float] = []
    errors: list[int] = []
    stop_at = time.perf_counter() + seconds
    threads = [
        threading.Thread(target=_insert_loop, args=(stop_at, latencies, errors))
        for _ in range(connections)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return {
        "connections": connections,
        "rows_per_s": round(len(latencies) / elapsed, 1),
        "errors": len(errors),
        **summarize_ms(latencies),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Raw ticket-row insert rate into PostgreSQL")
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--connections", default="1,10")
    args = parser.parse_args()
    _prepare()
    with psycopg.connect(f"{PG_BASE}/{DATABASE}") as conn:
        synchronous_commit = conn.execute("SHOW synchronous_commit").fetchone()[0]  # type: ignore[index]
    results = [measure(args.seconds, int(c)) for c in args.connections.split(",")]
    print(json.dumps({"synchronous_commit": synchronous_commit, "runs": results}))


if __name__ == "__main__":
    main()
