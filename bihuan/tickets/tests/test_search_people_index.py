"""Customers by part of their name: the bigram index (PostgreSQL) finds exactly what the
containment test finds, and the search box's and the customer list's queries can use it."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from bihuan.customers.models import Customer
from bihuan.customers.queries import list_customers, name_contains
from bihuan.tickets.queries import find_customers_by_name

pytestmark = pytest.mark.django_db

NAMES = [
    "王芳",
    "王芳芳",
    "李王芳",
    "郭文静",
    "欧阳秀英",
    "Emily Carter",
    "emily CARTER-Smith",
    "Carter 王",
    "Anna-Lee",
    "aa",
    "50% off",
    "a_b",
]
_letters = st.sampled_from(list("王芳李郭文静欧阳秀英 EmilyCarteRSnaAL-%_b50"))


def _customers() -> None:
    if not Customer.objects.exists():
        now = timezone.now()
        Customer.objects.bulk_create(
            Customer(name=n, created_at=now, updated_at=now) for n in NAMES
        )


@st.composite
def _part_of_a_name(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(NAMES))
    start = draw(st.integers(0, len(name) - 2))
    return name[start : start + draw(st.integers(2, len(name)))]


@given(
    query=st.one_of(_part_of_a_name(), st.text(_letters, min_size=2, max_size=5)),
    case=st.sampled_from(["same", "upper", "lower"]),
)
def test_the_names_found_are_exactly_those_that_contain_the_text(
    query: str, case: str, org: Any
) -> None:
    _customers()
    text = {"same": query, "upper": query.upper(), "lower": query.lower()}[case]
    expected = {n for n in NAMES if text.upper() in n.upper()}

    found = set(name_contains(Customer.objects.all(), text).values_list("name", flat=True))

    assert found == expected
    if len(text.strip()) >= 2:
        by_box = {c.name for c in find_customers_by_name(org.supervisor, text.strip())}
        assert by_box == {n for n in NAMES if text.strip().upper() in n.upper()}


def test_a_text_no_name_contains_finds_no_customer_in_the_list_or_the_box(org: Any) -> None:
    _customers()
    assert find_customers_by_name(org.supervisor, "退款") == []
    assert list(list_customers(org.supervisor, query="refund").items) == []
    assert [c.name for c in list_customers(org.supervisor, query="carter").items] == [
        "Carter 王",
        "emily CARTER-Smith",
        "Emily Carter",
    ]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the bigram index is PostgreSQL's")
def test_the_name_search_can_use_the_bigram_index(org: Any) -> None:
    _customers()
    sql, params = (
        name_contains(Customer.objects.all(), "王芳").order_by("-id")[:20].query.sql_with_params()
    )
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "customer_name_bigram_idx" in plan
