"""The public survey pages' own access matrix: every /survey/ route, with a forged, a
cut-short, an expired and a reused token, anonymous or signed in — a clear answer and no
change to anything."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from bihuan.feedback.models import SurveyInvitation
from bihuan.feedback.services import SurveyAnswer, answer_survey, survey_token
from bihuan.feedback.tests.conftest import csat_of, feedback_state, solved_ticket
from bihuan.sla.tests.conftest import Clock

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("policies", "mail_from"),
]
ROUTES = [
    ("GET", "/survey/{}/"),
    ("POST", "/survey/{}/"),
    ("GET", "/survey/{}/opt-out/"),
    ("POST", "/survey/{}/opt-out/"),
]


def tokens(org: Any, clock: Clock) -> dict[str, str]:
    """A forged, a cut-short, an expired and a reused (answered, window over) token."""
    clock.travel("2026-03-02T10:00+08:00")
    answered = solved_ticket(org, email="a@example.com")
    clock.run()
    answer_survey(survey_token(csat_of(answered)), SurveyAnswer(score=4))
    clock.travel("2026-03-10T10:00+08:00")
    expired = solved_ticket(org, email="b@example.com")
    clock.run()
    clock.travel("2026-03-30T10:00+08:00")
    good = survey_token(csat_of(expired))
    number, signature = good.rsplit(":", 1)
    other = SurveyInvitation(pk=csat_of(expired).pk, nonce="0" * 16)
    return {
        "forged": f"{number}:{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}",
        "wrong_nonce": survey_token(other),
        "cut": good[: len(good) // 2],
        "expired": good,
        "reused": survey_token(csat_of(answered)),
    }


EXPECTED = {
    # (method, route) → status by token; opt-out only needs a genuine link (expired is fine:
    # a customer may always ask for no more mail).
    ("GET", "/survey/{}/"): {
        "forged": 404,
        "wrong_nonce": 404,
        "cut": 404,
        "expired": 410,
        "reused": 409,
    },
    ("POST", "/survey/{}/"): {
        "forged": 404,
        "wrong_nonce": 404,
        "cut": 404,
        "expired": 410,
        "reused": 409,
    },
    ("GET", "/survey/{}/opt-out/"): {
        "forged": 404,
        "wrong_nonce": 404,
        "cut": 404,
        "expired": 200,
        "reused": 200,
    },
    ("POST", "/survey/{}/opt-out/"): {"forged": 404, "wrong_nonce": 404, "cut": 404},
}


@pytest.mark.parametrize("signed_in", [False, True])
def test_bad_links_get_a_clear_answer_and_change_nothing(
    org: Any, clock: Clock, signed_in: bool
) -> None:
    links = tokens(org, clock)
    client = Client(headers={"Accept-Language": "en"})
    if signed_in:
        client.force_login(org.supervisor)  # staff rights give nothing here
    before = feedback_state()
    answers = {}

    for (method, route), by_token in EXPECTED.items():
        for name in by_token:
            path = route.format(links[name])
            response = client.post(path, {"score": "5"}) if method == "POST" else client.get(path)
            answers[(method, route, name)] = response.status_code

    assert answers == {
        (method, route, name): status
        for (method, route), by_token in EXPECTED.items()
        for name, status in by_token.items()
    }
    assert feedback_state() == before
