"""Search in Chinese and English: segmented words, ranking, synonyms, English prefixes."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from bihuan.knowledge import queries, services
from bihuan.knowledge.choices import Language
from bihuan.knowledge.tests.factories import make_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def articles(org: Any) -> dict[str, Any]:
    def published(title: str, body: str, language: str = Language.ZH) -> Any:
        return make_article(
            org.agent, title=title, body=body, language=language, publish_by=org.supervisor
        )

    return {
        "refund": published("退款多久到账", "申请退款后，款项 1–3 个工作日内原路退回。"),
        "refund_mention": published("订单取消", "取消订单后系统自动发起退款。"),
        "lost": published("包裹丢失怎么办", "物流显示签收但没收到包裹，请先联系快递员。"),
        "tracking": published("查询物流进度", "在订单详情页可以看到物流轨迹。"),
        "english": published(
            "How long does a refund take", "Refunds reach your card in 3 days.", Language.EN
        ),
        "draft": make_article(org.agent, title="退款新规草稿", body="尚未发布的退款规则"),
    }


def _titles(rows: list[Any]) -> list[str]:
    return [a.title for a in rows]


def test_a_chinese_word_inside_a_sentence_is_found_and_a_title_match_ranks_first(
    org: Any, articles: dict[str, Any]
) -> None:
    found = queries.search_articles(org.agent, "退款")

    assert _titles(found) == ["退款多久到账", "订单取消"]


def test_every_word_must_match_in_the_search_box(org: Any, articles: dict[str, Any]) -> None:
    assert _titles(queries.search_articles(org.agent, "退款 到账")) == ["退款多久到账"]
    assert queries.search_articles(org.agent, "退款 包裹") == []


def test_synonyms_defined_by_an_admin_widen_the_search(org: Any, articles: dict[str, Any]) -> None:
    before = queries.search_articles(org.agent, "快递进度")

    services.create_synonym(terms="快递 物流", actor=org.admin)
    services.create_synonym(terms="退钱 退款", actor=org.admin)

    assert _titles(before) == []
    assert _titles(queries.search_articles(org.agent, "快递进度")) == ["查询物流进度"]
    assert _titles(queries.search_articles(org.agent, "我要退钱")) == ["退款多久到账", "订单取消"]


def test_an_english_prefix_finds_the_whole_word(org: Any, articles: dict[str, Any]) -> None:
    assert _titles(queries.search_articles(org.agent, "refun")) == ["How long does a refund take"]
    assert _titles(queries.search_articles(org.agent, "REFUNDS card")) == [
        "How long does a refund take"
    ]


def test_drafts_are_never_found_and_a_language_filter_keeps_one_language(
    org: Any, articles: dict[str, Any]
) -> None:
    assert "退款新规草稿" not in _titles(queries.search_articles(org.supervisor, "退款"))
    assert queries.search_articles(org.agent, "refund", language=Language.ZH) == []


def test_suggestions_read_the_ticket_text_and_match_any_of_its_words(
    org: Any, articles: dict[str, Any]
) -> None:
    found = queries.search_articles(
        org.agent, "你好，我的包裹一直没收到，快递也联系不上，怎么办", mode="any", limit=2
    )

    assert _titles(found)[0] == "包裹丢失怎么办"


def test_punctuation_and_query_syntax_are_only_words(org: Any, articles: dict[str, Any]) -> None:
    for query in ['"退款', "退款 OR 包裹", "NEAR(退款)", "退款*", "'; drop", "a:*", "!!!"]:
        queries.search_articles(org.agent, query)


def test_the_search_page_lists_matches_in_rank_order(
    org: Any, articles: dict[str, Any], client: Client
) -> None:
    client.force_login(org.agent)

    response = client.get("/knowledge/", {"q": "退款"})

    html = response.content.decode()
    assert response.status_code == 200
    assert html.index("退款多久到账") < html.index("订单取消")
    assert "退款新规草稿" not in html


def test_a_misspelt_english_word_is_corrected_when_nothing_matches(
    org: Any, articles: dict[str, Any]
) -> None:
    assert _titles(queries.search_articles(org.agent, "refnud")) == ["How long does a refund take"]
    assert _titles(queries.search_articles(org.agent, "how lnog refnud")) == [
        "How long does a refund take"
    ]
    assert queries.search_articles(org.agent, "xylophone") == []
