"""Nothing is lost and nothing is done twice when processes and servers fail.

Real ``bihuan worker`` processes against a PostgreSQL cluster and a Redis of this module's
own (they are killed, stopped and restarted here, so never the shared ones). The probe
consumer and due-work kind (``fault_probe``) record every handling as an event without any
de-duplication, so a count above one is a double and a missing one a loss.

The PostgreSQL tests run in the PostgreSQL pass of the suite only (they bring their own
servers, so the SQLite pass would repeat them for nothing); the embedded mode's own (SQLite
file, one writer at a time, no broker) runs in the SQLite pass.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bihuan.core.tests.own_servers import OwnPostgres, OwnRedis, servers_available, spare_port

pytestmark = pytest.mark.xdist_group("own_servers")
POSTGRES_PASS = bool(os.environ.get("BIHUAN_TEST_DATABASE_URL"))
POSTGRES_MARKS = [
    pytest.mark.skipif(
        not POSTGRES_PASS, reason="runs in the PostgreSQL pass (it starts its own servers)"
    ),
]


def postgres_only(test: Callable[..., None]) -> Callable[..., None]:
    for mark in POSTGRES_MARKS:
        test = mark(test)
    return test


sqlite_only = pytest.mark.skipif(POSTGRES_PASS, reason="the embedded mode runs in the SQLite pass")
ROOT = Path(__file__).resolve().parents[3]


@dataclass
class Installation:
    postgres: OwnPostgres | None
    redis: OwnRedis | None
    env: dict[str, str]
    sqlite_path: str = ""

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        if self.postgres is not None:
            return self.postgres.query(sql)
        with sqlite3.connect(self.sqlite_path, timeout=20) as connection:
            return list(connection.execute(sql).fetchall())

    def execute(self, sql: str) -> None:
        if self.postgres is not None:
            self.postgres.execute(sql)
            return
        with sqlite3.connect(self.sqlite_path, timeout=20) as connection:
            connection.executescript(sql)

    def run(self, *args: str, extra: dict[str, str] | None = None) -> None:
        subprocess.run(
            [sys.executable, "-m", "bihuan.core.tests.fault_probe", *args],
            env={**self.env, **(extra or {})},
            cwd=ROOT,
            check=True,
            timeout=60,
        )

    def worker(self, *, sleep: float = 0.0, due_batch: int = 100) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bihuan.core.tests.fault_probe",
                "worker",
                "--due-batch",
                str(due_batch),
            ],
            env={**self.env, "BIHUAN_PROBE_SLEEP": str(sleep)},
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def count(self, sql: str) -> int:
        return int(self.query(sql)[0][0])

    def handled_per_ping(self) -> dict[int, int]:
        pings = self.query("SELECT id FROM core_event WHERE verb = 'probe.ping'")
        counts = {int(row[0]): 0 for row in pings}
        for ping_id, handled in self.query(
            "SELECT CAST(data->>'ping' AS BIGINT), count(*) FROM core_event "
            "WHERE verb = 'probe.handled' GROUP BY 1"
        ):
            counts[int(ping_id)] = int(handled)
        return counts

    def fired_per_item(self) -> dict[int, int]:
        items = self.query("SELECT id FROM core_dueitem WHERE kind = 'probe.fire'")
        counts = {int(row[0]): 0 for row in items}
        for item_id, fired in self.query(
            "SELECT CAST(data->>'item' AS BIGINT), count(*) FROM core_event "
            "WHERE verb = 'probe.fired' GROUP BY 1"
        ):
            counts[int(item_id)] = int(fired)
        return counts


def _environment(data_dir: str, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("BIHUAN_", "DJANGO_", "DATABASE_URL", "REDIS_URL"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="bihuan.settings",
        BIHUAN_SECRET_KEY="fault-tests-only",
        BIHUAN_DATA_DIR=data_dir,
        BIHUAN_SWEEP_SECONDS="1",
        BIHUAN_LEASE_SECONDS="3",
        BIHUAN_JOB_RETRY_SECONDS="1",
        **extra,
    )
    subprocess.run(
        [sys.executable, "-m", "bihuan", "migrate", "--no-input", "-v", "0"],
        env=env,
        cwd=ROOT,
        check=True,
        timeout=300,
    )
    return env


@pytest.fixture(scope="module")
def installation() -> Iterator[Installation]:
    # make test installs both (Debian packages); missing servers are a failure, not a skip.
    assert servers_available() == "", servers_available()
    postgres, redis = OwnPostgres(), OwnRedis()
    postgres.start()
    redis.start()
    env = _environment(
        tempfile.mkdtemp(prefix="bihuan-fault-"),
        DATABASE_URL=postgres.url,
        REDIS_URL=redis.url,
        BIHUAN_DB_POOL_MIN="1",
        BIHUAN_DB_POOL_TIMEOUT="3",
    )
    try:
        yield Installation(postgres, redis, env)
    finally:
        redis.stop()
        postgres.stop()


@pytest.fixture(scope="module")
def embedded_installation() -> Iterator[Installation]:
    """The embedded mode: a SQLite file, no broker (workers sweep and wake themselves)."""
    data_dir = tempfile.mkdtemp(prefix="bihuan-fault-sqlite-")
    env = _environment(data_dir)
    try:
        yield Installation(None, None, env, sqlite_path=str(Path(data_dir) / "bihuan.sqlite3"))
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture
def fresh(installation: Installation) -> Iterator[Installation]:
    yield from _fresh(installation)


@pytest.fixture(
    params=[
        pytest.param("installation", marks=POSTGRES_MARKS, id="postgresql"),
        pytest.param("embedded_installation", marks=sqlite_only, id="sqlite"),
    ]
)
def fresh_any(request: pytest.FixtureRequest) -> Iterator[Installation]:
    yield from _fresh(request.getfixturevalue(request.param))


def _fresh(installation: Installation) -> Iterator[Installation]:
    installation.execute(
        "DELETE FROM core_reaction; DELETE FROM core_dueitem; DELETE FROM core_event;"
    )
    workers: list[subprocess.Popen[bytes]] = []
    original = installation.worker

    def tracked(*, sleep: float = 0.0, due_batch: int = 100) -> subprocess.Popen[bytes]:
        process = original(sleep=sleep, due_batch=due_batch)
        workers.append(process)
        return process

    installation.worker = tracked  # type: ignore[method-assign]
    try:
        yield installation
    finally:
        installation.worker = original  # type: ignore[method-assign]
        for process in workers:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()


def wait_until(condition: Callable[[], bool], *, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


def all_once(counts: dict[int, int]) -> bool:
    return bool(counts) and all(n >= 1 for n in counts.values())


def test_a_worker_killed_mid_batch_leaves_every_reaction_and_due_item_to_be_done_once(
    fresh_any: Installation,
) -> None:
    fresh = fresh_any
    fresh.run("ping", "30", "+", "schedule", "12", "0")
    # The first worker dies in the middle of its first batch of reactions (20 × 0.1 s)…
    first = fresh.worker(sleep=0.1)
    wait_until(
        lambda: (
            fresh.count(
                "SELECT count(*) FROM core_reaction WHERE state = 'pending' AND claimed_by <> ''"
            )
            > 0
        ),
        seconds=30,
        what="a batch of reactions to be claimed",
    )
    time.sleep(0.5)
    first.send_signal(signal.SIGKILL)
    first.wait()
    # …the second while it holds the due items (it fires them one by one, 0.15 s each).
    second = fresh.worker(sleep=0.15)
    wait_until(
        lambda: fresh.count("SELECT count(*) FROM core_event WHERE verb = 'probe.fired'") >= 2,
        seconds=30,
        what="the first due items to fire",
    )
    second.send_signal(signal.SIGKILL)
    second.wait()
    held = fresh.count(
        "SELECT count(*) FROM core_dueitem WHERE kind = 'probe.fire' AND state = 'pending' "
        "AND claimed_by <> ''"
    )

    fresh.worker()

    wait_until(
        lambda: all_once(fresh.handled_per_ping()) and all_once(fresh.fired_per_item()),
        seconds=40,
        what="every ping handled and every item fired",
    )
    assert held > 0  # the killed worker really held due items
    assert set(fresh.handled_per_ping().values()) == {1}
    assert len(fresh.handled_per_ping()) == 30
    assert set(fresh.fired_per_item().values()) == {1}
    assert len(fresh.fired_per_item()) == 12
    assert fresh.count("SELECT count(*) FROM core_reaction WHERE state <> 'done'") == 0


def test_two_workers_on_the_same_due_items_fire_each_once(fresh_any: Installation) -> None:
    fresh = fresh_any
    # Due once both workers are up; small claims, so that they take turns.
    fresh.run("schedule", "200", "6")

    fresh.worker(sleep=0.02, due_batch=10)
    fresh.worker(sleep=0.02, due_batch=10)

    wait_until(
        lambda: sum(fresh.fired_per_item().values()) >= 200,
        seconds=60,
        what="200 items to fire",
    )
    time.sleep(0.5)  # a double would show up now
    counts = fresh.fired_per_item()
    assert len(counts) == 200
    assert set(counts.values()) == {1}
    pids = fresh.query("SELECT DISTINCT data->>'pid' FROM core_event WHERE verb = 'probe.fired'")
    assert len(pids) == 2  # both workers took a share


@postgres_only
def test_with_redis_stopped_the_sweep_handles_everything_and_wake_ups_resume_after(
    fresh: Installation,
) -> None:
    fresh.worker()
    wait_until(
        lambda: fresh.count("SELECT count(*) FROM core_dueitem") > 0, seconds=30, what="worker"
    )

    assert fresh.redis is not None
    fresh.redis.stop()
    fresh.run("ping", "10")
    wait_until(
        lambda: len(fresh.handled_per_ping()) == 10 and all_once(fresh.handled_per_ping()),
        seconds=20,
        what="pings handled while Redis is down",
    )
    fresh.redis.start()
    fresh.run("ping", "10")

    wait_until(
        lambda: len(fresh.handled_per_ping()) == 20 and all_once(fresh.handled_per_ping()),
        seconds=20,
        what="pings handled after Redis is back",
    )
    assert set(fresh.handled_per_ping().values()) == {1}


@postgres_only
def test_after_a_postgresql_restart_workers_reconnect_and_nothing_is_lost_or_doubled(
    fresh: Installation,
) -> None:
    fresh.worker(sleep=0.02)
    fresh.run("ping", "20", "+", "schedule", "20", "3")

    assert fresh.postgres is not None
    fresh.postgres.restart()
    fresh.run("ping", "20")

    wait_until(
        lambda: (
            len(fresh.handled_per_ping()) == 40
            and all_once(fresh.handled_per_ping())
            and all_once(fresh.fired_per_item())
        ),
        seconds=60,
        what="every ping and item after the restart",
    )
    time.sleep(0.5)
    assert set(fresh.handled_per_ping().values()) == {1}
    assert set(fresh.fired_per_item().values()) == {1}


@postgres_only
def test_a_process_that_dies_between_commit_and_wake_up_still_gets_its_reaction(
    fresh: Installation,
) -> None:
    fresh.worker()

    fresh.run("ping", "3", "--die-after-commit")

    wait_until(
        lambda: len(fresh.handled_per_ping()) == 3 and all_once(fresh.handled_per_ping()),
        seconds=20,
        what="the reactions of the dead process's events",
    )
    assert set(fresh.handled_per_ping().values()) == {1}


@sqlite_only
def test_bihuan_serve_triages_by_itself_and_a_sigkill_in_the_middle_loses_nothing(
    embedded_installation: Installation,
) -> None:
    fresh = embedded_installation
    fresh.execute("DELETE FROM core_reaction;")
    make = (
        "from bihuan.testing.factories import make_ticket\n"
        "for n in range(40):\n"
        "    make_ticket(subject='申请退款', body=f'我要申请退款 {n}，质量太差了！！',"
        " phone=f'1391234{n:04d}')\n"
    )
    subprocess.run(
        [sys.executable, "-m", "bihuan", "shell", "-c", make],
        env=fresh.env,
        cwd=ROOT,
        check=True,
        timeout=120,
        stdout=subprocess.DEVNULL,
    )

    def serve() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "bihuan", "serve", "--port", str(spare_port())],
            env=fresh.env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def triaged() -> int:
        return fresh.count("SELECT count(DISTINCT message_id) FROM triage_triagedecision")

    first = serve()
    try:
        wait_until(lambda: triaged() > 0, seconds=60, what="the embedded runner to start")
        first.send_signal(signal.SIGKILL)
        first.wait()
        pending = fresh.count("SELECT count(*) FROM core_reaction WHERE state <> 'done'")
        second = serve()
        try:
            wait_until(
                lambda: (
                    fresh.count("SELECT count(*) FROM core_reaction WHERE state <> 'done'") == 0
                ),
                seconds=60,
                what="every reaction after the restart",
            )
        finally:
            second.terminate()
            second.wait(timeout=20)
    finally:
        if first.poll() is None:
            first.kill()

    assert pending > 0  # the kill really left work behind
    assert triaged() == 40
    doubles = fresh.query(
        "SELECT message_id, field, count(*) FROM triage_triagedecision "
        "GROUP BY message_id, field HAVING count(*) > 1"
    )
    assert doubles == []
    applied_twice = fresh.query(
        "SELECT ticket_id, count(*) FROM core_event WHERE verb = 'ticket.updated' "
        "AND data->>'reason' = 'triage' GROUP BY ticket_id HAVING count(*) > 1"
    )
    assert applied_twice == []
