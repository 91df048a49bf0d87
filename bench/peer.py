"""The peer, side by side: django-helpdesk (latest release on PyPI) as a production install.

Nothing of the peer is committed: this module creates a virtualenv in a temporary folder,
``pip install``s django-helpdesk with gunicorn and psycopg, writes the minimal Django
project it needs (DEBUG off, DRF token auth, PostgreSQL database ``bench_helpdesk_<n>``,
e-mail to a dummy backend), copies the same data as Bihuan's into its tables
(``bench.peer_generate``) and serves it with gunicorn, 2×cores+1 sync workers (helpdesk is
a WSGI app). The workloads are the same as Bihuan's, through helpdesk's own API
(``/api/tickets/``) and pages; where helpdesk has no equivalent the figure is left out.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import PG_BASE, ROOT, Target, free_port, log, run_json
from bench.server import Server

PEER_DIR = Path(os.environ.get("BENCH_PEER_DIR", Path(tempfile.gettempdir()) / "bihuan-bench-peer"))
VENV = PEER_DIR / "venv"
PROJECT = PEER_DIR / "project"
PACKAGE = "django-helpdesk"

SETTINGS = """
import os
SECRET_KEY = "peer-bench-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
INSTALLED_APPS = [
    "django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes",
    "django.contrib.sessions", "django.contrib.messages", "django.contrib.staticfiles",
    "django.contrib.sites", "django.contrib.humanize",
    "rest_framework", "rest_framework.authtoken", "helpdesk",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "peer_urls"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [], "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]
WSGI_APPLICATION = "peer_wsgi.application"
_url = os.environ.get("BENCH_PG_URL", "postgresql://postgres:postgres@127.0.0.1:5432")
_credentials, _hostport = _url.split("//", 1)[1].rsplit("@", 1)
DATABASES = {"default": {
    "ENGINE": "django.db.backends.postgresql", "NAME": os.environ["PEER_DB"],
    "USER": _credentials.split(":")[0], "PASSWORD": _credentials.partition(":")[2],
    "HOST": _hostport.split(":")[0], "PORT": _hostport.partition(":")[2] or "5432",
    "CONN_MAX_AGE": 60,
}}
SITE_ID = 1
HELPDESK_TEAMS_MODE_ENABLED = False
LOGIN_URL = "helpdesk:login"
LOGIN_REDIRECT_URL = "helpdesk:home"
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
DEFAULT_FROM_EMAIL = "helpdesk@example.com"
LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True
STATIC_URL = "/static/"
STATIC_ROOT = os.path.join(os.path.dirname(__file__), "static")
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
REST_FRAMEWORK = {"DEFAULT_AUTHENTICATION_CLASSES": [
    "rest_framework.authentication.TokenAuthentication",
    "rest_framework.authentication.SessionAuthentication",
]}
LOGGING = {"version": 1, "disable_existing_loggers": False,
           "handlers": {"console": {"class": "logging.StreamHandler"}},
           "root": {"handlers": ["console"], "level": "ERROR"}}
"""
URLS = """
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("helpdesk.urls", namespace="helpdesk")),
]
"""
WSGI = """
import os
from django.core.wsgi import get_wsgi_application
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer_settings")
application = get_wsgi_application()
"""


# helpdesk's API viewset evaluates every accessible ticket per request (list and detail).
HEAVY = ("inbox_api_first", "inbox_api_deep", "ticket_api")


def python() -> str:
    return str(VENV / "bin" / "python")


def install() -> str:
    """The peer's virtualenv with the latest django-helpdesk; returns the installed version."""
    marker = PEER_DIR / "installed.json"
    if marker.exists() and time.time() - marker.stat().st_mtime < 7 * 86400:
        return str(json.loads(marker.read_text())["version"])
    log(f"installing {PACKAGE} (latest) into {VENV}")
    PEER_DIR.mkdir(parents=True, exist_ok=True)
    # The interpreter the bench runs on, not its virtualenv: the peer gets a venv of its own.
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", str(VENV)], check=True)
    subprocess.run(
        [
            python(),
            "-m",
            "pip",
            "install",
            "-q",
            "--upgrade",
            PACKAGE,
            "gunicorn",
            "psycopg[binary]",
        ],
        check=True,
        capture_output=True,
    )
    version = subprocess.run(
        [python(), "-c", "import importlib.metadata as m; print(m.version('django-helpdesk'))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    marker.write_text(json.dumps({"version": version}))
    return version


def write_project() -> None:
    PROJECT.mkdir(parents=True, exist_ok=True)
    for name, text in (
        ("peer_settings.py", SETTINGS),
        ("peer_urls.py", URLS),
        ("peer_wsgi.py", WSGI),
    ):
        path = PROJECT / name
        if not path.exists() or path.read_text() != text:
            path.write_text(text)


def env(tickets: int) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "VIRTUAL_ENV"}},
        "DJANGO_SETTINGS_MODULE": "peer_settings",
        "PYTHONPATH": f"{PROJECT}:{ROOT}",
        "PEER_DB": f"bench_helpdesk_{tickets}",
        "BIHUAN_DB": f"bench_bihuan_{tickets}",
        "BENCH_PG_URL": PG_BASE,
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def peer_server(tickets: int, workers: int) -> Server:
    port = free_port()
    command = [
        str(VENV / "bin" / "gunicorn"),
        "peer_wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--timeout",
        "120",
        "--log-level",
        "warning",
    ]
    return Server(
        f"peer-{tickets}",
        command,
        env(tickets),
        port=port,
        ready_path="/login/",
        workers=workers,
        cwd=PROJECT,
    )


def _datatables(query: dict[str, Any], start: int = 0) -> str:
    encoded = base64.b64encode(json.dumps(query).encode()).decode("ascii")
    return f"/datatables_ticket_list/{encoded}?draw=1&start={start}&length=25"


def peer_workloads(
    meta: dict[str, Any],
    bihuan_info: dict[str, Any],
    long_tickets: list[int],
    numbers: list[int],
    customers: int,
) -> dict[str, Any]:
    api = {"Authorization": f"Token {meta['token']}"}
    cookies = {"sessionid": meta["session"]}
    queue = meta["queues"][0]
    inbox = {
        "filtering": {"status__in": [1, 2]},
        "sorting": "created",
        "search_string": "",
        "sortreverse": True,
    }
    queue_query = {**inbox, "filtering": {"status__in": [1, 2], "queue__id__in": [queue]}}
    deep_rows = int(bihuan_info.get("inbox_deep_rows") or 0)
    page = max(2, deep_rows // 25 + 1)

    def api_get(name: str, paths: list[str]) -> dict[str, Any]:
        return {
            "mode": "get",
            "timeout": 60,
            "requests": [{"name": name, "path": p, "headers": api} for p in paths],
        }

    def html_get(name: str, paths: list[str], ok: tuple[int, ...] = (200,)) -> dict[str, Any]:
        return {
            "mode": "get",
            "timeout": 60,
            "requests": [{"name": name, "path": p, "cookies": cookies, "ok": ok} for p in paths],
        }

    def search(text: str) -> str:
        return _datatables({**inbox, "filtering": {}, "search_string": text})

    return {
        "inbox_api_first": api_get("inbox_api_first", ["/api/tickets/?status=1,2"]),
        "inbox_api_deep": api_get("inbox_api_deep", [f"/api/tickets/?status=1,2&page={page}"]),
        "inbox_html_shell": html_get("inbox_html_shell", ["/tickets/"]),
        "inbox_html_first": html_get("inbox_html_first", [_datatables(inbox)]),
        "inbox_html_deep": html_get("inbox_html_deep", [_datatables(inbox, deep_rows)]),
        "queue_html_first": html_get("queue_html_first", [_datatables(queue_query)]),
        "ticket_api": api_get("ticket_api", [f"/api/tickets/{n}/" for n in long_tickets]),
        "ticket_html": html_get("ticket_html", [f"/tickets/{n}/" for n in long_tickets]),
        "search_zh_html": html_get("search_zh_html", [search("退款")]),
        "search_en_html": html_get("search_en_html", [search("refund")]),
        "search_phone_html": html_get("search_phone_html", [search("customer2@example.com")]),
        "search_number_html": html_get(
            "search_number_html",
            [f"/tickets/?q={n}&search_type=header" for n in numbers],
            ok=(302,),
        ),
        "create": {
            "mode": "create",
            "app": "peer",
            "timeout": 60,
            "auth_headers": api,
            "customers": customers,
            "queues": meta["queues"],
        },
        "_info": {
            "inbox_deep_rows": deep_rows,
            "notes": "helpdesk staff see every ticket; no queue filter or customer lookup in "
            "its API; its inbox is a page shell plus a datatables JSON call (measured "
            "separately); 'phone' search is by the customer's e-mail (helpdesk keeps no phone)",
        },
    }


def peer_query_counts(tickets: int, specs: dict[str, Any], meta: dict[str, Any]) -> dict[str, Any]:
    items: list[dict[str, Any]] = []
    for name, spec in specs.items():
        if name.startswith("_") or spec["mode"] != "get":
            continue
        if tickets > 50_000 and name in HEAVY:
            continue  # one request takes minutes in-process (every ticket, one query each)
        first = spec["requests"][0]
        items.append(
            {
                "name": name,
                "path": first["path"],
                "headers": first.get("headers"),
                "session": first.get("cookies", {}).get("sessionid"),
            }
        )
    payload = {
        "queue": meta["queues"][0],
        "title": "订单DD2025000001申请退款",
        "description": "您好，我的退款还没到账。",
        "submitter_email": "a@example.com",
        "priority": 3,
    }
    items.append(
        {
            "name": "create",
            "path": "/api/tickets/",
            "headers": {"Authorization": f"Token {meta['token']}"},
            "json": [payload, {**payload, "submitter_email": "b@example.com"}],
        }
    )
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(items, handle)
    try:
        proc = subprocess.run(
            [python(), "-m", "bench.querycount", handle.name],
            env=env(tickets),
            cwd=PROJECT,
            capture_output=True,
            text=True,
            timeout=1800,
            check=True,
        )
        return json.loads(proc.stdout.splitlines()[-1])  # type: ignore[no-any-return]
    except (subprocess.SubprocessError, ValueError, IndexError) as exc:
        return {"error": str(exc)[-800:]}
    finally:
        Path(handle.name).unlink()


def run_peer_target(tickets: int, args: argparse.Namespace, names: list[str]) -> dict[str, Any]:
    from bench.run import run_workloads

    version = install()
    write_project()
    started = time.perf_counter()
    proc = subprocess.run(
        [python(), "-m", "bench.peer_generate", "--tickets", str(tickets)],
        env=env(tickets),
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"peer data: {proc.stdout[-1500:]}\n{proc.stderr[-3000:]}")
    meta = json.loads(proc.stdout.splitlines()[-1])
    result: dict[str, Any] = {
        "app": "peer",
        "db": "postgres",
        "tickets": tickets,
        "peer": f"{PACKAGE} {version}",
        "generation": {
            "cached": meta["cached"],
            "seconds": round(time.perf_counter() - started, 1),
            "rows": meta["rows"],
        },
        "layout": f"gunicorn peer_wsgi:application --workers {args.peer_workers} (sync)",
    }
    log(f"peer-{tickets}: data ready in {result['generation']['seconds']} s ({version})")
    bihuan = run_json(
        ["-m", "bench.generate", "--tickets", str(tickets)], Target("postgres", tickets).env()
    )
    long_tickets = bihuan["stats"]["long_tickets"]
    numbers = bihuan["stats"]["open_sample"][:10] or long_tickets
    specs = peer_workloads(
        meta,
        {"inbox_deep_rows": _inbox_depth(bihuan)},
        long_tickets,
        numbers,
        bihuan["stats"]["customers"],
    )
    if tickets > 200_000:
        # helpdesk's API viewset evaluates every accessible ticket on each request (list and
        # detail: ``for ticket in tickets: ticket.set_custom_field_values()``); at this scale
        # five workers doing so would exhaust the machine's memory.
        for name in HEAVY:
            specs[name]["skip"] = "loads every ticket per request; not run above 200,000"
    result["workload_info"] = specs["_info"]
    server = peer_server(tickets, args.peer_workers)
    try:
        server.start()
        wanted = [n for n in names if n in specs] + (
            ["inbox_html_shell"] if "inbox_html_first" in names else []
        )
        result["workloads"] = run_workloads(
            specs,
            wanted,
            host=server.url,
            label=f"peer-{tickets}",
            seconds=args.duration,
            users=args.users,
            create_users=args.create_users,
            server=server,
            database=f"bench_helpdesk_{tickets}",
            settle_limit=30.0,
        )
        result["memory"] = server.memory()
    finally:
        server.stop()
    result["queries"] = peer_query_counts(tickets, specs, meta)
    return result


def _inbox_depth(bihuan: dict[str, Any]) -> int:
    """The deep page's depth for the peer: the middle of the open tickets (≤ 5,000 rows)."""
    statuses = bihuan["stats"]["statuses"]
    open_count = sum(
        statuses.get(s, 0) for s in ("new", "open", "pending_customer", "pending_collaboration")
    )
    return min(5000, (open_count // 2) // 25 * 25)
