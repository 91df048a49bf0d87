"""Search from one box, in Chinese and English, scoped to what the viewer may see."""

from __future__ import annotations

from typing import Any

import pytest

from bihuan.testing.factories import make_ticket
from bihuan.tickets import services
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


def test_a_common_word_is_ranked_in_the_recent_history_and_a_rare_one_found_anywhere(
    org: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bihuan.tickets import search as search_module

    # Windows of 8 and 80 messages (2 and 20 tickets) stand in for 20,000 and 400,000.
    monkeypatch.setattr(search_module, "WINDOWS", (8, 80, None))
    # The old ticket is the best match for 退款 (in its subject too) but is not recent.
    old = make_ticket(subject="保修卡丢了，退款", body="保修卡丢了还能退款吗", team=org.presales)
    newer = [
        make_ticket(subject=f"订单 {n}", body="申请退款，尺码不合适", team=org.presales)
        for n in range(12)
    ]

    common = search_module.ranked_ticket_ids("退款", limit=3)
    assert len(common) == 3
    assert set(common) <= {t.pk for t in newer[-8:]}  # only the recent window was ranked

    assert search_module.ranked_ticket_ids("保修卡", limit=3) == [old.pk]  # found in the past
    everything = search_module.ranked_ticket_ids("退款", limit=50)  # too few recent matches
    assert set(everything) == {old.pk, *(t.pk for t in newer)}
