"""Fast bulk generation of a realistic Bihuan data set (not through the API).

Run in the environment of one target (``bench.common.Target.env()``)::

    python -m bench.generate --tickets 100000 [--force]

It (re)creates the target database, migrates it, creates the organisation (departments,
queues, agents, categories, tags, API tokens) through the ORM, then writes customers, their
identities, tickets, messages and the events every ticket has (``ticket.created`` and one
``ticket.message_added`` per further message, as the services record them) in bulk:
PostgreSQL ``COPY`` through psycopg's ``cursor.copy()`` and SQLite ``executemany`` in large
transactions, with the secondary indexes (and SQLite's FTS triggers) dropped during the load
and rebuilt afterwards. Every column the app reads is filled as the services fill it,
including the search tokens (from a pre-segmented pool, see ``bench.textpool``).

A data set already present with the same spec is kept (``cached``); the last stdout line is a
JSON document with the timings and the fixtures the workloads need (tokens, sessions, ids).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.textpool import CITIES

SPEC_VERSION = 3
CHUNK = 20_000
LONG_TICKETS = 20  # tickets with exactly 50 messages, for the ticket-page workload
LONG_MESSAGES = 50
HISTORY_DAYS = 730

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
)
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鑫宇浩然子轩欣怡"
EN_FIRST = ["James", "Mary", "John", "Linda", "David", "Susan", "Michael", "Emma", "Chris", "Anna"]
EN_LAST = ["Smith", "Brown", "Wilson", "Taylor", "Lee", "Walker", "Hall", "Young", "King"]
TEAMS = [
    ("售前咨询组", "客服部"),
    ("售后服务组", "售后部"),
    ("投诉处理组", "客服部"),
    ("物流跟进组", "物流部"),
    ("VIP 服务组", "客服部"),
    ("English Support", "客服部"),
]
DEPARTMENTS = ["客服部", "技术部", "售后部", "物流部"]
CATEGORIES = {
    "退款/退货": ["仅退款", "退货退款", "退运费"],
    "物流": ["未发货", "物流延误", "丢件破损"],
    "故障": ["无法开机", "性能问题", "外观瑕疵"],
    "账户": ["登录问题", "积分会员", "信息修改"],
    "发票": ["开具发票", "发票错误"],
}
TAGS = ["加急", "复购", "媒体曝光风险", "大客户", "重复投诉", "已补偿", "需回访", "老客户"]
CHANNELS = (
    ["email"] * 20
    + ["web"] * 15
    + ["chat"] * 20
    + ["api"] * 5
    + ["phone"] * 15
    + ["wechat"] * 15
    + ["wecom"] * 3
    + ["dingtalk"] * 2
    + ["feishu"] * 2
    + ["sms"] * 3
)
KINDS_BY_TOPIC = {
    "service": ["complaint", "complaint", "suggestion", "praise"],
    "defect": ["after_sales", "after_sales", "complaint"],
    "refund": ["after_sales", "request", "complaint"],
}
PRIORITIES = [1] * 15 + [2] * 60 + [3] * 20 + [4] * 5
EMOTIONS = [""] * 40 + ["neutral"] * 30 + ["dissatisfied"] * 15 + ["satisfied"] * 10 + ["angry"] * 5
TIERS = ["standard"] * 80 + ["silver"] * 12 + ["gold"] * 6 + ["vip"] * 2
STAGES = ["active"] * 60 + ["new"] * 20 + ["at_risk"] * 10 + ["churned"] * 5 + ["prospect"] * 5
OPEN = ("new", "open", "pending_customer", "pending_collaboration")


def phone_of(customer_id: int) -> str:
    """The customer's (unique) mobile number; the workloads search by it."""
    return str(13_000_000_000 + customer_id * 37)


def _status_for(age_days: float, rng: random.Random) -> str:
    u = rng.random()
    if age_days < 2:
        table = [
            ("new", 0.3),
            ("open", 0.7),
            ("pending_customer", 0.85),
            ("pending_collaboration", 0.9),
            ("solved", 1.0),
        ]
    elif age_days < 14:
        table = [
            ("new", 0.03),
            ("open", 0.2),
            ("pending_customer", 0.33),
            ("pending_collaboration", 0.38),
            ("solved", 0.62),
        ]
    else:
        table = [
            ("open", 0.01),
            ("pending_customer", 0.02),
            ("pending_collaboration", 0.025),
            ("solved", 0.045),
        ]
    for status, bound in table:
        if u < bound:
            return status
    return "closed"


# --- database preparation -----------------------------------------------------------------


def _pg_admin(sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    import psycopg

    url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(url, autocommit=True) as conn:
        cur = conn.execute(sql, params)  # type: ignore[arg-type]
        return cur.fetchall() if cur.description else []


def _db_name() -> str:
    return os.environ["DATABASE_URL"].rsplit("/", 1)[1]


def _meta_of_existing(vendor: str) -> dict[str, Any] | None:
    """The generation record of an existing data set, if any."""
    if vendor == "postgresql":
        if not _pg_admin("SELECT 1 FROM pg_database WHERE datname = %s", (_db_name(),)):
            return None
        import psycopg

        try:
            with psycopg.connect(os.environ["DATABASE_URL"]) as conn:
                row = conn.execute("SELECT value FROM bench_meta WHERE key = 'dataset'").fetchone()
        except psycopg.Error:
            return None
    else:
        path = Path(os.environ["BIHUAN_DATA_DIR"]) / "bihuan.sqlite3"
        if not path.exists():
            return None
        try:
            with sqlite3.connect(path) as conn:
                row = conn.execute("SELECT value FROM bench_meta WHERE key = 'dataset'").fetchone()
        except sqlite3.Error:
            return None
    return json.loads(row[0]) if row else None


def _recreate_database(vendor: str) -> None:
    if vendor == "postgresql":
        name = _db_name()
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _pg_admin(f'CREATE DATABASE "{name}"')
    else:
        data_dir = Path(os.environ["BIHUAN_DATA_DIR"])
        data_dir.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            (data_dir / f"bihuan.sqlite3{suffix}").unlink(missing_ok=True)


# --- the organisation (small, through the ORM) ----------------------------------------------


def _organisation(now: datetime) -> dict[str, Any]:
    from django.contrib.auth.hashers import make_password

    from bihuan.accounts.models import Department, Team, User
    from bihuan.accounts.services import create_api_token
    from bihuan.core.models import Tag
    from bihuan.tickets.models import Category

    departments = {name: Department.objects.create(name=name) for name in DEPARTMENTS}
    teams = [Team.objects.create(name=n, department=departments[d]) for n, d in TEAMS]
    password = make_password("bench-password-1234")
    rng = random.Random(11)

    def user(username: str, role: str, dept: str, display: str, **extra: Any) -> Any:
        return User.objects.create(
            username=username,
            password=password,
            role=role,
            department=departments[dept],
            display_name=display,
            is_staff=role == "admin",
            is_superuser=role == "admin",
            date_joined=now,
            **extra,
        )

    admin = user("bench_admin", "admin", "客服部", "管理员")
    supervisor = user("bench_supervisor", "supervisor", "客服部", "王主管")
    agent = user("bench_agent", "agent", "客服部", "张伟")
    agent.teams.add(teams[0], teams[3])
    agents_by_team: dict[int, list[int]] = {t.pk: [agent.pk] for t in teams[:1] + teams[3:4]}
    for index in range(36):
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
        member = user(f"agent{index:02d}", "agent", "客服部", name)
        team = teams[index % len(teams)]
        member.teams.add(team)
        agents_by_team.setdefault(team.pk, []).append(member.pk)
    advisor = user("bench_advisor", "advisor", "客服部", "刘顾问")
    for index in range(6):
        dept = DEPARTMENTS[1 + index % 3]
        user(f"member{index}", "department_member", dept, f"{dept}{index}")
    categories: list[int] = []
    for position, (parent_name, children) in enumerate(CATEGORIES.items()):
        parent = Category.objects.create(name=parent_name, position=position)
        for child_position, child in enumerate(children):
            categories.append(
                Category.objects.create(name=child, parent=parent, position=child_position).pk
            )
    tags = [Tag.objects.create(name=name).pk for name in TAGS]
    tokens = {
        u.username: create_api_token(u, name="bench", actor=u)[1]
        for u in (admin, supervisor, agent)
    }
    return {
        "teams": [t.pk for t in teams],
        "team_departments": {t.pk: t.department_id for t in teams},
        "departments": [d.pk for d in departments.values()],
        "agents_by_team": agents_by_team,
        "all_agents": sorted({a for ids in agents_by_team.values() for a in ids}),
        "agent": agent.pk,
        "supervisor": supervisor.pk,
        "admin": admin.pk,
        "advisor": advisor.pk,
        "categories": categories,
        "tags": tags,
        "tokens": tokens,
    }


# --- bulk writers ---------------------------------------------------------------------------


class Writer:
    """Writes rows of one model (or M2M table) in the model's own column order."""

    def __init__(self, conn: Any, vendor: str) -> None:
        self.conn = conn
        self.vendor = vendor
        self.rows_written: dict[str, int] = {}

    @staticmethod
    def columns(model: Any) -> tuple[str, list[str], dict[str, Any]]:
        fields = model._meta.local_concrete_fields
        defaults = {}
        for f in fields:
            default = f.get_default() if f.has_default() else None
            if (
                default is None
                and not f.null
                and f.get_internal_type() in {"CharField", "TextField"}
            ):
                default = ""
            defaults[f.column] = default
        return model._meta.db_table, [f.column for f in fields], defaults

    def write(self, model: Any, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        table, cols, defaults = self.columns(model)
        # An auto primary key the rows leave out is numbered by the database.
        pk = model._meta.pk.column
        if pk not in rows[0]:
            cols = [c for c in cols if c != pk]
        unknown = set(rows[0]) - set(cols)
        assert not unknown, f"{table}: unknown columns {unknown}"
        tuples = [tuple(row.get(c, defaults[c]) for c in cols) for row in rows]
        if self.vendor == "postgresql":
            with (
                self.conn.cursor() as cur,
                cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy,
            ):
                for item in tuples:
                    copy.write_row(item)
        else:
            marks = ", ".join("?" for _ in cols)
            self.conn.executemany(
                f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})", tuples
            )
        self.rows_written[table] = self.rows_written.get(table, 0) + len(tuples)


def _secondary_indexes(conn: Any, vendor: str, tables: list[str]) -> list[tuple[str, str]]:
    """(name, create statement) of the droppable indexes and triggers of ``tables``."""
    if vendor == "postgresql":
        with conn.cursor() as cur:
            cur.execute(
                """
                SELECT i.indexname, i.indexdef FROM pg_indexes i
                WHERE i.tablename = ANY(%s) AND i.schemaname = 'public'
                  AND NOT EXISTS (
                    SELECT 1 FROM pg_constraint c
                    WHERE c.conindid = (quote_ident(i.indexname))::regclass)
                """,
                (tables,),
            )
            return [(name, sql) for name, sql in cur.fetchall()]
    marks = ", ".join("?" for _ in tables)
    rows = conn.execute(
        f"SELECT type, name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') "
        f"AND sql IS NOT NULL AND tbl_name IN ({marks})",
        tables,
    ).fetchall()
    return [(f"{kind}:{name}", sql) for kind, name, sql in rows]


def _drop(conn: Any, vendor: str, items: list[tuple[str, str]]) -> None:
    for name, _sql in items:
        if vendor == "postgresql":
            with conn.cursor() as cur:
                cur.execute(f'DROP INDEX "{name}"')
        else:
            kind, bare = name.split(":", 1)
            conn.execute(f'DROP {kind.upper()} "{bare}"')


# --- the data set -----------------------------------------------------------------------------


def _customers(
    count: int, org: dict[str, Any], now: datetime, rng: random.Random
) -> Iterator[tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]]:
    identity_id = 0
    for start in range(1, count + 1, CHUNK):
        customers, identities, tags = [], [], []
        for cid in range(start, min(count + 1, start + CHUNK)):
            english = cid % 5 == 4
            name = (
                f"{rng.choice(EN_FIRST)} {rng.choice(EN_LAST)}"
                if english
                else rng.choice(SURNAMES)
                + rng.choice(GIVEN)
                + (rng.choice(GIVEN) if cid % 3 else "")
            )
            tier = rng.choice(TIERS)
            created = now - timedelta(days=HISTORY_DAYS + 30 * rng.random())
            customers.append(
                {
                    "id": cid,
                    "name": name,
                    "organisation_id": (cid % org["organisations"]) + 1 if cid % 5 == 0 else None,
                    "tier": tier,
                    "lifecycle_stage": rng.choice(STAGES),
                    "advisor_id": org["advisor"] if tier in ("gold", "vip") else None,
                    "notes": "",
                    "created_at": created,
                    "updated_at": created,
                }
            )
            identity_id += 1
            identities.append(
                {
                    "id": identity_id,
                    "customer_id": cid,
                    "kind": "phone",
                    "value": phone_of(cid),
                    "is_primary": True,
                    "created_at": created,
                }
            )
            if cid % 2 == 0:
                identity_id += 1
                identities.append(
                    {
                        "id": identity_id,
                        "customer_id": cid,
                        "kind": "email",
                        "value": f"customer{cid}@example.com",
                        "is_primary": True,
                        "created_at": created,
                    }
                )
            if cid % 7 == 0:
                identity_id += 1
                identities.append(
                    {
                        "id": identity_id,
                        "customer_id": cid,
                        "kind": "external",
                        "value": f"APP{cid:09d}",
                        "is_primary": True,
                        "created_at": created,
                    }
                )
            if tier in ("gold", "vip"):
                tags.append({"customer_id": cid, "tag_id": org["tags"][3]})
        yield customers, identities, tags


def generate(tickets: int, *, seed: int = 42) -> dict[str, Any]:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from bench.textpool import load_pool
    from bihuan.core.models import Event
    from bihuan.customers.models import Customer, CustomerIdentity, Organisation
    from bihuan.tickets.models import Message, Ticket

    timings: dict[str, float] = {}
    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    timings["migrate"] = time.perf_counter() - started
    vendor = connection.vendor
    now = datetime.now(UTC).replace(microsecond=0)
    t0 = time.perf_counter()
    org = _organisation(now)
    pool = load_pool(Path(__file__).resolve().parent / "results")
    timings["organisation_and_text_pool"] = time.perf_counter() - t0

    customer_count = max(100, int(tickets * 0.4))
    org["organisations"] = max(5, customer_count // 200)
    rng = random.Random(seed)

    connection.ensure_connection()
    raw = connection.connection
    if vendor == "postgresql":
        raw.autocommit = False
        with raw.cursor() as cur:
            cur.execute("SET session_replication_role = replica")  # no FK triggers during load
            cur.execute("SET TIME ZONE 'UTC'")
            cur.execute("SET maintenance_work_mem = '512MB'")
            cur.execute("SET synchronous_commit = off")
    else:
        raw.isolation_level = None
        raw.execute("PRAGMA foreign_keys=OFF")
        raw.execute("PRAGMA synchronous=OFF")
        raw.execute("PRAGMA cache_size=-262144")
        raw.execute("BEGIN")
    writer = Writer(raw, vendor)
    big = [
        Ticket._meta.db_table,
        Message._meta.db_table,
        Event._meta.db_table,
        Customer._meta.db_table,
        CustomerIdentity._meta.db_table,
        Ticket.tags.through._meta.db_table,
    ]
    dropped = _secondary_indexes(raw, vendor, big)
    _drop(raw, vendor, dropped)

    t0 = time.perf_counter()
    writer.write(
        Organisation,
        [
            {"id": i, "name": f"{rng.choice(CITIES)}{i}号贸易有限公司", "created_at": now}
            for i in range(1, org["organisations"] + 1)
        ],
    )
    for customers, identities, tags in _customers(customer_count, org, now, rng):
        writer.write(Customer, customers)
        writer.write(CustomerIdentity, identities)
        writer.write(Customer.tags.through, tags)
    timings["customers"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    stats = _tickets(writer, tickets, customer_count, org, pool, now, rng)
    timings["tickets_messages_events"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    if vendor == "postgresql":
        raw.commit()
        with raw.cursor() as cur:
            for _name, sql in dropped:
                cur.execute(sql)
        raw.commit()
        timings["indexes"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        raw.autocommit = True
        with raw.cursor() as cur:
            cur.execute("SET session_replication_role = origin")
            cur.execute("VACUUM ANALYZE")
        timings["analyze"] = time.perf_counter() - t0
        from django.core.management.color import no_style

        from bihuan.core.models import Tag
        from bihuan.tickets.models import Category

        models = [Ticket, Message, Event, Customer, CustomerIdentity, Organisation, Tag, Category]
        models += [Ticket.tags.through, Customer.tags.through]
        models += [Ticket.shared_departments.through, Ticket.followers.through]
        with raw.cursor() as cur:
            for sql in connection.ops.sequence_reset_sql(no_style(), models):
                cur.execute(sql)
    else:
        raw.execute("COMMIT")
        for name, sql in dropped:
            if name.startswith("index:"):
                raw.execute(sql)
        timings["indexes"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        raw.execute("INSERT INTO tickets_message_fts(tickets_message_fts) VALUES ('rebuild')")
        raw.execute("INSERT INTO tickets_ticket_fts(tickets_ticket_fts) VALUES ('rebuild')")
        for name, sql in dropped:
            if name.startswith("trigger:"):
                raw.execute(sql)
        timings["fts_rebuild"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        raw.execute("ANALYZE")
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        timings["analyze"] = time.perf_counter() - t0
    timings["total"] = time.perf_counter() - started
    return {"org": org, "stats": stats, "rows": writer.rows_written, "timings": timings}


def _tickets(
    writer: Writer,
    count: int,
    customer_count: int,
    org: dict[str, Any],
    pool: Any,
    now: datetime,
    rng: random.Random,
) -> dict[str, Any]:
    from bihuan.core.models import Event
    from bihuan.tickets.models import Message, Ticket

    teams = org["teams"]
    team_weights = [30, 25, 15, 15, 8, 7]
    long_step = max(1, count // LONG_TICKETS)
    long_ids = {k * long_step + long_step // 2 + 1 for k in range(LONG_TICKETS)}
    long_ids = {i for i in long_ids if i <= count}
    # Ages: more recent tickets are denser (a growing business); ids follow creation order.
    ages = sorted((HISTORY_DAYS * rng.random() ** 1.6 for _ in range(count)), reverse=True)
    from django.db.models import Max

    message_id = 0
    # The organisation's own events (tokens created) come first.
    event_id = Event.objects.aggregate(top=Max("id"))["top"] or 0
    status_counts: dict[str, int] = {}
    message_total = 0
    open_sample: list[int] = []
    for start in range(0, count, CHUNK):
        tickets, messages, events, ticket_tags, shared, followers = [], [], [], [], [], []
        for index in range(start, min(count, start + CHUNK)):
            tid = index + 1
            age = ages[index]
            created = now - timedelta(days=age, seconds=rng.randint(0, 3600))
            opener = pool.openers[rng.randrange(len(pool.openers))]
            lang = opener.lang
            status = _status_for(age, rng)
            team = (
                teams[5]
                if lang == "en" and rng.random() < 0.7
                else rng.choices(teams, team_weights)[0]
            )
            if rng.random() < 0.05:
                team = None
            is_long = tid in long_ids
            if is_long:
                status, team = "open", teams[0]
            pool_agents = org["agents_by_team"].get(team) if team else None
            agents = pool_agents or org["all_agents"]
            owner = None if status == "new" and rng.random() < 0.7 else rng.choice(agents)
            if is_long:
                owner = org["agent"]
            if status == "new":
                n_messages = 1 + (rng.random() < 0.2)
            else:
                n_messages = 2
                while n_messages < 30 and rng.random() < 0.62:
                    n_messages += 1
            if is_long:
                n_messages = LONG_MESSAGES
            span_days = min(age, 0.5 if status == "new" else rng.uniform(0.05, 12))
            updated = min(now, created + timedelta(days=span_days))
            span = (updated - created).total_seconds()
            offsets = sorted(rng.random() * span for _ in range(n_messages - 1))
            customer_id = min(customer_count, 1 + int(customer_count * rng.random() ** 1.3))
            first_response = None
            last_customer = created
            kind_seq = ["customer"]
            for position in range(1, n_messages):
                if status == "new":
                    kind_seq.append("customer")
                elif rng.random() < 0.1:
                    kind_seq.append("note")
                else:
                    kind_seq.append("reply" if position % 2 else "customer")
            first_message = message_id + 1
            for position, kind in enumerate(kind_seq):
                message_id += 1
                event_id += 1
                at = (
                    created if position == 0 else created + timedelta(seconds=offsets[position - 1])
                )
                if position == 0:
                    text = opener.body
                elif kind == "customer":
                    text = rng.choice(pool.followups[lang])
                elif kind == "reply":
                    text = rng.choice(pool.replies[lang])
                else:
                    text = rng.choice(pool.notes[lang])
                author = None if kind == "customer" else (owner or rng.choice(agents))
                if kind == "reply" and first_response is None:
                    first_response = at
                if kind == "customer":
                    last_customer = at
                messages.append(
                    {
                        "id": message_id,
                        "ticket_id": tid,
                        "kind": kind,
                        "body": text.text,
                        "author_id": author,
                        "customer_id": customer_id if kind == "customer" else None,
                        "channel": "",
                        "search_tokens": text.tokens,
                        "created_at": at,
                    }
                )
                if position == 0:
                    data = {
                        "subject": opener.subject.text,
                        "channel": "",
                        "kind": "",
                        "priority": 0,
                        "message": message_id,
                    }
                    verb = "ticket.created"
                else:
                    data = {"message": message_id, "kind": kind}
                    verb = "ticket.message_added"
                events.append(
                    {
                        "id": event_id,
                        "occurred_at": at,
                        "actor_id": author,
                        "verb": verb,
                        "subject_type": "tickets.ticket",
                        "subject_id": tid,
                        "ticket_id": tid,
                        "customer_id": customer_id,
                        "data": data,
                    }
                )
            channel = rng.choice(CHANNELS)
            kind = rng.choice(KINDS_BY_TOPIC.get(opener.topic, ["inquiry"] * 3 + ["request"]))
            priority = 4 if is_long else rng.choice(PRIORITIES)
            for row in messages[len(messages) - n_messages :]:
                row["channel"] = channel
            created_event = events[len(events) - n_messages]["data"]
            created_event.update(channel=channel, kind=kind, priority=priority)
            assert created_event["message"] == first_message
            solved_at = closed_at = None
            if status == "solved":
                solved_at = updated
            elif status == "closed":
                closed_at = updated
                solved_at = updated - timedelta(hours=rng.uniform(1, 72))
                solved_at = max(solved_at, created)
            tickets.append(
                {
                    "id": tid,
                    "subject": opener.subject.text,
                    "status": status,
                    "priority": priority,
                    "kind": kind,
                    "channel": channel,
                    "category_id": rng.choice(org["categories"]) if rng.random() < 0.85 else None,
                    "customer_id": customer_id,
                    "owner_id": owner,
                    "team_id": team,
                    "department_id": org["team_departments"][team] if team else None,
                    "emotion": rng.choice(EMOTIONS),
                    "need_statement": "",
                    "is_need_confirmed": False,
                    "solution": "",
                    "subject_tokens": opener.subject.tokens,
                    "message_count": n_messages,
                    "created_at": created,
                    "updated_at": updated,
                    "first_response_at": first_response,
                    "last_customer_message_at": last_customer,
                    "solved_at": solved_at,
                    "closed_at": closed_at,
                }
            )
            if rng.random() < 0.15:
                for tag in rng.sample(org["tags"], rng.choice([1, 1, 2])):
                    ticket_tags.append({"ticket_id": tid, "tag_id": tag})
            if rng.random() < 0.03:
                shared.append({"ticket_id": tid, "department_id": rng.choice(org["departments"])})
            if rng.random() < 0.02:
                followers.append({"ticket_id": tid, "user_id": rng.choice(org["all_agents"])})
            status_counts[status] = status_counts.get(status, 0) + 1
            message_total += n_messages
            if status in OPEN and team == teams[0] and len(open_sample) < 50:
                open_sample.append(tid)
        for row in events:
            row["data"] = json.dumps(row["data"], ensure_ascii=False)
        writer.write(Ticket, tickets)
        writer.write(Message, messages)
        writer.write(Event, events)
        writer.write(Ticket.tags.through, ticket_tags)
        writer.write(Ticket.shared_departments.through, shared)
        writer.write(Ticket.followers.through, followers)
    return {
        "statuses": status_counts,
        "messages": message_total,
        "messages_per_ticket": round(message_total / max(1, count), 2),
        "long_tickets": sorted(long_ids),
        "open_sample": open_sample,
        "customers": customer_count,
    }


# --- fixtures (every run) ---------------------------------------------------------------------


def _sessions(user_ids: dict[str, int]) -> dict[str, str]:
    """A signed-in browser session per user, for the HTML pages."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from bihuan.accounts.models import User

    sessions = {}
    for name, pk in user_ids.items():
        user = User.objects.get(pk=pk)
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        sessions[name] = str(store.session_key)
    return sessions


def _save_meta(vendor: str, meta: dict[str, Any]) -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "CREATE TABLE IF NOT EXISTS bench_meta (key varchar(40) PRIMARY KEY, value text)"
        )
        cur.execute("DELETE FROM bench_meta WHERE key = 'dataset'")
        cur.execute(
            "INSERT INTO bench_meta (key, value) VALUES ('dataset', %s)",
            [json.dumps(meta, ensure_ascii=False)],
        )


def _collectstatic_if_needed() -> None:
    """Production settings serve hashed static files: the manifest must exist."""
    from django.conf import settings

    if not settings.PRODUCTION:
        return
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    sources = [Path(d) for d in settings.STATICFILES_DIRS]
    sources += [Path(p).parent / "static" for p in _app_paths()]
    newest = max(
        (f.stat().st_mtime for d in sources if d.is_dir() for f in d.rglob("*") if f.is_file()),
        default=0.0,
    )
    if not manifest.exists() or manifest.stat().st_mtime < newest:
        # The same manifest as the production storage, without its slow compression step.
        import subprocess

        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.collect_settings"}
        subprocess.run(
            [sys.executable, "-m", "django", "collectstatic", "--no-input", "-v", "0"],
            env=env,
            check=True,
        )


def _app_paths() -> list[str]:
    from django.apps import apps

    return [app.path + "/x" for app in apps.get_app_configs()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, required=True)
    parser.add_argument("--force", action="store_true", help="regenerate even if present")
    args = parser.parse_args()
    vendor = "postgresql" if os.environ.get("DATABASE_URL") else "sqlite"
    spec = {"version": SPEC_VERSION, "tickets": args.tickets}
    meta = None if args.force else _meta_of_existing(vendor)
    cached = bool(meta and meta.get("spec") == spec)
    if not cached:
        _recreate_database(vendor)
        result = generate(args.tickets)
        meta = {"spec": spec, **result}
        _save_meta(vendor, meta)
    else:
        import django

        django.setup()
    assert meta is not None
    _collectstatic_if_needed()
    org = meta["org"]
    meta["sessions"] = _sessions(
        {"agent": org["agent"], "supervisor": org["supervisor"], "admin": org["admin"]}
    )
    meta["cached"] = cached
    print(json.dumps(meta, ensure_ascii=False, default=str))


if __name__ == "__main__":
    sys.exit(main())
