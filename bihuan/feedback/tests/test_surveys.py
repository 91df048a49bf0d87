"""CSAT and NPS surveys through the real entry points: a solved ticket's survey mailed with
a signed link, answered once on the public page (a second submit changes it within the
window), reminded once, opt-out respected, bad links and scores refused."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from bihuan.core.models import DueItem, Event
from bihuan.feedback.models import SurveyInvitation, SurveyOptOut, SurveyResponse
from bihuan.feedback.services import survey_token
from bihuan.feedback.tests.conftest import csat_of, feedback_state, link_of, solved_ticket
from bihuan.sla.tests.conftest import Clock
from bihuan.tickets import services as tickets

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("policies", "mail_from"),
]


def english() -> Client:
    return Client(headers={"Accept-Language": "en"})


def link_in(message: Any) -> str:
    found = re.search(r"https://help\.example\.cn(/survey/[^/\s]+/)\n", message.body)
    assert found is not None, message.body
    return found.group(1)


def test_solving_a_ticket_mails_a_csat_survey_with_a_signed_link(org: Any, clock: Clock) -> None:
    clock.travel("2026-03-02T10:00+08:00")
    ticket = solved_ticket(org)

    clock.run("2026-03-02T10:00:05+08:00")

    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["wangfang@example.com"]
    assert str(ticket.pk) in sent.subject
    assert link_in(sent) == link_of(ticket)
    assert f"https://help.example.cn{link_of(ticket)}opt-out/" in sent.body
    invitation = csat_of(ticket)
    assert (invitation.state, invitation.agent_id, invitation.team_id) == (
        "sent",
        org.agent.pk,
        org.presales.pk,
    )
    assert Event.objects.filter(verb="feedback.survey_sent", ticket_id=ticket.pk).count() == 1


def test_the_customer_answers_once_and_a_second_submit_changes_the_answer(
    org: Any, clock: Clock
) -> None:
    clock.travel("2026-03-02T10:00+08:00")
    ticket = solved_ticket(org)
    clock.run()
    link = link_in(mail.outbox[0])
    client = english()

    page = client.get(link)
    first = client.post(link, {"score": "4", "comment": "还不错"})
    clock.travel("2026-03-02T18:00+08:00")
    second = client.post(link, {"score": "5", "comment": "后来主动回访，很满意"})

    assert page.status_code == 200
    assert b'data-testid="score-5"' in page.content
    assert first.status_code == second.status_code == 200
    assert b'data-testid="survey-thanks"' in second.content
    response = SurveyResponse.objects.get()
    assert (response.score, response.comment, response.edit_count) == (5, "后来主动回访，很满意", 1)
    assert response.invitation.ticket_id == ticket.pk
    assert [
        e.verb for e in Event.objects.filter(verb__startswith="feedback.survey_a").order_by("id")
    ] == [
        "feedback.survey_answered",
        "feedback.survey_answer_changed",
    ]


def test_an_answer_past_its_window_is_refused_with_a_message_and_changes_nothing(
    org: Any, clock: Clock
) -> None:
    clock.travel("2026-03-02T10:00+08:00")
    ticket = solved_ticket(org)
    clock.run()
    client = english()
    client.post(link_of(ticket), {"score": "5"})
    clock.travel("2026-03-03T10:01+08:00")
    before = feedback_state()

    page = client.get(link_of(ticket))
    again = client.post(link_of(ticket), {"score": "1"})

    assert page.status_code == again.status_code == 409
    assert b'data-code="survey_already_answered"' in again.content
    assert b"can no longer be changed" in again.content
    assert feedback_state() == before


@pytest.mark.parametrize("score", ["0", "6", "-1", "五", ""])
def test_an_out_of_range_score_gets_a_clear_message_and_changes_nothing(
    org: Any, clock: Clock, score: str
) -> None:
    clock.travel("2026-03-02T10:00+08:00")
    ticket = solved_ticket(org)
    clock.run()
    before = feedback_state()

    page = english().post(link_of(ticket), {"score": score})

    assert page.status_code == 422
    assert b'data-testid="survey-error"' in page.content
    assert feedback_state() == before


def test_a_forged_or_expired_link_gets_a_clear_message_and_changes_nothing(
    org: Any, clock: Clock
) -> None:
    clock.travel("2026-03-02T10:00+08:00")
    ticket = solved_ticket(org)
    clock.run()
    token = survey_token(csat_of(ticket))
    number, signature = token.rsplit(":", 1)
    forged = f"{number}:{signature[::-1]}"
    client = english()
    before = feedback_state()

    bad = client.post(f"/survey/{forged}/", {"score": "5"})
    cut = client.get(f"/survey/{token[:-3]}/")
    clock.travel("2026-03-16T10:00:01+08:00")  # 14 days after sending
    expired = client.post(f"/survey/{token}/", {"score": "5"})

    assert (bad.status_code, cut.status_code, expired.status_code) == (404, 404, 410)
    assert b"This survey link is not valid." in bad.content
    assert b"This survey link has expired." in expired.content
    assert feedback_state() == before


def test_an_unanswered_survey_is_reminded_once_after_48_hours(org: Any, clock: Clock) -> None:
    clock.travel("2026-03-02T10:00+08:00")
    ticket = solved_ticket(org)
    clock.run()

    clock.run("2026-03-04T09:59+08:00")
    assert len(mail.outbox) == 1
    clock.run("2026-03-04T10:00:05+08:00")
    clock.run("2026-03-04T23:00+08:00")  # (the NPS survey follows on 03-05)

    assert len(mail.outbox) == 2
    assert link_in(mail.outbox[1]) == link_of(ticket)
    assert csat_of(ticket).reminded_at is not None
    assert Event.objects.filter(verb="feedback.survey_reminded").count() == 1


def test_an_answered_survey_is_not_reminded(org: Any, clock: Clock) -> None:
    clock.travel("2026-03-02T10:00+08:00")
    ticket = solved_ticket(org)
    clock.run()
    english().post(link_of(ticket), {"score": "5"})

    clock.run("2026-03-04T23:00+08:00")  # past the reminder, before the NPS survey

    assert len(mail.outbox) == 1
    assert not DueItem.objects.filter(kind="feedback.remind_survey", state="pending").exists()


def test_an_opted_out_customer_gets_no_reminder_and_no_further_survey(
    org: Any, clock: Clock
) -> None:
    clock.travel("2026-03-02T10:00+08:00")
    ticket = solved_ticket(org)
    clock.run()
    client = english()

    confirm = client.get(f"{link_of(ticket)}opt-out/")
    done = client.post(f"{link_of(ticket)}opt-out/")
    client.post(f"{link_of(ticket)}opt-out/")  # twice: nothing more
    clock.run("2026-03-05T10:00+08:00")
    later = solved_ticket(org)
    clock.run("2026-06-30T10:00+08:00")

    assert confirm.status_code == 200
    assert SurveyOptOut.objects.count() == 1
    assert b'data-testid="opted-out"' in done.content
    assert len(mail.outbox) == 1
    assert csat_of(later).state == "opted_out"
    assert not SurveyInvitation.objects.filter(kind="nps").exists()
    assert Event.objects.filter(verb="feedback.opted_out").count() == 1


def test_a_customer_without_an_email_address_is_not_sent_a_survey_and_the_reason_is_kept(
    org: Any, clock: Clock
) -> None:
    clock.travel("2026-03-02T10:00+08:00")
    ticket = solved_ticket(org, email="")

    clock.run()

    invitation = csat_of(ticket)
    event = Event.objects.get(verb="feedback.survey_not_sent", ticket_id=ticket.pk)
    assert invitation.state == "failed"
    assert invitation.failure_reason == event.data["reason"] != ""
    assert mail.outbox == []


def test_a_ticket_solved_twice_gets_one_csat_survey(org: Any, clock: Clock) -> None:
    clock.travel("2026-03-02T10:00+08:00")
    ticket = solved_ticket(org)
    clock.run()
    tickets.change_status(ticket, status="open", actor=org.agent)
    tickets.change_status(ticket, status="solved", actor=org.agent)

    clock.run("2026-03-02T11:00+08:00")

    assert SurveyInvitation.objects.filter(ticket=ticket, kind="csat").count() == 1
    assert len(mail.outbox) == 1


def test_nps_is_mailed_days_after_contact_and_never_twice_in_a_quarter(
    org: Any, clock: Clock
) -> None:
    clock.travel("2026-03-02T10:00+08:00")
    solved_ticket(org)
    clock.run()
    clock.travel("2026-03-04T10:00+08:00")
    solved_ticket(org)  # the same customer again: still one NPS

    clock.run("2026-03-05T10:00:05+08:00")
    clock.run("2026-03-06T10:00+08:00")

    nps = SurveyInvitation.objects.filter(kind="nps")
    assert [(i.state, i.customer.name) for i in nps] == [("sent", "王芳")]
    link = f"/survey/{survey_token(nps.get())}/"
    answered = english().post(link, {"score": "9", "follow_up": "响应快"})
    assert answered.status_code == 200
    assert SurveyResponse.objects.get(kind="nps").follow_up == "响应快"
    # The next one is due a quarter later (the customer was in contact this quarter).
    due = DueItem.objects.get(kind="feedback.nps_due", state="pending")
    assert due.due_at.isoformat() == "2026-06-03T02:00:05+00:00"
