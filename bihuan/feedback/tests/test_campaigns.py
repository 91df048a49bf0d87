"""Campaign surveys (季度回访调研) through the builder page, the API and the survey link: built
and scheduled by a supervisor, sent at the chosen time to a segment (opted-out customers
and those without an address are not mailed), answered once per invitation (a second
submit edits), bad answers refused without a change, reminded under frozen time, a staff
opt-out respected, results per question and exports safe in a spreadsheet."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook  # type: ignore[import-untyped]

from bihuan.core.models import DueItem, Event
from bihuan.customers.models import Customer, CustomerIdentity
from bihuan.feedback import services
from bihuan.feedback.models import (
    CampaignSurvey,
    FeedbackEntry,
    QuestionAnswer,
    SurveyInvitation,
    SurveyOptOut,
    SurveyResponse,
)
from bihuan.feedback.services import SurveyAnswer, answer_survey, survey_token
from bihuan.feedback.services.campaigns import RawAnswer
from bihuan.feedback.tests.conftest import feedback_state
from bihuan.sla.tests.conftest import Clock

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("policies", "mail_from"),
]

QUESTIONS = [
    # (kind, text, options, required, satisfaction)
    ("rating", "您对本季度的服务满意吗？", "", True, True),
    ("nps", "您有多大可能向朋友推荐我们？", "", True, False),
    ("single", "您最常用哪个渠道联系我们？", "电话\n微信\n邮件", False, False),
    ("multiple", "哪些方面需要改进？", "响应速度\n专业程度\n售后政策", False, False),
    ("text", "还有什么建议？", "", False, False),
]


def signed_in(user: Any) -> Client:
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(user)
    return client


def english() -> Client:
    return Client(headers={"Accept-Language": "en"})


def person(name: str, email: str = "", tier: str = "standard") -> Customer:
    now = timezone.now()
    customer = Customer.objects.create(name=name, tier=tier, created_at=now, updated_at=now)
    if email:
        CustomerIdentity.objects.create(
            customer=customer, kind="email", value=email, is_primary=True, created_at=now
        )
    return customer


def builder_form(**extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "2026年一季度回访调研",
        "intro": "感谢您一直以来的支持，占用您两分钟。",
        "send_at": "2026-04-01T09:00",
        "q-TOTAL_FORMS": "6",
        "q-INITIAL_FORMS": "0",
        "q-MIN_NUM_FORMS": "0",
        "q-MAX_NUM_FORMS": "20",
        "q-5-kind": "text",  # an empty sixth row is left out
    }
    for n, (kind, text, options, required, satisfaction) in enumerate(QUESTIONS):
        data[f"q-{n}-kind"] = kind
        data[f"q-{n}-text"] = text
        data[f"q-{n}-options"] = options
        if required:
            data[f"q-{n}-required"] = "on"
        if satisfaction:
            data[f"q-{n}-is_satisfaction"] = "on"
    data.update(extra)
    return data


def campaign_fields(**extra: Any) -> services.CampaignFields:
    values: dict[str, Any] = {
        "title": "季度回访调研",
        "questions": tuple(
            services.QuestionFields(
                kind=kind,
                text=text,
                options=tuple(options.split("\n")) if options else (),
                required=required,
                is_satisfaction=satisfaction,
            )
            for kind, text, options, required, satisfaction in QUESTIONS
        ),
        "send_at": timezone.now(),
    }
    values.update(extra)
    return services.CampaignFields(**values)


def link_in(message: Any) -> str:
    found = re.search(r"https://help\.example\.cn(/survey/[^/\s]+/)\n", message.body)
    assert found is not None, message.body
    return found.group(1)


def ids(survey: CampaignSurvey) -> list[int]:
    return list(survey.questions.order_by("position").values_list("pk", flat=True))


def test_a_campaign_built_on_the_page_goes_to_its_segment_and_is_answered_once(
    org: Any, clock: Clock
) -> None:
    clock.travel("2026-03-30T10:00+08:00")
    wang = person("王芳", "wangfang@example.com", tier="gold")
    li = person("李雷", "lilei@example.com", tier="gold")
    person("周杰", tier="gold")  # no address: not sent, the reason kept
    person("赵敏", "zhaomin@example.com")  # standard tier: not in the segment
    services.set_survey_opt_out(li, opted_out=True, actor=org.agent)
    page = signed_in(org.supervisor)

    built = page.post("/feedback/surveys/new/", builder_form(tiers=["gold"]))
    survey = CampaignSurvey.objects.get()
    clock.run("2026-04-01T08:59+08:00")
    assert mail.outbox == []
    clock.run("2026-04-01T09:00:05+08:00")

    assert built.status_code == 302
    assert built["Location"] == f"/feedback/surveys/{survey.pk}/"
    listed = page.get("/feedback/surveys/")
    assert listed.content.count(b'data-testid="question-row"') == 6
    assert f'data-testid="campaign-row" data-state="sent" data-id="{survey.pk}"'.encode() in (
        listed.content
    )
    assert signed_in(org.agent).get("/feedback/surveys/").status_code == 403
    assert [(q.kind, q.required, q.is_satisfaction) for q in survey.questions.all()] == [
        (k, r, s) for k, _t, _o, r, s in QUESTIONS
    ]
    assert survey.questions.get(kind="single").options == ["电话", "微信", "邮件"]
    states = dict(SurveyInvitation.objects.values_list("customer__name", "state"))
    assert states == {"王芳": "sent", "李雷": "opted_out", "周杰": "failed"}
    assert [m.to for m in mail.outbox] == [["wangfang@example.com"]]
    assert mail.outbox[0].subject == "2026年一季度回访调研"
    link = link_in(mail.outbox[0])
    q1, q2, q3, q4, q5 = ids(survey)
    client = english()

    form = client.get(link)
    first = client.post(link, {f"q{q1}": "2", f"q{q2}": "6", f"q{q3}": "1", f"q{q4}": ["0", "2"]})
    clock.travel("2026-04-01T20:00+08:00")
    again = client.get(link)
    second = client.post(link, {f"q{q1}": "4", f"q{q2}": "9", f"q{q4}": "1", f"q{q5}": "很好"})

    assert form.status_code == 200
    assert form.content.count(b'data-testid="survey-question"') == 5
    assert first.status_code == second.status_code == 200
    assert b'data-testid="survey-thanks"' in second.content
    assert b'data-testid="survey-editing"' in again.content
    assert f'id="q{q4}-2" value="2" checked'.encode() in again.content
    response = SurveyResponse.objects.get()
    assert (response.kind, response.score, response.edit_count) == ("campaign", 4, 1)
    assert response.invitation.customer_id == wang.pk
    answers = {a.question_id: (a.number, a.choices, a.text) for a in QuestionAnswer.objects.all()}
    assert answers == {
        q1: (4, [], ""),
        q2: (9, [], ""),
        q4: (None, [1], ""),
        q5: (None, [], "很好"),
    }
    # The first answer's satisfaction of 2 opened a negative case; the edit keeps it.
    entry = FeedbackEntry.objects.get(response=response)
    assert (entry.source, entry.is_negative, entry.customer_id) == ("survey", True, wang.pk)
    assert entry.analysis.state == "open"
    verbs = list(
        Event.objects.filter(verb__startswith="feedback.")
        .order_by("id")
        .values_list("verb", flat=True)
    )
    assert verbs.count("feedback.survey_answered") == 1
    assert verbs.count("feedback.survey_answer_changed") == 1
    assert "feedback.campaign_scheduled" in verbs
    assert "feedback.campaign_sent" in verbs


def test_bad_answers_and_bad_links_are_refused_and_change_nothing(org: Any, clock: Clock) -> None:
    clock.travel("2026-04-01T09:00+08:00")
    wang = person("王芳", "wangfang@example.com", tier="gold")
    survey = services.create_campaign(campaign_fields(customers=(wang,)), actor=org.admin)
    clock.run("2026-04-01T09:00:05+08:00")
    token = survey_token(SurveyInvitation.objects.get())
    link = f"/survey/{token}/"
    q1, q2, q3, q4, _q5 = ids(survey)
    valid = {f"q{q1}": "5", f"q{q2}": "10"}
    client = english()
    before = feedback_state()

    cases = [
        ({**valid, "q999999": "3"}, 422, b"no question 999999"),
        ({**valid, "qx": "3"}, 422, b"no question x"),
        ({**valid, f"q{q1}": "6"}, 422, b"from 1 to 5"),
        ({**valid, f"q{q2}": "11"}, 422, b"from 0 to 10"),
        ({**valid, f"q{q3}": "3"}, 422, b"from the list"),
        ({**valid, f"q{q4}": ["0", "9"]}, 422, b"from the list"),
        ({**valid, f"q{q3}": ["0", "1"]}, 422, b"Give one answer"),
        ({f"q{q1}": "5"}, 422, b"Please answer"),
    ]
    results = [client.post(link, data) for data, _status, _text in cases]
    number, signature = token.rsplit(":", 1)
    forged = client.post(f"/survey/{number}:{signature[::-1]}/", valid)
    clock.travel("2026-04-15T09:00:06+08:00")  # 14 days after sending
    expired = client.post(link, valid)

    for (data, status, text), result in zip(cases, results, strict=True):
        assert result.status_code == status, data
        assert b'data-testid="survey-error"' in result.content
        assert text in result.content, data
    assert (forged.status_code, expired.status_code) == (404, 410)
    assert b"This survey link has expired." in expired.content
    assert feedback_state() == before
    assert SurveyResponse.objects.count() == 0


def test_reminders_run_on_the_timer_and_a_staff_opt_out_on_the_customer_page_is_respected(
    org: Any, clock: Clock
) -> None:
    clock.travel("2026-04-01T09:00+08:00")
    wang = person("王芳", "wangfang@example.com", tier="gold")
    zhao = person("赵敏", "zhaomin@example.com")
    services.create_campaign(campaign_fields(customers=(wang, zhao)), actor=org.supervisor)
    clock.run("2026-04-01T09:00:05+08:00")
    assert len(mail.outbox) == 2
    agent_page = signed_in(org.agent)
    before = feedback_state()

    refused = signed_in(org.tech_member).post(
        f"/feedback/customers/{zhao.pk}/surveys/", {"opted_out": "1"}
    )
    nonsense = agent_page.post(f"/feedback/customers/{zhao.pk}/surveys/", {"opted_out": "x"})
    assert (refused.status_code, nonsense.status_code) == (404, 302)  # 302: with a message
    assert feedback_state() == before
    toggled = agent_page.post(f"/feedback/customers/{zhao.pk}/surveys/", {"opted_out": "1"})
    shown = agent_page.get(f"/customers/{zhao.pk}/")
    clock.run("2026-04-03T08:59+08:00")
    reminders_early = len(mail.outbox)
    clock.run("2026-04-03T09:00:06+08:00")

    assert toggled.status_code == 302
    assert b'data-testid="customer-surveys-panel" data-opted-out="1"' in shown.content
    assert reminders_early == 2
    assert [m.to for m in mail.outbox[2:]] == [["wangfang@example.com"]]
    assert mail.outbox[2].subject.startswith("Reminder") or "提醒" in mail.outbox[2].subject
    opt_out = SurveyOptOut.objects.get()
    assert (opt_out.customer_id, opt_out.created_by_id) == (zhao.pk, org.agent.pk)
    event = Event.objects.get(verb="feedback.opted_out")
    assert (event.actor_id, event.customer_id, event.data) == (
        org.agent.pk,
        zhao.pk,
        {"by": "staff"},
    )

    back = agent_page.post(f"/feedback/customers/{zhao.pk}/surveys/", {"opted_out": "0"})
    assert back.status_code == 302
    assert not SurveyOptOut.objects.exists()
    assert Event.objects.filter(verb="feedback.opted_in", actor=org.agent).count() == 1
    assert not DueItem.objects.filter(kind="feedback.remind_survey", state="pending").exists()


def test_results_per_question_and_exports_through_the_api_and_the_page(
    org: Any, clock: Clock
) -> None:
    clock.travel("2026-04-01T09:00+08:00")
    people = [person(n, f"c{i}@example.com", tier="vip") for i, n in enumerate("甲乙丙")]
    api = org.client("supervisor")
    payload = {
        "title": "季度回访调研",
        "questions": [
            {
                "kind": k,
                "text": t,
                "options": o.split("\n") if o else [],
                "required": r,
                "is_satisfaction": s,
            }
            for k, t, o, r, s in QUESTIONS
        ],
        "send_at": "2026-04-01T09:00:00+08:00",
        "tiers": ["vip"],
    }
    before = feedback_state()

    refusals = [
        org.client("zhangwei").post("/api/v1/feedback/surveys", json=payload),
        api.post("/api/v1/feedback/surveys", json={**payload, "tiers": ["gold"]}),
        api.post("/api/v1/feedback/surveys", json={**payload, "tiers": ["diamond"]}),
        api.post("/api/v1/feedback/surveys", json={**payload, "tiers": [], "customers": [999]}),
        api.post("/api/v1/feedback/surveys", json={**payload, "tiers": []}),
        api.post(
            "/api/v1/feedback/surveys",
            json={**payload, "questions": [{"kind": "text", "text": "?", "is_satisfaction": True}]},
        ),
        api.post(
            "/api/v1/feedback/surveys",
            json={**payload, "questions": [{"kind": "single", "text": "?", "options": ["a"]}]},
        ),
    ]
    assert [(r.status_code, r.json()["code"]) for r in refusals] == [
        (403, "managers_only"),
        (422, "no_recipients"),
        (422, "invalid_choice"),
        (422, "unknown_reference"),
        (422, "no_recipients"),
        (422, "invalid_satisfaction"),
        (422, "invalid_options"),
    ]
    assert feedback_state() == before
    created = api.post("/api/v1/feedback/surveys", json=payload)
    assert created.status_code == 201, created.json()
    survey = CampaignSurvey.objects.get(pk=created.json()["id"])
    clock.run("2026-04-01T09:00:05+08:00")
    q1, q2, q3, q4, q5 = ids(survey)
    given: list[dict[int, RawAnswer]] = [
        {q1: 5, q2: 10, q3: 0, q4: [0, 1], q5: '=HYPERLINK("http://evil")'},
        {q1: 4, q2: 6, q3: 0, q4: [1]},
        {q1: 1, q2: 9, q3: 2, q5: "电话打不通"},
    ]
    for customer, answers in zip(people, given, strict=True):
        invitation = SurveyInvitation.objects.get(customer=customer)
        answer_survey(survey_token(invitation), SurveyAnswer(score=None, answers=answers))

    results = api.get(f"/api/v1/feedback/surveys/{survey.pk}").json()
    as_csv = signed_in(org.supervisor).get(f"/feedback/surveys/{survey.pk}/?format=csv")
    as_xlsx = signed_in(org.supervisor).get(f"/feedback/surveys/{survey.pk}/?format=xlsx")
    page = signed_in(org.supervisor).get(f"/feedback/surveys/{survey.pk}/")
    hidden = signed_in(org.agent).get(f"/feedback/surveys/{survey.pk}/")

    assert (results["answered"], results["response_rate"], results["invitations"]) == (
        3,
        100.0,
        {"answered": 3},
    )
    by_kind = {q["kind"]: q for q in results["questions"]}
    rating = by_kind["rating"]
    assert (rating["answered"], rating["average"]) == (3, 3.33)
    assert [d["count"] for d in rating["distribution"]] == [1, 0, 0, 1, 1]
    # NPS: promoters 10 and 9, one detractor (6): (2 - 1) / 3.
    assert (by_kind["nps"]["average"], by_kind["nps"]["nps"]) == (8.33, 33.3)
    assert [(d["label"], d["count"]) for d in by_kind["single"]["distribution"]] == [
        ("电话", 2),
        ("微信", 0),
        ("邮件", 1),
    ]
    assert [d["count"] for d in by_kind["multiple"]["distribution"]] == [1, 2, 0]
    assert by_kind["multiple"]["answered"] == 2
    assert sorted(by_kind["text"]["texts"]) == sorted(['=HYPERLINK("http://evil")', "电话打不通"])
    # The satisfaction rating of 1 went to the register as negative feedback, once.
    assert FeedbackEntry.objects.filter(source="survey", is_negative=True).count() == 1
    lines = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert lines[0][:4] == ["Customer", "Tier", "Answered at", "Changed"]
    assert lines[1][4:] == ["5", "10", "电话", "响应速度; 专业程度", '\'=HYPERLINK("http://evil")']
    sheet = load_workbook(io.BytesIO(as_xlsx.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][4:] == (5, 10, "电话", "响应速度; 专业程度", '\'=HYPERLINK("http://evil")')
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    assert page.status_code == 200
    assert page.content.count(b'data-testid="question-result"') == 5
    assert b'data-testid="campaign-state-answered" data-count="3"' in page.content
    assert hidden.status_code == 404
