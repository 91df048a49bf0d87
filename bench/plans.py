"""EXPLAIN (ANALYZE, BUFFERS) of the inbox view counts, the ranked search and the search box's
customer lookup by name (``people``) on a bench data set.

Run in the environment of a PostgreSQL target (it uses whatever code is on the path, so the
same script shows the plans before and after a change)::

    .venv/bin/python bench/plans.py --tickets 1000000 [--what counts,search,people]
        [--words 退款,refund]

For each query: the plan, its execution time and its shared buffers (hit + read); the last
stdout line is a JSON summary. Each query is run twice first, so the figures are warm.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _explain(sql: str, params: Any) -> dict[str, Any]:
    from django.db import connection

    with connection.cursor() as cursor:
        for _ in range(2):
            cursor.execute(sql, params)
            cursor.fetchall()
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, SETTINGS) " + sql, params)
        lines = [row[0] for row in cursor.fetchall()]
    plan = "\n".join(lines)
    execution = re.search(r"Execution Time: ([\d.]+) ms", plan)
    buffers = re.search(r"Buffers: shared (?:hit=(\d+))? ?(?:read=(\d+))?", plan)
    hit = int(buffers.group(1) or 0) if buffers else 0
    read = int(buffers.group(2) or 0) if buffers else 0
    return {
        "ms": float(execution.group(1)) if execution else None,
        "buffers": hit + read,
        "plan": plan,
    }


def _captured(call: Any) -> list[tuple[str, Any]]:
    """The SQL statements ``call`` runs, with their parameters."""
    from django.db import connection

    statements: list[tuple[str, Any]] = []

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        call()
    return statements


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, required=True)
    parser.add_argument("--what", default="counts,search,people")
    parser.add_argument("--words", default="退款,refund")
    parser.add_argument("--quiet", action="store_true", help="only the JSON summary")
    args = parser.parse_args()
    sys.path.insert(0, os.getcwd())
    from bench.common import Target

    os.environ.update(Target("postgres", args.tickets).env())
    import django

    django.setup()
    from django.core.cache import cache

    from bihuan.accounts.models import User
    from bihuan.tickets import queries

    summary: dict[str, Any] = {}
    viewers = {"agent": User.objects.get(username="bench_agent")}
    viewers["supervisor"] = User.objects.get(username="bench_supervisor")
    what = args.what.split(",")
    for label, viewer in viewers.items():
        if "counts" in what:
            cache.clear()
            for n, (sql, params) in enumerate(_captured(lambda v=viewer: queries.count_views(v))):
                result = _explain(sql, params)
                summary[f"counts_{label}_{n}"] = {k: result[k] for k in ("ms", "buffers")}
                if not args.quiet:
                    print(f"\n### view counts, {label}: {result['ms']} ms\n{result['plan']}")
        if "search" in what:
            for word in args.words.split(","):
                statements = _captured(lambda v=viewer, w=word: queries.search_tickets(v, w))
                for n, (sql, params) in enumerate(statements):
                    result = _explain(sql, params)
                    summary[f"search_{label}_{word}_{n}"] = {
                        k: result[k] for k in ("ms", "buffers")
                    }
                    if not args.quiet:
                        print(f"\n### search {word!r} ({label}) statement {n}: {result['ms']} ms")
                        print(result["plan"])
        if "people" in what:
            for word in args.words.split(","):
                statements = _captured(
                    lambda v=viewer, w=word: queries.find_customers_by_name(v, w)
                )
                for n, (sql, params) in enumerate(statements):
                    result = _explain(sql, params)
                    summary[f"people_{label}_{word}_{n}"] = {
                        k: result[k] for k in ("ms", "buffers")
                    }
                    if not args.quiet:
                        print(f"\n### customers named {word!r} ({label}) statement {n}:")
                        print(result["plan"])
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
