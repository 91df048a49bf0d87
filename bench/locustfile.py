"""The load generator (locust, headless, in its own process), driven by ``bench.load``.

``BENCH_SPEC`` (a JSON file) says what the simulated users do:

* ``{"mode": "get", "requests": [{"name", "path", "headers"?, "cookies"?}, ...]}`` — each
  user requests the listed paths round-robin with no pause (a closed loop);
* ``{"mode": "create", "app": "bihuan"|"peer", "auth": {...}, ...}`` — ticket creation;
* ``{"mode": "mixed", ...}`` — agents refreshing and searching every 10–30 s while tickets
  arrive at a fixed rate (see ``MixedAgent`` / ``Arrival``).

Every request's latency is recorded exactly (not locust's rounded buckets) and written to
``BENCH_OUT`` when the run ends.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import time
from pathlib import Path
from typing import Any

import gevent
from create_texts import ticket_text  # this file's folder is on the path (locust -f)
from locust import FastHttpUser, between, constant, constant_throughput, events, task

SPEC: dict[str, Any] = json.loads(Path(os.environ["BENCH_SPEC"]).read_text())
OUT = Path(os.environ["BENCH_OUT"])
TIMEOUT = float(SPEC.get("timeout", 30))
_samples: dict[str, list[tuple[float, float]]] = {}
_errors: dict[str, dict[str, int]] = {}
_counter = itertools.count()


@events.request.add_listener
def _record(
    request_type: str,
    name: str,
    response_time: float,
    response_length: int,
    response: Any = None,
    exception: Any = None,
    **_: Any,
) -> None:
    _samples.setdefault(name, []).append((time.time(), response_time))
    if exception is not None:
        kind = type(exception).__name__
        if hasattr(exception, "args") and exception.args and "status" in str(exception.args[0]):
            kind = str(exception.args[0])[:60]
        errors = _errors.setdefault(name, {})
        errors[kind] = errors.get(kind, 0) + 1


_window: dict[str, float] = {}


@events.test_start.add_listener
def _started(environment: Any, **_: Any) -> None:
    _window["start"] = time.time()


@events.quitting.add_listener
def _dump(environment: Any, **_: Any) -> None:
    _window["stop"] = time.time()
    OUT.write_text(json.dumps({"samples": _samples, "errors": _errors, "window": _window}))


def _check(response: Any, ok: tuple[int, ...]) -> None:
    if response.status_code not in ok:
        response.failure(f"status {response.status_code}")
    else:
        response.success()


class _Base(FastHttpUser):
    abstract = True
    network_timeout = TIMEOUT
    connection_timeout = TIMEOUT
    insecure = True

    def get(self, item: dict[str, Any]) -> None:
        headers = dict(item.get("headers") or {})
        if item.get("cookies"):  # sent as a header: the fast client keeps no cookie jar here
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in item["cookies"].items())
        with self.client.get(
            item["path"],
            name=item["name"],
            headers=headers,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            _check(response, tuple(item.get("ok", (200,))))

    def create_ticket(self, name: str = "create") -> None:
        rng = random.Random()
        subject, body = ticket_text(rng)
        if SPEC["app"] == "bihuan":
            if rng.random() < 0.5:  # a known customer writes again
                phone = str(13_000_000_000 + rng.randint(1, SPEC["customers"]) * 37)
            else:
                phone = f"139{rng.randint(10**7, 10**8 - 1)}"  # valid, outside the known range
            payload = {
                "subject": subject,
                "body": body,
                "channel": rng.choice(["web", "email", "chat", "wechat", "api"]),
                "customer": {"name": "王芳", "phone": phone},
                "team_id": rng.choice(SPEC["teams"]),
            }
            path = "/api/v1/tickets"
            ok: tuple[int, ...] = (201,)
        else:
            email = (
                f"customer{2 * rng.randint(1, SPEC['customers'] // 2)}@example.com"
                if rng.random() < 0.5
                else f"new{rng.randint(1, 10**9)}@example.net"
            )
            payload = {
                "queue": rng.choice(SPEC["queues"]),
                "title": subject,
                "description": body,
                "submitter_email": email,
                "priority": 3,
            }
            path = "/api/tickets/"
            ok = (201,)
        with self.client.post(
            path,
            name=name,
            json=payload,
            headers=SPEC["auth_headers"],
            catch_response=True,
        ) as response:
            _check(response, ok)


if SPEC["mode"] == "get":

    class Reader(_Base):
        wait_time = constant(0)

        def on_start(self) -> None:
            requests = SPEC["requests"]
            start = next(_counter) % len(requests)
            self._cycle = itertools.cycle(requests[start:] + requests[:start])

        @task
        def read(self) -> None:
            self.get(next(self._cycle))

elif SPEC["mode"] == "create":

    class Creator(_Base):
        wait_time = constant(0)

        @task
        def create(self) -> None:
            self.create_ticket()

else:

    class MixedAgent(_Base):
        """An agent: refreshes the inbox, opens a ticket or searches, every 10–30 s."""

        fixed_count = int(SPEC["agents"])
        wait_time = between(10, 30)

        def on_start(self) -> None:
            # Agents at work refresh at their own moments: start each at a random phase of
            # the 10-30 s cycle instead of all 40 in the same instant (a burst no real team
            # produces, which the first run measured as its p95).
            gevent.sleep(random.uniform(0, 20))

        @task(4)
        def inbox(self) -> None:
            self.get(random.choice(SPEC["inbox"]))

        @task(2)
        def ticket(self) -> None:
            self.get(random.choice(SPEC["ticket"]))

        @task(2)
        def search(self) -> None:
            self.get(random.choice(SPEC["search"]))

    class Arrival(_Base):
        """New tickets arriving through the API at ``arrivals_per_day``."""

        fixed_count = 1
        wait_time = constant_throughput(float(SPEC["arrivals_per_day"]) / 86400)

        @task
        def arrive(self) -> None:
            self.create_ticket("arrival")
