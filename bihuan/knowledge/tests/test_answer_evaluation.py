"""The labelled questions behind automatic answers, and their measurement: at least 300
Chinese and 100 English questions with a fixed dev/test split, written apart from the
articles; ``bihuan knowledge evaluate-answers`` on the demo's shelf."""

from __future__ import annotations

import re
from collections import Counter
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from bihuan.accounts.choices import Role
from bihuan.demo.conversation import Cast
from bihuan.demo.knowledge_setup import ARTICLES, set_up_knowledge
from bihuan.demo.material import organisation
from bihuan.knowledge import answer_evaluation as evaluation
from bihuan.knowledge.answering import DEFAULT_THRESHOLD
from bihuan.knowledge.choices import Audience
from bihuan.testing.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def shelf(db: None) -> None:
    names = {row[1] for row in ARTICLES}
    users: dict[str, Any] = {name: make_user(Role.AGENT, username=name) for name in names}
    supervisor = organisation.SUPERVISOR_USERNAME
    users[supervisor] = make_user(Role.SUPERVISOR, username=supervisor)
    set_up_knowledge(Cast(users=users, departments={}, teams={}, categories={}))


def test_the_labelled_set_has_300_chinese_and_100_english_questions_split_40_60() -> None:
    questions = evaluation.load_questions()
    slugs = set(evaluation.load_articles())

    by_language = Counter(q.language for q in questions)
    assert by_language["zh"] >= 300
    assert by_language["en"] >= 100
    assert {q.answer for q in questions} == slugs | {evaluation.NONE}
    assert len({q.id for q in questions}) == len(questions)
    assert len({q.question for q in questions}) == len(questions)
    for language in ("zh", "en"):
        part = [q for q in questions if q.language == language]
        dev = sum(1 for q in part if q.split == "dev")
        assert {q.split for q in part} == {"dev", "test"}
        assert 0.38 <= dev / len(part) <= 0.42
        nones = sum(1 for q in part if q.answer == evaluation.NONE)
        assert nones / len(part) >= 0.3


def test_the_labelled_articles_are_the_public_ones_of_the_demo_shelf() -> None:
    public = {(row[4], row[7]) for row in ARTICLES if row[3] == Audience.PUBLIC}

    labelled = {(t["zh"], t["en"]) for t in evaluation.load_articles().values()}

    assert labelled == public


def test_no_labelled_question_copies_an_article_title_or_answer() -> None:
    texts = [" ".join(row[4:]).lower() for row in ARTICLES]
    titles = {row[4] for row in ARTICLES} | {row[7].lower() for row in ARTICLES}

    for item in evaluation.load_questions():
        question = item.question.lower().rstrip("?？")
        assert question not in titles, item.id
        if len(question) >= 8:
            assert not any(question in text for text in texts), item.id


def _numbers(output: str, label: str) -> tuple[float, float]:
    match = re.search(rf"^{label}: precision ([0-9.]+) .*answered ([0-9.]+)%", output, re.M)
    assert match is not None, output
    return float(match.group(1)), float(match.group(2))


def test_evaluate_answers_tunes_on_dev_the_default_threshold(shelf: None) -> None:
    out = StringIO()

    call_command("knowledge", "evaluate-answers", "--split", "dev", "--tune", stdout=out)

    output = out.getvalue()
    assert f"threshold {DEFAULT_THRESHOLD:.2f} (tuned on dev)" in output
    precision, answered = _numbers(output, "dev all")
    assert precision >= 0.97
    assert answered > 10


def test_evaluate_answers_reports_the_test_part_in_both_languages(shelf: None) -> None:
    out = StringIO()

    call_command("knowledge", "evaluate-answers", stdout=out)

    output = out.getvalue()
    assert output.startswith("labelled questions: 442 (dev 177, test 265); threshold ")
    for label in ("test all", "test zh", "test en"):
        precision, answered = _numbers(output, label)
        assert 0 <= precision <= 1
        assert 0 < answered < 100


def test_evaluate_answers_refuses_a_database_without_the_labelled_articles(db: None) -> None:
    with pytest.raises(CommandError, match="not published here"):
        call_command("knowledge", "evaluate-answers", stdout=StringIO())
    with pytest.raises(CommandError, match="between 0 and 1"):
        call_command("knowledge", "evaluate-answers", "--threshold", "2", stdout=StringIO())
