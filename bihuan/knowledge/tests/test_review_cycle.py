"""Keeping articles current: a policy change flags articles for review within 24 hours (due
work on the engine), owners see their flagged and stale articles, a review closes the task."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from bihuan.core.errors import PermissionDenied, ValidationFailed
from bihuan.core.models import DueItem, Event, Notification, Tag, WorkState
from bihuan.core.runner import Runner
from bihuan.knowledge import queries, services
from bihuan.knowledge.models import PolicyChange, ReviewTask
from bihuan.knowledge.tests.factories import make_article

pytestmark = pytest.mark.django_db
START = datetime(2026, 10, 9, 2, 0, tzinfo=UTC)


@pytest.fixture
def shelf(org: Any) -> dict[str, Any]:
    with time_machine.travel(START, tick=False):
        return {
            "refund": make_article(org.agent, tags=["退款"], publish_by=org.supervisor),
            "other_refund": make_article(
                org.other_agent,
                title="退款到哪里",
                body="原路退回。",
                tags=["退款"],
                publish_by=org.supervisor,
            ),
            "invoice": make_article(
                org.agent, title="发票", body="电子发票。", tags=["发票"], publish_by=org.supervisor
            ),
            "draft": make_article(org.agent, title="退款草稿", body="草稿", tags=["退款"]),
        }


def test_a_policy_change_flags_the_live_articles_with_its_tag_for_their_owners(
    org: Any, shelf: dict[str, Any]
) -> None:
    with time_machine.travel(START, tick=False):
        services.flag_policy_change(
            title="退款时效改为 7 天", tag=Tag.objects.get(name="退款"), actor=org.supervisor
        )

    tasks = ReviewTask.objects.order_by("article_id")
    assert [(t.article.title, t.assignee, t.due_at) for t in tasks] == [
        ("退款多久到账", org.agent, START + timedelta(hours=24)),
        ("退款到哪里", org.other_agent, START + timedelta(hours=24)),
    ]
    assert set(
        DueItem.objects.filter(kind="knowledge.review_overdue").values_list("state", "due_at")
    ) == {(WorkState.PENDING, START + timedelta(hours=24))}
    assert (
        Notification.objects.filter(
            recipient=org.agent, event__verb="knowledge.review_requested"
        ).count()
        == 1
    )


def test_a_policy_change_can_select_articles_by_search_words(
    org: Any, shelf: dict[str, Any]
) -> None:
    services.flag_policy_change(title="开票流程变更", query="发票", actor=org.admin)

    assert list(ReviewTask.objects.values_list("article__title", flat=True)) == ["发票"]


def test_a_review_not_done_in_24_hours_turns_overdue_once_and_tells_the_supervisors(
    org: Any, shelf: dict[str, Any]
) -> None:
    with time_machine.travel(START, tick=False):
        services.flag_policy_change(title="新政策", query="发票", actor=org.supervisor)
    with time_machine.travel(START + timedelta(hours=23), tick=False):
        Runner().run_until_idle()
    assert ReviewTask.objects.get().is_overdue is False

    with time_machine.travel(START + timedelta(hours=24, minutes=1), tick=False):
        Runner().run_until_idle()
        Runner().run_until_idle()

    assert ReviewTask.objects.get().is_overdue is True
    assert Event.objects.filter(verb="knowledge.review_overdue").count() == 1
    told = Notification.objects.filter(event__verb="knowledge.review_overdue")
    assert set(told.values_list("recipient__username", flat=True)) == {
        "zhangwei",
        "supervisor",
        "admin",
    }


def test_confirming_an_article_closes_its_task_cancels_the_deadline_and_sets_the_next_date(
    org: Any, shelf: dict[str, Any]
) -> None:
    with time_machine.travel(START, tick=False):
        services.flag_policy_change(title="新政策", query="发票", actor=org.supervisor)
        article = services.complete_review(shelf["invoice"], actor=org.agent)
    with time_machine.travel(START + timedelta(days=2), tick=False):
        Runner().run_until_idle()

    task = ReviewTask.objects.get()
    assert (task.done_by, task.is_overdue) == (org.agent, False)
    assert article.review_by == date(2027, 4, 7)
    assert DueItem.objects.get(kind="knowledge.review_overdue").state == WorkState.CANCELLED


def test_only_editors_record_policy_changes_and_a_change_must_select_something(
    org: Any, shelf: dict[str, Any]
) -> None:
    with pytest.raises(PermissionDenied):
        services.flag_policy_change(title="x", query="退款", actor=org.agent)
    with pytest.raises(ValidationFailed):
        services.flag_policy_change(title="x", actor=org.supervisor)

    assert PolicyChange.objects.count() == 0
    assert ReviewTask.objects.count() == 0


def test_owners_see_their_flagged_and_stale_articles_and_editors_see_all(
    org: Any, shelf: dict[str, Any], client: Client
) -> None:
    services.flag_policy_change(title="退款新规", query="原路", actor=org.supervisor)
    stale = shelf["invoice"]
    services.complete_review(stale, actor=org.agent, review_by=date(2099, 1, 1))

    mine = queries.review_list(org.agent, today=date(2099, 1, 2))
    everyone = queries.review_list(org.supervisor, today=date(2099, 1, 2))
    client.force_login(org.agent)
    page = client.get("/knowledge/review/").content.decode()

    assert [(r.article.title, r.task is not None, r.is_stale) for r in mine] == [
        ("退款多久到账", True, True),
        ("发票", False, True),
    ]
    assert {r.article.title for r in everyone} == {"退款多久到账", "退款到哪里", "发票"}
    assert "退款多久到账" in page
    assert "退款到哪里" not in page


def test_a_policy_change_through_the_page_flags_articles(
    org: Any, shelf: dict[str, Any], client: Client
) -> None:
    client.force_login(org.supervisor)

    response = client.post(
        "/knowledge/policy-changes/new/", {"title": "退款规则变更", "tag": "退款", "query": ""}
    )

    assert response.status_code == 302
    assert ReviewTask.objects.count() == 2
