"""Knowledge-base search latency (issue 16): 10,000 articles in Chinese and English, the
search box (every word, synonyms, English prefixes), ticket suggestions (any word of a
ticket's text) and the automatic answerer's confidence (``knowledge.answering``: candidates
among the published public half, each word's frequency), p50 / p95 on SQLite and PostgreSQL.

    .venv/bin/python bench/knowledge_search.py                 # both databases, 10,000 articles
    .venv/bin/python bench/knowledge_search.py --db sqlite --articles 2000

Each database is filled in its own process (a fresh SQLite file under bench/results/data/
knowledge-sqlite/, or the PostgreSQL database ``bench_knowledge``, dropped and made anew),
then every query runs through the app's own read path (``knowledge.queries.search_articles``:
synonyms, ranked ids, the articles with their category, owner and tags), sequentially, after
one warm-up pass. Results: bench/results/knowledge-search-<time>.json and a table.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import DATA, PG_BASE, PYTHON, RESULTS, ROOT, SECRET, percentile

PG_NAME = "bench_knowledge"
SQLITE_DIR = DATA / "knowledge-sqlite"
QUERIES_ZH = [
    "退款", "退款 到账", "快递", "物流 进度", "退钱", "发票", "开发票", "退货", "质量问题",
    "换货", "地址 修改", "没收到", "优惠券", "会员 积分", "账户 冻结", "保修", "维修 进度",
    "投诉", "发货 慢", "破损",
]  # fmt: skip
QUERIES_EN = [
    "refund", "refun", "delivery", "tracking number", "invoice", "return", "broken", "warranty",
    "account", "coupon", "cancel order", "exchange", "late", "charged twice", "password",
]  # fmt: skip

QUESTIONS = ["退款多久到账", "发票怎么开", "how long does a refund take", "where is my parcel"]


def _env(db: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "BIHUAN_DATA_DIR", "BIHUAN_DEBUG"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="bihuan.settings",
        BIHUAN_DATA_DIR=str(SQLITE_DIR),
        BIHUAN_SECRET_KEY=SECRET,
        BIHUAN_DEBUG="false",
        BIHUAN_LOG_LEVEL="ERROR",
        PYTHONPATH=str(ROOT),
    )
    if db == "postgres":
        env["DATABASE_URL"] = f"{PG_BASE}/{PG_NAME}"
    return env


def _fresh_database(db: str) -> None:
    if db == "sqlite":
        shutil.rmtree(SQLITE_DIR, ignore_errors=True)
        SQLITE_DIR.mkdir(parents=True)
        return
    import psycopg

    with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {PG_NAME}")
        connection.execute(f"CREATE DATABASE {PG_NAME}")


def _fill(count: int) -> Any:
    """Migrate, then write ``count`` articles (a tenth drafts) and the synonyms."""
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from bench.textpool import build_pool
    from bihuan.accounts.choices import Role
    from bihuan.accounts.models import User
    from bihuan.knowledge import services
    from bihuan.knowledge.models import Article

    call_command("migrate", verbosity=0)
    editor = User.objects.create_user("bench-editor", role=Role.SUPERVISOR, password=None)
    agent = User.objects.create_user("bench-agent", role=Role.AGENT, password=None)
    pool = build_pool(openers=3000, others=1000)
    rng = random.Random(16)
    now = timezone.now()
    batch: list[Article] = []
    for i in range(count):
        opener = pool.openers[i % len(pool.openers)]
        reply = rng.choice(pool.replies[opener.lang])
        note = rng.choice(pool.notes[opener.lang])
        batch.append(
            Article(
                title=opener.subject.text[:200],
                body=f"{opener.body.text}\n\n{reply.text}\n\n{note.text}",
                answer=reply.text,
                language=opener.lang,
                status="draft" if i % 10 == 9 else "published",
                # Half for customers: what automatic answers search (published and public).
                audience="public" if i % 2 == 0 else "internal",
                owner=agent,
                title_tokens=opener.subject.tokens,
                body_tokens=f"{opener.body.tokens} {reply.tokens} {note.tokens} {reply.tokens}",
                created_at=now,
                updated_at=now,
            )
        )
        if len(batch) == 1000:
            Article.objects.bulk_create(batch)
            batch = []
    Article.objects.bulk_create(batch)
    if connection.vendor == "postgresql":  # as autovacuum would after a load this size
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE knowledge_article")
    services.create_synonym(terms="快递 物流 包裹", actor=editor)
    services.create_synonym(terms="退钱 退款", actor=editor)
    return agent


def _measure(agent: Any, repeat: int) -> dict[str, Any]:
    from django.db import connection

    from bihuan.knowledge import answering, queries

    def run(query: str, mode: str) -> tuple[float, int]:
        started = time.perf_counter()
        if mode == "answer":
            found = len(answering.rank_answers(query))
        else:
            found = len(
                queries.search_articles(agent, query, mode=mode, limit=50 if mode == "all" else 5)
            )
        return (time.perf_counter() - started) * 1000, found

    tickets = [
        "您好，我上周买的电水壶还没收到，快递一直显示在途，能帮忙查一下物流吗？",
        "申请退款已经五天了钱还没到账，请问什么时候能退回？",
        "Hi, I was charged twice for my order and would like a refund for the duplicate.",
        "The parcel arrived broken, how do I return it and get a replacement?",
    ]
    workloads = {
        "zh search": [(q, "all") for q in QUERIES_ZH],
        "en search": [(q, "all") for q in QUERIES_EN],
        "suggestions": [(t, "any") for t in tickets],
        # The automatic answerer's read: candidates, word frequencies, the confidence.
        "auto answer": [(t, "answer") for t in [*tickets, *QUESTIONS]],
    }
    for cases in workloads.values():  # warm the caches and the segmenter
        for query, mode in cases:
            run(query, mode)
    result: dict[str, Any] = {"vendor": connection.vendor}
    for name, cases in workloads.items():
        times, hits = [], []
        for _ in range(repeat):
            for query, mode in cases:
                elapsed, found = run(query, mode)
                times.append(elapsed)
                hits.append(found)
        result[name] = {
            "requests": len(times),
            "p50_ms": round(percentile(times, 50), 2),
            "p95_ms": round(percentile(times, 95), 2),
            "max_ms": round(max(times), 2),
            "mean_hits": round(sum(hits) / len(hits), 1),
        }
    return result


def worker(count: int, repeat: int) -> None:
    import django

    django.setup()
    started = time.perf_counter()
    agent = _fill(count)
    filled = time.perf_counter() - started
    result = _measure(agent, repeat)
    result["articles"] = count
    result["fill_seconds"] = round(filled, 1)
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.articles, args.repeat)
        return
    runs = []
    for db in ["sqlite", "postgres"] if args.db == "both" else [args.db]:
        _fresh_database(db)
        output = subprocess.run(
            [PYTHON, __file__, "--worker", "--articles", str(args.articles),
             "--repeat", str(args.repeat)],
            env=_env(db), capture_output=True, text=True, check=True, cwd=ROOT,
        ).stdout  # fmt: skip
        runs.append(json.loads(output.strip().splitlines()[-1]))
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"knowledge-search-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(runs, indent=2))
    print("| database | articles | workload | p50 ms | p95 ms | max ms | hits |")
    print("|---|---|---|---|---|---|---|")
    for run in runs:
        for name in ("zh search", "en search", "suggestions", "auto answer"):
            row = run[name]
            print(
                f"| {run['vendor']} | {run['articles']} | {name} | {row['p50_ms']} | "
                f"{row['p95_ms']} | {row['max_ms']} | {row['mean_hits']} |"
            )
    print(f"\n{path}")


if __name__ == "__main__":
    main()
