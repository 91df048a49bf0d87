"""schemathesis over the whole OpenAPI document, in-process against the ASGI application:
no 500 answer, every answer declared and matching its schema, invalid input rejected."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from bihuan.asgi import application
from bihuan.testing.factories import make_ticket

schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", application)

CHECKS_RUN = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


@pytest.fixture
def token(org: Any) -> str:
    # A few tickets so that small generated numbers sometimes exist.
    for i in range(3):
        make_ticket(subject=f"测试工单 {i}", team=org.presales, phone=f"1380000000{i}")
    return str(org.tokens["zhangwei"])


@pytest.mark.django_db(transaction=True)
@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_answers_every_generated_request_as_declared(case: Any, token: str) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS_RUN)
