"""Search from one box, in Chinese and English, scoped to what the viewer may see."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from bihuan.testing.factories import make_ticket
from bihuan.tickets import services
from bihuan.tickets.models import Ticket
from bihuan.tickets.queries import search, search_tickets

pytestmark = pytest.mark.django_db


def test_a_chinese_word_finds_it_inside_a_sentence(org: Any) -> None:
    refund = make_ticket(subject="售后问题", body="我要申请退款，衣服尺码不合适", team=org.presales)
    make_ticket(subject="物流问题", body="快递三天没有更新了", team=org.presales)

    found = search_tickets(org.agent, "退款")

    assert [t.pk for t in found] == [refund.pk]


def test_every_word_of_a_chinese_query_must_match(org: Any) -> None:
    both = make_ticket(
        subject="退款进度", body="退款什么时候到账？用的是微信支付", team=org.presales
    )
    make_ticket(subject="退款", body="申请退货退款", team=org.presales)

    found = search_tickets(org.agent, "微信 退款")

    assert [t.pk for t in found] == [both.pk]


def test_english_words_match_case_insensitively(org: Any) -> None:
    ticket = make_ticket(
        subject="Invoice", body="Please resend the INVOICE for order 1234", team=org.presales
    )
    make_ticket(subject="Delivery", body="My parcel is late", team=org.presales)

    assert [t.pk for t in search_tickets(org.agent, "invoice")] == [ticket.pk]
    assert [t.pk for t in search_tickets(org.agent, "Parcel late")] != [ticket.pk]


def test_replies_and_notes_are_searchable_too(org: Any) -> None:
    ticket = make_ticket(subject="无法登录", body="App 登录一直提示密码错误", team=org.presales)
    services.add_internal_note(ticket, body="疑似账号被盗，已冻结", actor=org.agent)

    assert [t.pk for t in search_tickets(org.agent, "冻结")] == [ticket.pk]


def test_a_subject_match_ranks_above_a_message_match(org: Any) -> None:
    in_body = make_ticket(subject="咨询", body="顺便问一下发票怎么开", team=org.presales)
    in_subject = make_ticket(subject="发票开具", body="请帮我开具增值税专用发票", team=org.presales)

    found = search_tickets(org.agent, "发票")

    assert [t.pk for t in found] == [in_subject.pk, in_body.pk]


def test_search_never_shows_tickets_outside_the_viewer_scope(org: Any) -> None:
    make_ticket(subject="退款", body="申请退款", team=org.complaints)

    assert search_tickets(org.agent, "退款") == []
    assert len(search_tickets(org.supervisor, "退款")) == 1


def test_the_box_finds_a_ticket_by_number_and_a_customer_by_phone_or_email(org: Any) -> None:
    ticket = make_ticket(team=org.presales, phone="13812345678", email="li@example.com")

    assert search(org.agent, f"#{ticket.pk}").ticket == ticket
    assert search(org.agent, str(ticket.pk)).ticket == ticket
    assert [c.pk for c in search(org.agent, "138 1234 5678").customers] == [ticket.customer_id]
    assert [c.pk for c in search(org.agent, "LI@example.com").customers] == [ticket.customer_id]


def test_queries_with_only_punctuation_or_fts_syntax_find_nothing_and_do_not_fail(org: Any) -> None:
    make_ticket(subject="退款", body="申请退款", team=org.presales)

    for query in ['"', "AND OR NOT", "*", '退款"', "NEAR(", "' OR 1=1 --", "   "]:
        result = search(org.agent, query)
        assert isinstance(result.tickets, list)


def test_a_nul_character_in_the_search_box_is_ignored_on_every_database(org: Any) -> None:
    ticket = make_ticket(subject="退款", body="申请退款", team=org.presales)

    result = search(org.agent, "退\x00款")

    assert [t.pk for t in result.tickets] == [ticket.pk]


def _small_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    """A recent window of 8 messages (2 tickets) and 4 ranked candidates stand in for 20,000
    messages and 500 candidates, so that a few tickets make a long history."""
    from bihuan.tickets import search as search_module

    monkeypatch.setattr(search_module, "RECENT_MESSAGES", 8)
    monkeypatch.setattr(search_module, "CANDIDATES", 4)


def test_a_common_word_is_ranked_among_the_newest_matches_only(
    org: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _small_bounds(monkeypatch)
    # The old ticket is the best match for 退款 (in its subject too) but is not recent.
    old = make_ticket(subject="退款，退款", body="退款 退款 还能退款吗", team=org.presales)
    newer = [
        make_ticket(subject=f"订单 {n}", body="申请退款，尺码不合适", team=org.presales)
        for n in range(12)
    ]

    found = [t.pk for t in search_tickets(org.agent, "退款", limit=3)]

    assert len(found) == 3
    assert old.pk not in found
    assert set(found) <= {t.pk for t in newer[-4:]}  # only the newest candidates were ranked


def test_a_rare_word_in_a_three_year_old_ticket_is_found(
    org: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _small_bounds(monkeypatch)
    with time_machine.travel(timezone.now() - timedelta(days=3 * 365), tick=False):
        old = make_ticket(subject="保修卡丢了", body="保修卡丢了还能保修吗", team=org.presales)
    for n in range(10):
        make_ticket(subject=f"订单 {n}", body="申请退款，尺码不合适", team=org.presales)

    assert [t.pk for t in search_tickets(org.agent, "保修卡")] == [old.pk]
    assert [t.pk for t in search_tickets(org.supervisor, "保修卡")] == [old.pk]
    assert (timezone.now() - Ticket.objects.get(pk=old.pk).created_at).days >= 3 * 365


def test_a_phrase_finds_only_tickets_with_every_word_even_behind_many_partial_matches(
    org: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _small_bounds(monkeypatch)
    both = make_ticket(
        subject="Delivery", body="The parcel arrived damaged, box crushed", team=org.presales
    )
    for n in range(10):
        make_ticket(subject=f"Order {n}", body="My parcel is late again", team=org.presales)
        make_ticket(subject=f"Broken {n}", body="The screen arrived damaged", team=org.presales)

    assert [t.pk for t in search_tickets(org.agent, "parcel arrived damaged")] == [both.pk]
    assert [t.pk for t in search_tickets(org.agent, "申请 保修", limit=5)] == []


def test_an_agent_with_a_narrow_scope_finds_their_ticket_behind_newer_ones_they_cannot_see(
    org: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _small_bounds(monkeypatch)
    mine = make_ticket(subject="退款", body="申请退款，尺码不合适", team=org.presales)
    others = [
        make_ticket(subject=f"退款 {n}", body="申请退款", team=org.complaints) for n in range(12)
    ]

    assert [t.pk for t in search_tickets(org.agent, "退款")] == [mine.pk]
    theirs = [t.pk for t in search_tickets(org.other_agent, "退款", limit=3)]
    assert len(theirs) == 3
    assert set(theirs) <= {t.pk for t in others}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's JIT")
def test_postgresql_sessions_run_without_jit_compilation() -> None:
    # JIT would compile each search and count query for longer than it runs (settings.py).
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)
