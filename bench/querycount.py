"""SQL queries per request, counted in-process on the bench data with Django's
CaptureQueriesContext (the same views and queries the served workers run).

Run in a target's environment: ``python -m bench.querycount SPEC.json`` where SPEC is a list
of ``{"name", "path", "token"?, "headers"?, "session"?, "json"?: [warm, counted payload]}``.
Prints ``{name: {"queries", "status"}}``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any


def count(spec: list[dict[str, Any]]) -> dict[str, Any]:
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    results: dict[str, Any] = {}
    for item in spec:
        client = Client()
        headers = dict(item.get("headers") or {})
        if item.get("token"):
            headers["Authorization"] = f"Bearer {item['token']}"
        if item.get("session"):
            client.cookies["sessionid"] = item["session"]
        if item.get("json"):  # a POST: each call sends its own payload (no idempotent replay)
            payloads = item["json"]
            client.post(item["path"], payloads[0], content_type="application/json", headers=headers)
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as captured:
                response = client.post(
                    item["path"], payloads[1], content_type="application/json", headers=headers
                )
            elapsed = time.perf_counter() - started
        else:
            client.get(item["path"], headers=headers)  # warm: token last-used, option caches
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as captured:
                response = client.get(item["path"], headers=headers)
            elapsed = time.perf_counter() - started
        results[item["name"]] = {
            "queries": len(captured),
            "status": response.status_code,
            "ms": round(elapsed * 1000, 1),  # one in-process request, for scale
        }
        if item.get("show_sql"):
            results[item["name"]]["sql"] = [q["sql"] for q in captured.captured_queries]
    return results


def main() -> None:
    spec = json.loads(Path(sys.argv[1]).read_text())
    print(json.dumps(count(spec)))


if __name__ == "__main__":
    main()
