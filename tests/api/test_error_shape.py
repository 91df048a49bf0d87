"""One error shape everywhere in the API: ``{code, message}`` with the right status, never an
HTML page, plain text or a 500 (issue 9: dates, cursors and odd input)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from bihuan.core.pagination import encode_cursor
from bihuan.testing.factories import make_ticket
from conftest import Org
from tests.security.state import db_state

pytestmark = pytest.mark.django_db(transaction=True)


def _shape(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code
    assert isinstance(body["message"], str)
    assert body["message"]


def _cursor(raw: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(raw).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/api/v1/nothing-here", 404, "not_found"),
        ("GET", "/api/v1/tickets/1/nothing", 404, "not_found"),
        ("GET", "/api/v1/tickets/²", 422, "validation_failed"),
        ("GET", "/api/v1/tickets/①", 422, "validation_failed"),
        ("GET", "/api/v1/customers/١٢", 422, "validation_failed"),
        ("POST", "/api/v1/nothing-here", 404, "not_found"),
        ("DELETE", "/api/v1/tickets", 405, "method_not_allowed"),
        ("PUT", "/api/v1/tickets/1", 405, "method_not_allowed"),
        ("DELETE", "/api/v1/customers/1", 405, "method_not_allowed"),
    ],
)
def test_unknown_paths_and_wrong_methods_answer_json(
    org: Org, method: str, path: str, status: int, code: str
) -> None:
    response = org.client("zhangwei").request(method, path)

    _shape(response, status, code)
    if status == 405:
        assert response.headers["Allow"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/v1/tickets", {"subject": "x", "body": "y", "customer": {"name": "z"}}),
        ("POST", "/api/v1/customers", {"name": "z"}),
        ("PATCH", "/api/v1/tickets/1", {"priority": "urgent"}),
        ("GET", "/api/v1/tickets", None),
    ],
)
def test_requests_without_credentials_answer_401_not_a_csrf_refusal(
    org: Org, method: str, path: str, body: Any
) -> None:
    before = db_state()

    response = org.client(None).request(method, path, json=body)

    _shape(response, 401, "unauthenticated")
    assert db_state() == before


@pytest.mark.parametrize("size", [3_000_000, 5_000_000])
@pytest.mark.parametrize("path", ["/api/v1/tickets", "/api/v1/customers"])
def test_a_body_over_the_limit_answers_413_json(org: Org, size: int, path: str) -> None:
    before = db_state()
    body = json.dumps({"name": "x" * size, "subject": "s", "body": "b", "customer": {}})

    response = org.client("zhangwei").post(
        path, content=body, headers={"Content-Type": "application/json"}
    )

    _shape(response, 413, "payload_too_large")
    assert db_state() == before


@pytest.mark.parametrize(
    "change",
    [
        {"team_id": 999_999},
        {"category_id": 999_999},
        {"customer": {"id": 999_999}},
    ],
)
def test_an_unknown_reference_on_create_answers_the_same_status_and_code(
    org: Org, change: dict[str, Any]
) -> None:
    payload = {"subject": "问题", "body": "内容", "customer": {"name": "王芳"}, **change}
    before = db_state()

    response = org.client("zhangwei").post("/api/v1/tickets", json=payload)

    _shape(response, 422, "unknown_reference")
    assert "999999" in response.json()["message"]
    assert "team" not in response.json()["message"]
    assert db_state() == before


@pytest.mark.parametrize(
    "change",
    [
        {"team_id": 999_999},
        {"category_id": 999_999},
        {"owner_id": 999_999},
        {"department_id": 999_999},
        {"shared_department_ids": [999_999]},
    ],
)
def test_an_unknown_reference_on_patch_answers_the_same_status_and_code(
    org: Org, change: dict[str, Any]
) -> None:
    ticket = make_ticket(team=org.presales)
    before = db_state()

    response = org.client("zhangwei").patch(f"/api/v1/tickets/{ticket.pk}", json=change)

    _shape(response, 422, "unknown_reference")
    assert db_state() == before


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor",
        "%%%",
        _cursor(["n", "x", 1]),
        _cursor(["n", 1, 2**70]),
        _cursor(["n", 2**70, 1]),
        _cursor(["n", {"dt": "9999-12-31T23:00:00-05:00"}, 1]),
        _cursor(["n", {"dt": "0001-01-01T00:00:00+14:00"}, 1]),
        _cursor(["n", {"dt": "yesterday"}, 1]),
        _cursor(["n", [1, 2], 1]),
        _cursor(["n", True, 1]),
        _cursor(["x", 1, 1]),
        _cursor(["n", 1.5, -1]),
        _cursor({"a": 1}),
        encode_cursor("n", "2026-01-01", 1),
    ],
)
@pytest.mark.parametrize("path", ["/api/v1/tickets", "/api/v1/customers"])
def test_a_forged_cursor_answers_422(org: Org, cursor: str, path: str) -> None:
    make_ticket(team=org.presales)

    response = org.client("zhangwei").get(path, params={"cursor": cursor})

    _shape(response, 422, "invalid_cursor")


@pytest.mark.parametrize(
    "params",
    [
        {"created_from": "9999-12-31"},
        {"created_to": "9999-12-31"},
        {"created_from": "0001-01-01"},
        {"created_to": "1999-12-31"},
        {"created_from": "2101-01-01"},
    ],
)
def test_a_filter_date_outside_the_window_answers_422(org: Org, params: dict[str, str]) -> None:
    response = org.client("zhangwei").get("/api/v1/tickets", params=params)

    # The declared pattern admits only 2000–2100, so the schema refuses it first.
    _shape(response, 422, "validation_failed")
    assert "created_" in response.json()["message"]


@pytest.mark.parametrize(
    "params",
    [
        {"customer_id": "²"},
        {"customer_id": "①"},
        {"team_id": "１２"},
        {"limit": "⑤"},
    ],
)
def test_unicode_digits_in_an_id_field_answer_422(org: Org, params: dict[str, str]) -> None:
    response = org.client("zhangwei").get("/api/v1/tickets", params=params)

    _shape(response, 422, "validation_failed")


@pytest.mark.parametrize("query", ["²", "①②③", "#²", "١٢٣", "１２３４５６７８９０１"])
def test_unicode_digits_in_a_search_never_fail(org: Org, query: str) -> None:
    response = org.client("zhangwei").get("/api/v1/customers", params={"q": query})

    assert response.status_code == 200


def test_the_openapi_document_lists_the_error_codes(org: Org) -> None:
    schema = org.client("zhangwei").get("/api/v1/openapi.json").json()

    assert "unknown_reference" in schema["info"]["description"]
    assert "412" in schema["paths"]["/api/v1/tickets/{number}"]["patch"]["responses"]


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"body": "内容", "customer": {"name": "王"}}, "subject is required."),
        ({"subject": "   ", "body": "内容", "customer": {"name": "王"}}, "subject is empty"),
        ({"subject": "s" * 201, "body": "b", "customer": {}}, "longer than 200 characters"),
        ({"subject": "s", "body": "b", "customer": {}, "team_id": "x"}, "team_id must be a whole"),
        ({"subject": "s", "body": "b", "customer": {}, "type": "x"}, "type must be one of"),
        ({"subject": "s", "body": "b", "customer": {}, "spam": 1}, "spam is not a field"),
    ],
)
def test_validation_messages_are_sentences_in_the_users_language(
    org: Org, payload: dict[str, Any], message: str
) -> None:
    response = org.client("zhangwei").post(
        "/api/v1/tickets", json=payload, headers={"Accept-Language": "en"}
    )

    _shape(response, 422, "validation_failed")
    assert message in response.json()["message"]
    assert response.json()["detail"]


@pytest.mark.parametrize(
    ("method", "path", "body", "label"),
    [
        ("POST", "/api/v1/tickets", {"team_id": 99999}, "队列"),
        ("POST", "/api/v1/tickets", {"category_id": 99999}, "分类"),
        ("POST", "/api/v1/tickets", {"customer": {"id": 99999}}, "客户"),
        ("PATCH", "/api/v1/tickets/{n}", {"owner_id": 99999}, "负责人"),
        ("PATCH", "/api/v1/tickets/{n}", {"department_id": 99999}, "部门"),
    ],
)
def test_an_unknown_reference_is_named_in_the_users_language(
    org: Org, method: str, path: str, body: dict[str, Any], label: str
) -> None:
    ticket = make_ticket(team=org.presales)
    if method == "POST":
        body = {"subject": "问题", "body": "内容", "customer": {"name": "王芳"}, **body}

    response = org.client("zhangwei").request(
        method, path.format(n=ticket.pk), json=body, headers={"Accept-Language": "zh-hans"}
    )

    _shape(response, 422, "unknown_reference")
    assert response.json()["message"] == f"不存在 ID 为 99999 的{label}。"
