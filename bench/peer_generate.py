"""The peer's data set: the same tickets as Bihuan's PostgreSQL data set of the same scale,
copied into django-helpdesk's tables (run with the peer's own virtualenv and settings).

Each Bihuan ticket becomes a helpdesk ``Ticket`` (same id, subject → title, first message →
description, customer → submitter e-mail, queue, owner, priority, status: solved → Resolved,
closed → Closed, the rest Open, same created/updated times) and every message a
``FollowUp`` (the first one "Ticket Opened", as helpdesk records it; internal notes are
not public). Users keep their ids and usernames and are staff. Rows stream from one
database to the other with ``COPY … TO STDOUT`` / ``COPY … FROM STDIN``.

``python -m bench.peer_generate --tickets N`` (env: DJANGO_SETTINGS_MODULE=peer_settings,
PEER_DB, BIHUAN_DB); prints the fixtures as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import Any

import psycopg

SPEC_VERSION = 2
PG_BASE = os.environ.get("BENCH_PG_URL", "postgresql://postgres:postgres@127.0.0.1:5432")

USERS_SQL = """
SELECT id, password, last_login, is_superuser, username, first_name, last_name, email,
       true AS is_staff, is_active, date_joined
FROM accounts_user WHERE role <> 'department_member' ORDER BY id
"""
TICKETS_SQL = """
SELECT t.id, t.subject, t.created_at, t.updated_at,
       'customer' || t.customer_id || '@example.com',
       CASE t.status WHEN 'solved' THEN 3 WHEN 'closed' THEN 4 ELSE 1 END,
       false,
       (SELECT m.body FROM tickets_message m WHERE m.ticket_id = t.id ORDER BY m.id LIMIT 1),
       NULL, 5 - t.priority, NULL, NULL,
       CASE WHEN u.role = 'department_member' THEN NULL ELSE t.owner_id END,
       COALESCE(t.team_id, {default_queue}),
       md5(t.id::text || 'peer'), NULL, NULL
FROM tickets_ticket t LEFT JOIN accounts_user u ON u.id = t.owner_id
WHERE t.id <= {tickets}
"""
TICKET_COLUMNS = (
    "id, title, created, modified, submitter_email, status, on_hold, description, resolution, "
    "priority, due_date, last_escalation, assigned_to_id, queue_id, secret_key, kbitem_id, "
    "merged_to_id"
)
FOLLOWUPS_SQL = """
SELECT m.id, m.created_at,
       CASE WHEN m.id = first.id THEN 'Ticket Opened' ELSE 'Comment' END,
       m.body, m.kind <> 'note', NULL, m.ticket_id,
       CASE WHEN u.role = 'department_member' THEN NULL ELSE m.author_id END,
       NULL, NULL, NULL
FROM tickets_message m
JOIN LATERAL (SELECT min(id) AS id FROM tickets_message f WHERE f.ticket_id = m.ticket_id) first
  ON true
LEFT JOIN accounts_user u ON u.id = m.author_id
WHERE m.ticket_id <= {tickets}
"""
FOLLOWUP_COLUMNS = (
    "id, date, title, comment, public, new_status, ticket_id, user_id, message_id, time_spent, "
    "email_recipients"
)


def _stream(
    source: psycopg.Connection[Any],
    target: psycopg.Connection[Any],
    sql: str,
    table: str,
    columns: str,
) -> None:
    with (
        source.cursor().copy(f"COPY ({sql}) TO STDOUT") as out,
        target.cursor().copy(f"COPY {table} ({columns}) FROM STDIN") as into,
    ):
        for block in out:
            into.write(block)


def _meta(conn: psycopg.Connection[Any]) -> dict[str, Any] | None:
    try:
        row = conn.execute("SELECT value FROM bench_meta WHERE key = 'dataset'").fetchone()
    except psycopg.Error:
        conn.rollback()
        return None
    return json.loads(row[0]) if row else None


def build(tickets: int) -> dict[str, Any]:
    import django
    from django.core.management import call_command

    timings: dict[str, float] = {}
    started = time.perf_counter()
    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    timings["migrate"] = time.perf_counter() - started
    from django.contrib.auth.models import User
    from helpdesk.models import Queue

    source = psycopg.connect(f"{PG_BASE}/{os.environ['BIHUAN_DB']}")
    target = psycopg.connect(f"{PG_BASE}/{os.environ['PEER_DB']}")
    t0 = time.perf_counter()
    with target.cursor() as cur:
        cur.execute("SET session_replication_role = replica")
    _stream(
        source,
        target,
        USERS_SQL,
        "auth_user",
        "id, password, last_login, is_superuser, username, first_name, last_name, email, "
        "is_staff, is_active, date_joined",
    )
    target.commit()
    teams = source.execute("SELECT id, name FROM accounts_team ORDER BY id").fetchall()
    for team_id, name in teams:
        Queue.objects.create(
            id=team_id, title=name, slug=f"q{team_id}", allow_public_submission=True
        )
    default_queue = teams[0][0]
    _stream(
        source,
        target,
        TICKETS_SQL.format(default_queue=default_queue, tickets=tickets),
        "helpdesk_ticket",
        TICKET_COLUMNS,
    )
    _stream(
        source, target, FOLLOWUPS_SQL.format(tickets=tickets), "helpdesk_followup", FOLLOWUP_COLUMNS
    )
    target.commit()
    timings["copy"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    with target.cursor() as cur:
        cur.execute("SET session_replication_role = origin")
        for table in ("auth_user", "helpdesk_queue", "helpdesk_ticket", "helpdesk_followup"):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
    target.commit()
    target.autocommit = True
    target.execute("VACUUM ANALYZE")
    timings["analyze"] = time.perf_counter() - t0
    counts = {
        table: target.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # type: ignore[index]
        for table in ("auth_user", "helpdesk_queue", "helpdesk_ticket", "helpdesk_followup")
    }
    from helpdesk.models import UserSettings
    from rest_framework.authtoken.models import Token

    agent = User.objects.get(username="bench_agent")
    for user in User.objects.all():
        UserSettings.objects.get_or_create(user=user)
    token = Token.objects.create(user=agent).key
    source.close()
    target.close()
    timings["total"] = time.perf_counter() - started
    return {
        "token": token,
        "queues": [t[0] for t in teams],
        "agent": agent.pk,
        "rows": counts,
        "timings": timings,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, required=True)
    args = parser.parse_args()
    name = os.environ["PEER_DB"]
    spec = {"version": SPEC_VERSION, "tickets": args.tickets, "source": os.environ["BIHUAN_DB"]}
    with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    meta = None
    if exists:
        with psycopg.connect(f"{PG_BASE}/{name}") as conn:
            meta = _meta(conn)
    cached = bool(meta and meta.get("spec") == spec)
    if not cached:
        with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
        meta = {"spec": spec, **build(args.tickets)}
        with psycopg.connect(f"{PG_BASE}/{name}", autocommit=True) as conn:
            conn.execute("CREATE TABLE bench_meta (key varchar(40) PRIMARY KEY, value text)")
            conn.execute(
                "INSERT INTO bench_meta VALUES ('dataset', %s)", (json.dumps(meta, default=str),)
            )
    else:
        import django

        django.setup()
    assert meta is not None
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import User
    from django.contrib.sessions.backends.db import SessionStore

    user = User.objects.get(username="bench_agent")
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    meta["session"] = store.session_key
    meta["cached"] = cached
    print(json.dumps(meta, default=str))


if __name__ == "__main__":
    main()
