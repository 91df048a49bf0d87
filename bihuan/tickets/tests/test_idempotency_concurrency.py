"""Two clients retrying at the same moment with one Idempotency-Key get one ticket."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from bihuan.tickets.models import Ticket


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_create_one_ticket(org: Any) -> None:
    token = org.tokens["zhangwei"]
    payload = {
        "subject": "重复扣款",
        "body": "同一笔订单被扣了两次钱",
        "customer": {"phone": "13612345678"},
    }

    def send(_: int) -> tuple[int, Any]:
        try:
            response = Client().post(
                "/api/v1/tickets",
                data=payload,
                content_type="application/json",
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "pay-991"},
            )
            return response.status_code, response.json()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(send, range(8)))

    assert {status for status, _body in results} == {201}
    assert len({body["number"] for _status, body in results}) == 1
    assert Ticket.objects.count() == 1
