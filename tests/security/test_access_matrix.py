"""Access matrix: every route that takes an object id, as every role, against objects outside
that role's scope — built from the URL resolver and the OpenAPI document.

Expected: authenticated users out of scope get 404 (existence is not revealed), anonymous API
callers 401, anonymous page visitors a redirect to sign-in, non-staff users a redirect away
from the admin; and the database is unchanged. A new route whose parameters this file does not
know makes ``test_every_route_with_an_object_id_is_covered`` fail.
"""

from __future__ import annotations

import json
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client
from django.urls import get_resolver
from django.urls.resolvers import URLPattern, URLResolver

from bihuan.accounts.services import create_api_token
from bihuan.api import api
from bihuan.channels.models import EmailAttachment, InboundEmail
from bihuan.channels.services import ingest_email
from bihuan.channels.tests.mail import build_mail
from bihuan.core.models import Notification
from bihuan.knowledge import services as knowledge_services
from bihuan.testing.access import collect_specs
from bihuan.testing.factories import make_ticket
from bihuan.tickets import services
from bihuan.tickets.models import Commitment, Ticket
from bihuan.triage.models import RoutingRule, TriageRule
from tests.security.state import row_counts

# Which object each path parameter names, and which kind of object that is.
PARAMETER_KINDS = {
    "number": "ticket",
    "customer_id": "customer",
    "commitment_id": "commitment",
    "token_id": "token",
    "notification_id": "notification",
    "rule_id": "rule",
    "attachment_id": "attachment",
    "inbound_id": "inbound",
    "routing_rule_id": "routing_rule",
    "user_id": "user",
    "team_id": "team",
    "article_id": "article",
    "version_id": "version",
    "synonym_id": "synonym",
    "template_id": "template",
    "macro_id": "macro",
}
# Request bodies valid in themselves, so that scope is the only reason to refuse.
API_BODIES: dict[tuple[str, str], Any] = {
    ("PATCH", "/api/v1/tickets/{number}"): {"priority": "urgent"},
    ("POST", "/api/v1/tickets/{number}/messages"): {"kind": "note", "body": "看一下"},
    ("POST", "/api/v1/tickets/{number}/commitments"): {
        "description": "明天回电",
        "due_at": "2030-12-01T10:00:00+08:00",
    },
    ("POST", "/api/v1/tickets/{number}/commitments/{commitment_id}/complete"): None,
    ("POST", "/api/v1/tickets/{number}/commitments/{commitment_id}/cancel"): {"reason": "客户取消"},
    ("PUT", "/api/v1/agents/{user_id}/availability"): {"availability": "online"},
}
_ARTICLE_FORM = {"title": "改", "body": "改", "language": "zh", "audience": "internal"}
# Web routes by URL name: the form data of their POST (None: GET only).
WEB_POST_DATA: dict[str, dict[str, Any] | None] = {
    "tickets:detail": None,
    "channels:attachment": None,
    "channels:inbound": None,
    "channels:release": {"action": "dismiss"},
    "tickets:export_record": None,
    "tickets:timeline_older": None,
    "customers:detail": None,
    "triage:ticket_panel": None,
    "tickets:reply": {"body": "你好"},
    "tickets:note": {"body": "看一下"},
    "tickets:update": {"status": "open", "priority": "3", "kind": "inquiry"},
    "tickets:handling": {"need_statement": "客户需要退款", "solution": "退款"},
    "tickets:add_commitment": {"description": "回电", "due_at": "2030-01-01T10:00"},
    "tickets:complete_commitment": {},
    "tickets:cancel_commitment": {"reason": "客户取消"},
    "accounts:revoke_token": {},
    "accounts:notification_open": {},
    "triage:rule_edit": {
        "name": "改",
        "field": "kind",
        "value": "inquiry",
        "language": "any",
        "patterns": "x",
        "weight": "1",
        "position": "0",
        "action": "save",
    },
    "triage:routing_rule_edit": {"name": "改", "team": "", "language": "any", "action": "save"},
    "triage:set_agent_availability": {"availability": "online"},
    "triage:set_agent_skills": {},
    "triage:configure_queue": {
        "assignment_strategy": "round_robin",
        "offline_release_minutes": "5",
    },
    "knowledge:article": None,
    "knowledge:article_edit": _ARTICLE_FORM,
    "knowledge:article_translate": {**_ARTICLE_FORM, "language": "en"},
    "knowledge:article_status": {"status": "in_review"},
    "knowledge:article_vote": {"helpful": "yes"},
    "knowledge:article_review": {},
    "knowledge:versions": None,
    "knowledge:version": None,
    "knowledge:version_restore": {},
    "knowledge:synonym_delete": {},
    "knowledge:template_edit": {
        "title": "改",
        "scenario": "greeting",
        "language": "zh",
        "body": "您好",
        "is_active": "on",
    },
    "knowledge:ticket_panel": None,
    "knowledge:ticket_insert_article": {},
    "knowledge:ticket_templates": None,
    "knowledge:ticket_insert_template": {},
    "knowledge:macro_edit": {"title": "改", "priority": "2"},
    "knowledge:ticket_apply_macro": {},
}
# POST-only views answer GET with 405 whatever the id (reveals nothing): only POST them;
# the rule editor answers both.
POST_ONLY = {
    name
    for name, data in WEB_POST_DATA.items()
    if data is not None
    and name
    not in {
        "triage:rule_edit",
        "triage:routing_rule_edit",
        "knowledge:article_edit",
        "knowledge:article_translate",
        "knowledge:template_edit",
        "knowledge:macro_edit",
    }
}
SPECS = collect_specs()
for _spec in SPECS:
    PARAMETER_KINDS.update(_spec.parameter_kinds)
    API_BODIES.update(_spec.api_bodies)
    WEB_POST_DATA.update(_spec.web_post_data)
    POST_ONLY |= {
        name for name, data in _spec.web_post_data.items() if data is not None
    } - _spec.get_and_post
PUBLIC_PREFIXES = tuple(p for _spec in SPECS for p in _spec.public_prefixes)
ROLES = ["zhangwei", "wangqiang", "chenjie", "liuyang"]


@dataclass(frozen=True)
class Route:
    kind: str  # "api" | "web" | "admin"
    method: str
    template: str  # with {param} placeholders
    params: tuple[str, ...]
    name: str


def _walk(
    patterns: list[Any], prefix: str = "", namespace: str = ""
) -> Iterator[tuple[str, str, URLPattern]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = pattern.namespace or namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), namespace, pattern


def _django_template(route: str) -> tuple[str, tuple[str, ...]]:
    import re

    params = tuple(re.findall(r"<(?:\w+:)?(\w+)>", route))
    template = "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)
    return template, params


def discover_routes() -> list[Route]:
    routes: list[Route] = []
    schema = api.get_openapi_schema()
    for path, operations in schema["paths"].items():
        params = tuple(p.strip("{}") for p in path.split("/") if p.startswith("{"))
        if not params:
            continue
        for method in operations:
            routes.append(Route("api", method.upper(), path, params, path))
    for raw, namespace, pattern in _walk(get_resolver().url_patterns):
        if raw.startswith("api/"):
            continue
        template, params = _django_template(raw)
        if not params or template.startswith(PUBLIC_PREFIXES):
            continue
        if raw.startswith("admin/"):
            routes.append(Route("admin", "GET", template, params, str(pattern.name)))
            continue
        name = f"{namespace}:{pattern.name}" if namespace else str(pattern.name)
        if name not in POST_ONLY:
            routes.append(Route("web", "GET", template, params, name))
        if WEB_POST_DATA.get(name) is not None:
            routes.append(Route("web", "POST", template, params, name))
    return routes


def test_every_route_with_an_object_id_is_covered() -> None:
    routes = discover_routes()
    unknown_params = sorted(
        {(r.template, p) for r in routes if r.kind != "admin" for p in r.params}
        - {(r.template, p) for r in routes for p in r.params if p in PARAMETER_KINDS}
    )
    api_without_body = sorted(
        (r.method, r.template)
        for r in routes
        if r.kind == "api" and r.method != "GET" and (r.method, r.template) not in API_BODIES
    )
    web_unlisted = sorted({r.name for r in routes if r.kind == "web"} - set(WEB_POST_DATA))

    assert unknown_params == [], "teach PARAMETER_KINDS these parameters"
    assert api_without_body == [], "give API_BODIES a valid body for these routes"
    assert web_unlisted == [], "list these web routes in WEB_POST_DATA"
    assert any(r.kind == "api" for r in routes)


def _db_state() -> dict[str, object]:
    state: dict[str, object] = dict(
        row_counts(
            {
                "core",
                "accounts",
                "customers",
                "tickets",
                "triage",
                "knowledge",
                *(label for spec in SPECS for label in spec.db_apps),
            }
        )
    )
    from bihuan.tickets.models import Ticket as T

    state["ticket_fingerprint"] = hash(
        tuple(T.objects.order_by("pk").values_list("pk", "status", "priority", "updated_at"))
    )
    return state


@pytest.fixture
def outside(org: Any, settings: Any, tmp_path: Any) -> dict[str, Any]:
    """Objects only the admin, the supervisor and the other agent (lina) may see."""
    ticket = make_ticket(team=org.complaints, phone="13700000001", name="客户甲")
    services.update_ticket(ticket, services.TicketChanges(owner=org.other_agent), actor=org.admin)
    commitment = services.add_commitment(
        ticket,
        description="周五前给出处理结果",
        due_at=datetime(2030, 12, 4, 10, tzinfo=UTC),
        actor=org.other_agent,
    )
    services.add_internal_note(ticket, body="@supervisor 请关注", actor=org.other_agent)
    token, _plain = create_api_token(org.other_agent, name="lina's", actor=org.other_agent)
    notification = Notification.objects.get(recipient=org.supervisor)
    rule = TriageRule.objects.create(
        name="规则",
        field="kind",
        value="complaint",
        patterns="投诉",
        created_at=ticket.created_at,
        updated_at=ticket.created_at,
    )
    routing_rule = RoutingRule.objects.create(name="投诉路由", team=org.complaints)
    settings.MEDIA_ROOT = tmp_path / "media"
    held = ingest_email(  # a stranger's mail held on the ticket, with a file
        build_mail(
            sender="陌生人 <stranger@example.net>",
            subject=f"[#{ticket.pk}] 单据",
            message_id="<matrix-attachment@example.net>",
            attachments=[("单据.pdf", b"%PDF-1.4")],
        )
    )
    attachment = EmailAttachment.objects.get(inbound_id=held.inbound_id)
    # lina's draft (with a second version), her personal template, an admin's synonyms.
    article = knowledge_services.create_article(
        knowledge_services.ArticleFields(title="草稿", body="第一版"), actor=org.other_agent
    )
    article = knowledge_services.update_article(
        article,
        knowledge_services.ArticleFields(title="草稿", body="第二版"),
        actor=org.other_agent,
    )
    template = knowledge_services.create_template(
        knowledge_services.TemplateFields(title="我的话术", body="您好"), actor=org.other_agent
    )
    synonym = knowledge_services.create_synonym(terms="快递 物流", actor=org.admin)
    macro = knowledge_services.save_macro(  # shared, but only editors change it
        knowledge_services.MacroFields(title="已解决", status="solved"), actor=org.admin
    )
    objects: dict[str, Any] = {
        "article": article,
        "version": article.versions.get(number=1),
        "template": template,
        "synonym": synonym,
        "macro": macro,
        "rule": rule,
        "attachment": attachment,
        "inbound": InboundEmail.objects.get(pk=held.inbound_id or 0),
        "routing_rule": routing_rule,
        "team": org.complaints,
        "user": org.other_agent,  # only lina, the supervisor and the admin manage her
        "ticket": Ticket.objects.get(pk=ticket.pk),
        "customer": ticket.customer,
        "commitment": Commitment.objects.get(pk=commitment.pk),
        "token": token,
        "notification": notification,
    }
    for spec in SPECS:
        if spec.make_objects is not None:
            objects.update(spec.make_objects(org, objects))
    return objects


def _fill(route: Route, objects: dict[str, Any]) -> str:
    values = {p: objects[PARAMETER_KINDS.get(p, "ticket")].pk for p in route.params}
    return route.template.format(**values)


def _out_of_scope(route: Route, username: str) -> bool:
    kinds = {PARAMETER_KINDS.get(p, "?") for p in route.params}
    if kinds in ({"rule"}, {"routing_rule"}, {"team"}):
        return True  # only admins edit rules and queues
    if kinds == {"customer"}:
        return username in {"wangqiang", "chenjie"}  # department members
    return True


# The matrix runs as a few tests, each over its share of the routes (every route is in exactly
# one share), so that the two test workers split it instead of one of them running it all.
SHARES = 4


def _share(route: Route) -> int:
    return zlib.crc32(f"{route.method} {route.template}".encode()) % SHARES


def test_every_share_of_the_matrix_has_routes() -> None:
    sizes = Counter(_share(route) for route in discover_routes())

    assert sorted(sizes) == list(range(SHARES)), sizes


@pytest.mark.django_db
@pytest.mark.parametrize("share", range(SHARES))
def test_out_of_scope_objects_are_not_found_for_every_role_and_route(
    org: Any, outside: dict[str, Any], share: int
) -> None:
    failures = []
    # Nothing runs between one request's check and the next request, so the state after a
    # request is the state before the next one: read it once per request, not twice.
    before = _db_state()
    for route in (r for r in discover_routes() if _share(r) == share):
        path = _fill(route, outside)
        for username in [None, *ROLES]:
            if username is not None and not _out_of_scope(route, username):
                continue
            client = Client()
            headers: dict[str, str] = {}
            if route.kind == "api":
                if username:
                    headers["Authorization"] = f"Bearer {org.tokens[username]}"
                body = API_BODIES.get((route.method, route.template))
                response = client.generic(
                    route.method,
                    path,
                    data=json.dumps(body) if body is not None else "",
                    content_type="application/json",
                    headers=headers,
                )
                expected = 404 if username else 401
                ok = response.status_code == expected
            else:
                if username:
                    client.force_login(getattr(org, _attr(username)))
                if route.method == "POST":
                    response = client.post(path, WEB_POST_DATA.get(route.name) or {})
                else:
                    response = client.get(path)
                if route.kind == "admin":
                    ok = response.status_code == 302 and "/admin/login/" in response["Location"]
                elif username:
                    ok = response.status_code == 404
                else:
                    ok = response.status_code == 302 and "login" in response["Location"]
            after = _db_state()
            if not ok or after != before:
                failures.append((route.method, path, username, response.status_code))
            before = after
    assert failures == []


def _attr(username: str) -> str:
    return {
        "zhangwei": "agent",
        "wangqiang": "tech_member",
        "chenjie": "tech_head",
        "liuyang": "advisor",
    }[username]


@pytest.mark.django_db
def test_in_scope_users_do_reach_the_objects(org: Any, outside: dict[str, Any]) -> None:
    client = Client()
    number = outside["ticket"].pk

    response = client.get(
        f"/api/v1/tickets/{number}", headers={"Authorization": f"Bearer {org.tokens['lina']}"}
    )

    assert response.status_code == 200
