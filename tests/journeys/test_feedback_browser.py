"""A customer answers a CSAT survey on a phone: the mailed link opens the survey without
signing in, a score, a reason and a comment are sent, and a second visit changes the answer
within the window; then the quarterly campaign survey (季度回访调研) of five questions —
rating, NPS, single and multiple choice, free text — on the same page, a required question
left out first. A forged link gets a clear message.

Screenshots land in test-artifacts/screenshots/ (``feedback-survey-<step>-phone``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, expect

from bihuan.accounts.choices import Role
from bihuan.accounts.models import Department, Team, User
from bihuan.core.runner import Runner
from bihuan.customers.models import Customer
from bihuan.customers.services import ContactDetails
from bihuan.feedback import services as feedback
from bihuan.feedback.models import CampaignSurvey, QuestionAnswer, SurveyReason, SurveyResponse
from bihuan.sla.defaults import install_default_policies
from bihuan.tickets import services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE: ViewportSize = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    context.set_default_timeout(15_000)
    expect.set_options(timeout=15_000)
    yield context
    context.close()


@pytest.fixture
def survey_link(settings: Any, live_server: Any) -> str:
    """A solved ticket's CSAT survey, mailed by the background engine; the link in the mail."""
    settings.BIHUAN_MAIL_FROM = "闭环客服 <support@example.cn>"
    settings.BIHUAN_PUBLIC_URL = str(live_server)
    install_default_policies()
    department = Department.objects.create(name="客服部")
    team = Team.objects.create(name="售后组", department=department)
    agent = User.objects.create_user("zhangwei", role=Role.AGENT, display_name="张伟")
    team.members.add(agent)
    for position, (label, english) in enumerate((("响应快", "Quick"), ("态度好", "Friendly"))):
        SurveyReason.objects.create(label=label, label_en=english, position=position)
    ticket = services.create_ticket(
        services.NewTicket(
            subject="洗衣机漏水",
            body="新买的洗衣机第一次用就漏水。",
            team=team,
            contact=ContactDetails(name="王芳", email="wangfang@example.com"),
        ),
        actor=None,
    )
    services.update_ticket(ticket, services.TicketChanges(owner=agent), actor=agent)
    services.change_status(ticket, status="solved", actor=agent)
    Runner("test", raise_errors=True).run_until_idle()
    found = re.search(r"(http://\S+/survey/\S+/)\n", str(mail.outbox[0].body))
    assert found is not None, mail.outbox[0].body
    return found.group(1)


def _campaign_link() -> tuple[str, list[int]]:
    """The quarterly survey sent to the same customer (the background engine mails it)."""
    supervisor = User.objects.create_user("supervisor", role=Role.SUPERVISOR)
    survey = feedback.create_campaign(
        feedback.CampaignFields(
            title="季度回访调研",
            intro="感谢您过去三个月的支持！五个问题，大约两分钟。",
            questions=(
                feedback.QuestionFields(
                    "rating", "总体来说，您对我们的服务满意吗？", (), True, True
                ),
                feedback.QuestionFields("nps", "您有多大可能把我们推荐给朋友？", (), True),
                feedback.QuestionFields(
                    "single", "您最常通过哪个渠道联系我们？", ("电话", "在线客服", "微信公众号")
                ),
                feedback.QuestionFields(
                    "multiple",
                    "哪些方面最需要改进？（可多选）",
                    ("响应速度", "物流配送", "售后政策"),
                ),
                feedback.QuestionFields("text", "还有什么想对我们说的？"),
            ),
            send_at=timezone.now(),
            customers=(Customer.objects.get(),),
        ),
        actor=supervisor,
    )
    Runner("test", raise_errors=True).run_until_idle()
    found = re.search(r"(http://\S+/survey/\S+/)\n", str(mail.outbox[-1].body))
    assert found is not None, mail.outbox[-1].body
    assert mail.outbox[-1].subject == "季度回访调研"
    return found.group(1), list(survey.questions.values_list("pk", flat=True))


def _no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width


def test_a_customer_answers_and_then_changes_a_survey_on_a_phone(
    phone: BrowserContext, survey_link: str, screenshot: Any
) -> None:
    page = phone.new_page()

    page.goto(survey_link)
    expect(page.get_by_test_id("survey")).to_be_visible()
    _no_sideways_scroll(page)
    screenshot(page, "feedback-survey-form-phone")
    page.locator("label[for=score-2]").tap()
    page.get_by_text("响应快").tap()
    page.locator("textarea[name=comment]").fill("第二次上门才修好")
    page.get_by_test_id("survey-submit").tap()
    expect(page.get_by_test_id("survey-thanks")).to_be_visible()
    screenshot(page, "feedback-survey-thanks-phone")

    page.goto(survey_link)
    expect(page.get_by_test_id("survey-editing")).to_be_visible()
    expect(page.get_by_test_id("score-2")).to_be_checked()
    page.locator("label[for=score-4]").tap()
    page.get_by_test_id("survey-submit").tap()
    expect(page.get_by_test_id("survey-thanks")).to_be_visible()

    response = SurveyResponse.objects.get()
    assert (response.score, response.edit_count, response.comment) == (4, 1, "第二次上门才修好")
    assert list(response.reasons.values_list("label", flat=True)) == ["响应快"]

    link, (rating, nps, single, multiple, text) = _campaign_link()
    page.goto(link)
    expect(page.get_by_test_id("survey-question")).to_have_count(5)
    _no_sideways_scroll(page)
    page.locator(f"label[for=q{rating}-4]").tap()
    page.locator(f"label[for=q{single}-1]").tap()
    page.locator(f"label[for=q{multiple}-0]").tap()
    page.locator(f"label[for=q{multiple}-1]").tap()
    page.locator(f"textarea[name=q{text}]").fill("希望周末也有人工客服")
    page.get_by_test_id("survey-submit").tap()  # the NPS question is required
    expect(page.get_by_test_id("survey-error")).to_be_visible()
    expect(page.get_by_test_id(f"q{multiple}-1")).to_be_checked()  # nothing typed is lost
    page.locator(f"label[for=q{nps}-9]").tap()
    screenshot(page, "feedback-campaign-form-phone")
    page.get_by_test_id("survey-submit").tap()
    expect(page.get_by_test_id("survey-thanks")).to_be_visible()

    campaign = SurveyResponse.objects.get(invitation__survey=CampaignSurvey.objects.get())
    assert campaign.score == 4
    answers = {a.question_id: (a.number, a.choices, a.text) for a in QuestionAnswer.objects.all()}
    assert answers == {
        rating: (4, [], ""),
        nps: (9, [], ""),
        single: (1, [], ""),
        multiple: (None, [0, 1], ""),
        text: (None, [], "希望周末也有人工客服"),
    }


def test_a_score_left_out_and_a_forged_link_get_clear_messages_on_a_phone(
    phone: BrowserContext, survey_link: str, screenshot: Any
) -> None:
    page = phone.new_page()

    page.goto(survey_link)
    page.get_by_test_id("survey-submit").tap()
    expect(page.get_by_test_id("survey-error")).to_be_visible()
    _no_sideways_scroll(page)
    screenshot(page, "feedback-survey-missing-score-phone")
    page.goto(survey_link.replace("/survey/", "/survey/x"))
    expect(page.get_by_test_id("survey-closed")).to_be_visible()
    screenshot(page, "feedback-survey-forged-phone")

    assert SurveyResponse.objects.count() == 0
