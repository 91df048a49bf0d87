"""Automatic answers (智能预处理): a new inquiry on a channel an admin switched on is answered
from the knowledge base at once and waits for the customer; complaints and upset customers
never are; a customer who writes again goes to a person with a higher priority."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from bihuan.accounts.choices import Role
from bihuan.core.errors import PermissionDenied, ValidationFailed
from bihuan.core.models import Event
from bihuan.core.runner import Runner
from bihuan.knowledge import auto_answers
from bihuan.knowledge.choices import Audience, AutoAnswerOutcome, HandoverReason, SkipReason
from bihuan.knowledge.models import Article, AutoAnswer, AutoAnswerChannel
from bihuan.knowledge.tests.factories import make_article
from bihuan.testing.factories import make_ticket, make_user
from bihuan.tickets import services as ticket_services
from bihuan.tickets.choices import MessageKind, Priority, TicketStatus, TicketType
from bihuan.tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db

SUBJECT = "退款多久到账"
QUESTION = "请问退款一般多久能到账？"
REFUND_ANSWER = (
    "您好，退款审核通过后会原路退回：微信、支付宝 1–3 个工作日，银行卡 3–7 个工作日到账。"
)


@pytest.fixture
def shelf(org: Any) -> dict[str, Article]:
    """Two public articles and an internal one, published."""
    refund = make_article(
        org.agent,
        title="退款多久到账",
        body="退款审核通过后原路退回。微信支付、支付宝 1–3 个工作日，银行卡 3–7 个工作日到账。",
        answer=REFUND_ANSWER,
        audience=Audience.PUBLIC,
        publish_by=org.supervisor,
    )
    invoice = make_article(
        org.agent,
        title="如何开具发票",
        body="订单完成后，在订单详情 → 申请发票 填写抬头和税号，电子发票 1 个工作日内发送到邮箱。",
        audience=Audience.PUBLIC,
        publish_by=org.supervisor,
    )
    lost = make_article(
        org.agent,
        title="物流显示签收但客户没收到",
        body="核对收货地址，联系快递员要求签收凭证；24 小时内找不回按丢件处理。",
        audience=Audience.INTERNAL,
        publish_by=org.supervisor,
    )
    return {"refund": refund, "invoice": invoice, "lost": lost}


@pytest.fixture
def assistant(org: Any) -> Any:
    return make_user(Role.AGENT, username="assistant", display_name="智能助手")


@pytest.fixture
def web_on(org: Any, assistant: Any) -> AutoAnswerChannel:
    return auto_answers.configure_auto_answers(
        auto_answers.ChannelSetting(channel="web", is_enabled=True, sender=assistant),
        actor=org.admin,
    )


def _verbs(ticket: Ticket) -> list[str]:
    return list(
        Event.objects.filter(ticket_id=ticket.pk, verb__startswith="knowledge.")
        .order_by("id")
        .values_list("verb", flat=True)
    )


def test_an_inquiry_on_a_channel_switched_on_is_answered_at_once_and_waits_for_the_customer(
    shelf: dict[str, Article], web_on: AutoAnswerChannel, assistant: Any
) -> None:
    ticket = make_ticket(subject=SUBJECT, body=QUESTION, channel="web")

    Runner().run_until_idle()

    ticket.refresh_from_db()
    row = AutoAnswer.objects.get(ticket=ticket)
    reply = Message.objects.filter(ticket=ticket, kind=MessageKind.REPLY).get()
    assert (row.outcome, row.article_id, row.message_id) == (
        AutoAnswerOutcome.ANSWERED,
        shelf["refund"].pk,
        reply.pk,
    )
    assert row.confidence >= web_on.threshold
    assert reply.body.startswith(REFUND_ANSWER)
    assert reply.author_id == assistant.pk
    assert ticket.status == TicketStatus.PENDING_CUSTOMER
    assert _verbs(ticket) == ["knowledge.auto_answered"]


def test_a_channel_left_off_answers_nothing(shelf: dict[str, Article], web_on: Any) -> None:
    ticket = make_ticket(subject=SUBJECT, body=QUESTION, channel="email")

    Runner().run_until_idle()

    ticket.refresh_from_db()
    assert not AutoAnswer.objects.exists()
    assert not Message.objects.filter(ticket=ticket, kind=MessageKind.REPLY).exists()
    assert ticket.status == TicketStatus.NEW
    assert _verbs(ticket) == []


def test_complaints_and_upset_customers_are_never_answered_automatically(
    shelf: dict[str, Article], web_on: Any
) -> None:
    complaint = make_ticket(
        subject="退款多久到账",
        body="退款多久到账？",
        channel="web",
        kind=TicketType.COMPLAINT,
        explicit_fields=("kind",),
    )
    angry = make_ticket(
        subject="退款多久到账",
        body="气死我了！退款到现在还没到账，你们太垃圾了，再不退钱我就投诉！",
        channel="web",
    )

    Runner().run_until_idle()

    assert not AutoAnswer.objects.filter(ticket=complaint).exists()
    row = AutoAnswer.objects.get(ticket=angry)
    assert (row.outcome, row.reason) in {
        (AutoAnswerOutcome.SKIPPED, SkipReason.UPSET),
        (AutoAnswerOutcome.SKIPPED, SkipReason.COMPLAINT),
    }
    for ticket in (complaint, angry):
        assert not Message.objects.filter(ticket=ticket, kind=MessageKind.REPLY).exists()
    assert _verbs(angry) == ["knowledge.auto_answer_skipped"]


def test_a_question_the_public_articles_do_not_answer_is_left_to_an_agent(
    shelf: dict[str, Article], web_on: Any
) -> None:
    paper = make_ticket(subject="纸质发票", body="可以开纸质发票寄到公司吗", channel="web")
    phone = make_ticket(
        subject="怎么修改绑定的手机号", body="换号了，想改一下手机号", channel="web"
    )

    Runner().run_until_idle()

    for ticket in (paper, phone):
        ticket.refresh_from_db()
        row = AutoAnswer.objects.get(ticket=ticket)
        assert (row.outcome, row.reason) == (AutoAnswerOutcome.SKIPPED, SkipReason.NO_ANSWER)
        assert row.confidence < web_on.threshold
        assert ticket.status == TicketStatus.NEW
        assert not Message.objects.filter(ticket=ticket, kind=MessageKind.REPLY).exists()


def test_the_customer_writing_again_brings_a_person_with_a_higher_priority(
    shelf: dict[str, Article], web_on: Any, assistant: Any
) -> None:
    ticket = make_ticket(subject=SUBJECT, body=QUESTION, channel="web")
    Runner().run_until_idle()
    ticket.refresh_from_db()
    priority = ticket.priority

    ticket_services.add_customer_message(ticket, body="没用，还是没到账，我要人工客服")
    Runner().run_until_idle()

    ticket.refresh_from_db()
    row = AutoAnswer.objects.get(ticket=ticket)
    assert row.handed_over_at is not None
    assert row.handover_reason == HandoverReason.NOT_HELPFUL
    assert ticket.priority == min(priority + 1, Priority.URGENT)
    assert ticket.owner_id != assistant.pk
    assert ticket.status == TicketStatus.OPEN
    assert _verbs(ticket) == ["knowledge.auto_answered", "knowledge.auto_answer_handed_over"]

    ticket_services.add_customer_message(ticket, body="还在吗？")
    Runner().run_until_idle()

    ticket.refresh_from_db()
    assert ticket.priority == min(priority + 1, Priority.URGENT)
    assert _verbs(ticket).count("knowledge.auto_answer_handed_over") == 1


def test_a_plain_follow_up_is_recorded_as_the_customer_writing_again() -> None:
    assert auto_answers.handover_reason("好的，那我再等等") == HandoverReason.CUSTOMER_WROTE
    assert auto_answers.handover_reason("This did not help at all") == HandoverReason.NOT_HELPFUL


def test_the_answerer_run_twice_sends_one_answer(shelf: dict[str, Article], web_on: Any) -> None:
    ticket = make_ticket(subject=SUBJECT, body=QUESTION, channel="web")
    opening = Message.objects.get(ticket=ticket)

    first = auto_answers.answer_automatically(ticket.pk, message_id=opening.pk)
    second = auto_answers.answer_automatically(ticket.pk, message_id=opening.pk)
    Runner().run_until_idle()

    assert first is not None
    assert second is not None
    assert first.pk == second.pk
    assert Message.objects.filter(ticket=ticket, kind=MessageKind.REPLY).count() == 1
    assert _verbs(ticket) == ["knowledge.auto_answered"]


def test_an_agent_who_replied_first_is_not_answered_over(
    org: Any, shelf: dict[str, Article], web_on: Any
) -> None:
    ticket = make_ticket(subject=SUBJECT, body=QUESTION, channel="web")
    ticket_services.reply_to_customer(ticket, body="您好，我来帮您查。", actor=org.agent)

    Runner().run_until_idle()

    row = AutoAnswer.objects.get(ticket=ticket)
    assert (row.outcome, row.reason) == (AutoAnswerOutcome.SKIPPED, SkipReason.ALREADY_HANDLED)
    assert Message.objects.filter(ticket=ticket, kind=MessageKind.REPLY).count() == 1


def test_only_admins_switch_automatic_answers_and_bad_settings_change_nothing(
    org: Any, assistant: Any
) -> None:
    good = auto_answers.ChannelSetting(channel="web", is_enabled=True, sender=assistant)

    with pytest.raises(PermissionDenied):
        auto_answers.configure_auto_answers(good, actor=org.supervisor)
    for bad in (
        auto_answers.ChannelSetting(channel="fax", is_enabled=True, sender=assistant),
        auto_answers.ChannelSetting(
            channel="web", is_enabled=True, sender=assistant, threshold=0.2
        ),
        auto_answers.ChannelSetting(channel="web", is_enabled=True, sender=org.tech_member),
        auto_answers.ChannelSetting(channel="web", is_enabled=True, sender=None),
    ):
        with pytest.raises(ValidationFailed):
            auto_answers.configure_auto_answers(bad, actor=org.admin)

    assert not AutoAnswerChannel.objects.exists()
    assert not Event.objects.filter(verb="knowledge.auto_answers_configured").exists()


def _login(user: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_an_admin_switches_a_channel_on_from_the_page(org: Any, assistant: Any) -> None:
    client = _login(org.admin)

    page = client.get("/knowledge/auto-answers/")
    saved = client.post(
        "/knowledge/auto-answers/",
        {"channel": "chat", "is_enabled": "on", "threshold": "0.8", "sender": assistant.pk},
    )

    assert page.status_code == 200
    assert page.content.count(b'data-testid="auto-answer-channel"') == 10
    assert saved.status_code == 302
    setting = AutoAnswerChannel.objects.get()
    assert (setting.channel, setting.is_enabled, setting.threshold, setting.sender_id) == (
        "chat",
        True,
        0.8,
        assistant.pk,
    )
    listed = client.get("/knowledge/auto-answers/")
    assert b'data-channel="chat" data-enabled="yes"' in listed.content


def test_the_page_refuses_a_bad_threshold_and_other_roles_and_changes_nothing(
    org: Any, assistant: Any
) -> None:
    data = {"channel": "chat", "is_enabled": "on", "threshold": "0.3", "sender": assistant.pk}

    with translation.override("en"):
        refused = _login(org.admin).post("/knowledge/auto-answers/", data)
    by_supervisor = _login(org.supervisor).post(
        "/knowledge/auto-answers/", {**data, "threshold": "0.8"}, HTTP_HX_REQUEST="true"
    )
    by_agent = _login(org.agent).get("/knowledge/auto-answers/")

    assert refused.status_code == 422
    assert b'data-testid="auto-answer-error"' in refused.content
    assert b"between 0.5 and 1" in refused.content
    assert by_supervisor.status_code == 403
    assert by_agent.status_code == 403
    assert not AutoAnswerChannel.objects.exists()


def test_the_ticket_page_panel_says_the_ticket_was_answered_automatically(
    org: Any, shelf: dict[str, Article], web_on: Any
) -> None:
    ticket = make_ticket(subject=SUBJECT, body=QUESTION, channel="web")
    Runner().run_until_idle()

    panel = _login(org.supervisor).get(f"/knowledge/tickets/{ticket.pk}/panel/")

    assert panel.status_code == 200
    assert b'data-testid="auto-answer" data-outcome="answered" data-handed-over="no"' in (
        panel.content
    )


def test_the_ticket_timeline_tells_the_automatic_answer_and_the_handover(
    org: Any, shelf: dict[str, Article], web_on: Any
) -> None:
    ticket = make_ticket(subject=SUBJECT, body=QUESTION, channel="web")
    Runner().run_until_idle()
    ticket_services.add_customer_message(ticket, body="This did not help")
    Runner().run_until_idle()

    with translation.override("en"):
        page = _login(org.supervisor).get(f"/tickets/{ticket.pk}/")

    assert page.status_code == 200
    text = page.content.decode()
    assert "answered automatically with the article “退款多久到账”" in text
    assert "the customer said the automatic answer did not help" in text


def test_a_sender_no_longer_active_answers_nothing(
    shelf: dict[str, Article], web_on: Any, assistant: Any
) -> None:
    assistant.is_active = False
    assistant.save(update_fields=["is_active"])
    ticket = make_ticket(subject=SUBJECT, body=QUESTION, channel="web")

    Runner().run_until_idle()

    ticket.refresh_from_db()
    assert not AutoAnswer.objects.exists()
    assert ticket.status == TicketStatus.NEW
    assert not Message.objects.filter(ticket=ticket, kind=MessageKind.REPLY).exists()
