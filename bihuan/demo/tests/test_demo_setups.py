"""What the set-ups after the demo's history add (each app's ``bihuan/demo/<x>_setup.py``), on
the one demo load of this package: a second run adds nothing, and each delete removes what its
set-up added and nothing else."""

from __future__ import annotations

import pytest
import time_machine

from bihuan.automation.models import AutomationRule, Complaint
from bihuan.channels.choices import InboundStatus
from bihuan.channels.models import EmailAttachment, InboundEmail, Mailbox, OutboundEmail
from bihuan.core.models import DueItem, Event, WorkState
from bihuan.core.runner import Runner
from bihuan.customers.models import Customer
from bihuan.customers.queries import DuplicateReason, list_likely_duplicates
from bihuan.demo.auto_answer_setup import delete_auto_answer_setup, set_up_auto_answers
from bihuan.demo.automation_setup import RULE_NAMES, delete_automation_setup, set_up_automation
from bihuan.demo.cross_channel_setup import delete_cross_channel_setup, set_up_cross_channel
from bihuan.demo.email_setup import CUSTOMER_ADDRESSES, MAILBOX_ADDRESS, delete_email_setup
from bihuan.demo.feedback_setup import set_up_feedback
from bihuan.demo.generate import DemoResult, delete_demo
from bihuan.demo.material import organisation as org
from bihuan.demo.tasks_setup import delete_tasks_setup, set_up_tasks
from bihuan.demo.tests.moment import NOW, demo_cast
from bihuan.feedback.models import (
    FeedbackEntry,
    NegativeAnalysis,
    Rectification,
    SurveyInvitation,
    SurveyResponse,
)
from bihuan.feedback.queries import feedback_report, parse_period
from bihuan.knowledge.choices import AutoAnswerOutcome, SkipReason
from bihuan.knowledge.models import AutoAnswer, AutoAnswerChannel
from bihuan.tickets import services as ticket_services
from bihuan.tickets.choices import Channel, MessageKind, TaskState, TicketStatus
from bihuan.tickets.models import CallBack, CollaborationTask, Ticket
from bihuan.triage.models import OrderNumberMention, OrderNumberPattern

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("demo")]


def _ids() -> list[int]:
    return list(Ticket.objects.order_by("pk").values_list("pk", flat=True))


def test_open_and_overdue_tasks_and_call_backs_due(demo: DemoResult) -> None:
    waiting = Ticket.objects.filter(status=TicketStatus.PENDING_COLLABORATION).count()
    with time_machine.travel(NOW, tick=False):
        Runner("test", raise_errors=True).run_until_idle()
        again = set_up_tasks(demo_cast(), _ids())

    assert demo.counts["collaboration tasks"] == waiting > 0
    # (the runner adds the call-backs of tickets that later set-ups solved)
    assert 0 < demo.counts["call-backs"] <= CallBack.objects.count()
    assert again == {"collaboration tasks": 0, "call-backs": 0}  # once per ticket
    tasks = CollaborationTask.objects.all()
    assert {t.state for t in tasks} == {TaskState.OPEN}
    assert all(t.due_at is not None for t in tasks)
    overdue = tasks.filter(overdue_at__isnull=False)
    assert 0 < overdue.count() < tasks.count()
    assert Event.objects.filter(verb="sla.task_overdue").count() == overdue.count()
    assert CallBack.objects.filter(due_at__gt=NOW).exists()  # some still due
    # Still waiting for collaboration: the kanban's column means "a task is open".
    assert Ticket.objects.filter(status=TicketStatus.PENDING_COLLABORATION).count() == waiting

    delete_tasks_setup()

    assert DueItem.objects.filter(
        kind__in=("sla.task_overdue", "tickets.call_back_remind"), state=WorkState.PENDING
    ).exists()  # the demo's own timers stay while their rows exist


def test_rules_and_a_complaint_at_every_stage(demo: DemoResult) -> None:
    with time_machine.travel(NOW, tick=False):
        again = set_up_automation(demo_cast(), _ids())

    assert again["automation rules"] == 0
    assert sorted(AutomationRule.objects.values_list("name", flat=True)) == sorted(RULE_NAMES)
    stages = set(Complaint.objects.values_list("stage", flat=True))
    assert stages == {"acceptance", "diagnosis", "plan", "execution", "review", "done"}
    assert Complaint.objects.filter(stage="review", progress_sent_at__isnull=False).exists()

    delete_automation_setup()

    assert AutomationRule.objects.count() == 0
    assert not Event.objects.filter(subject_type="automation.automationrule").exists()


def test_order_numbers_and_a_likely_duplicate(demo: DemoResult) -> None:
    with time_machine.travel(NOW, tick=False):
        again = set_up_cross_channel(demo_cast(), _ids())

    labels = set(OrderNumberMention.objects.values_list("label", flat=True))
    duplicate = Customer.objects.get(identities__source="demo-duplicate")
    original = Customer.objects.exclude(pk=duplicate.pk).get(
        name=duplicate.name, organisation=duplicate.organisation
    )
    assert demo.counts["order numbers found"] > 50
    assert demo.counts["likely duplicate customers"] == 1
    assert again["likely duplicate customers"] == 0
    assert {"本店订单号", "顺丰运单号", "中通运单号"} <= labels
    assert [
        (s.customer.pk, s.reasons) for s in list_likely_duplicates(demo_cast().supervisor, original)
    ] == [(duplicate.pk, (DuplicateReason.NAME_AND_ORGANISATION,))]

    Ticket.objects.all().delete()  # as delete_demo does, before the set-ups
    delete_cross_channel_setup()

    assert not OrderNumberPattern.objects.filter(name="本店订单号").exists()
    assert not Event.objects.filter(subject_type="triage.ordernumberpattern").exists()
    assert not Customer.objects.filter(pk=duplicate.pk).exists()
    assert OrderNumberPattern.objects.count() == 5  # the seeded ones stay


def test_email_conversations_with_quoted_history_and_files(demo: DemoResult) -> None:
    mailbox = Mailbox.objects.get(address=MAILBOX_ADDRESS)
    tickets = list(Ticket.objects.filter(channel=Channel.EMAIL, created_at=NOW).order_by("pk"))

    assert (demo.counts["email conversations"], demo.counts["inbound emails"]) == (4, 7)
    assert mailbox.team is not None
    assert mailbox.team.name == org.AFTER_SALES_SERVICE
    assert [t.subject for t in tickets] == [
        "空气净化器开机报E3错误",
        "申请开具增值税专用发票",
        "CleanAir 300 批量采购询价",
        "Wrong size delivered – order 20251130-7714",
    ]
    assert set(InboundEmail.objects.values_list("status", flat=True)) == {InboundStatus.ON_TICKET}
    purifier = tickets[0]
    assert [m.kind for m in purifier.messages.order_by("id")] == [
        MessageKind.CUSTOMER,
        MessageKind.REPLY,
        MessageKind.CUSTOMER,
    ]
    answer = purifier.messages.order_by("id").last()
    assert answer is not None
    assert answer.body.startswith("复位之后还是 E3")
    assert "发件人" not in answer.body  # Foxmail's quoted block is folded away…
    kept = InboundEmail.objects.get(ticket_message=answer)
    assert "E3 是风机转速传感器的报警" in kept.text  # …and kept in the full text
    invoice_answer = tickets[1].messages.order_by("id").last()
    assert invoice_answer is not None
    assert invoice_answer.body == "好的，收到，谢谢！"
    assert tickets[2].messages.count() == 2  # Outlook's correction threads onto the request
    assert tickets[3].messages.get().body.endswith("Thanks,\nEmma")
    files = sorted(EmailAttachment.objects.values_list("filename", "content_type", "is_stored"))
    assert files == [
        ("E3故障照片.png", "image/png", True),
        ("开票信息.pdf", "application/pdf", True),
    ]
    assert OutboundEmail.objects.filter(ticket__in=tickets).count() == 2

    delete_email_setup()

    assert not Ticket.objects.filter(pk__in=[t.pk for t in tickets]).exists()
    assert not Customer.objects.filter(identities__value__in=CUSTOMER_ADDRESSES).exists()
    assert (InboundEmail.objects.count(), OutboundEmail.objects.count()) == (0, 0)
    assert not Mailbox.objects.exists()


def _ask(subject: str, body: str, channel: str) -> Ticket:
    customer = Customer.objects.order_by("pk").first()
    return ticket_services.create_ticket(
        ticket_services.NewTicket(subject=subject, body=body, channel=channel, customer=customer),
        actor=None,
    )


def test_web_and_chat_questions_are_answered_automatically(demo: DemoResult) -> None:
    again = set_up_auto_answers(demo_cast(), _ids())
    invoice = _ask("发票怎么开", "请问订单的发票怎么开具？", "web")
    address = _ask("修改收货地址", "下单后还能修改收货地址吗？", "chat")
    by_mail = _ask("发票怎么开", "请问订单的发票怎么开具？", "email")
    Runner().run_until_idle()

    assert demo.counts["channels with automatic answers"] == 2
    # A second run switches nothing on again and trains no second model.
    assert again == {"channels with automatic answers": 0, "active answer models": 1}
    assert sorted(AutoAnswerChannel.objects.values_list("channel", "is_enabled")) == [
        ("chat", True),
        ("web", True),
    ]
    answered = AutoAnswer.objects.select_related("article", "ticket").get(ticket=invoice)
    assert answered.outcome == AutoAnswerOutcome.ANSWERED
    assert answered.article is not None
    assert answered.article.title == "如何开具发票"
    assert answered.ticket.status == TicketStatus.PENDING_CUSTOMER
    skipped = AutoAnswer.objects.get(ticket=address)
    assert (skipped.outcome, skipped.reason) == (AutoAnswerOutcome.SKIPPED, SkipReason.NO_ANSWER)
    assert not AutoAnswer.objects.filter(ticket=by_mail).exists()

    delete_auto_answer_setup()

    assert not AutoAnswerChannel.objects.exists()


def test_the_feedback_loop_at_every_stage_and_its_deletion(demo: DemoResult) -> None:
    cast = demo_cast()
    with time_machine.travel(NOW, tick=False):
        again = set_up_feedback(cast, _ids())
        report = feedback_report(cast.supervisor, parse_period("2025-03-18", "2025-06-16"))

    assert demo.counts["survey answers"] > 100
    assert demo.counts["rectifications"] == 5
    assert again == {"rectifications": 0}
    assert SurveyResponse.objects.filter(kind="csat", score__lte=2).exists()
    assert SurveyResponse.objects.filter(kind="nps").count() > 5
    assert set(FeedbackEntry.objects.values_list("source", flat=True)) >= {
        "survey", "community", "callback", "internal",
    }  # fmt: skip
    assert set(NegativeAnalysis.objects.values_list("state", flat=True)) == {"open", "done"}
    assert NegativeAnalysis.objects.filter(is_systemic=True).exists()
    assert sorted(Rectification.objects.values_list("state", flat=True)) == sorted(
        ["pending", "in_progress", "awaiting_acceptance", "accepted", "returned"]
    )
    overall = report[0]
    assert overall.csat is not None
    assert overall.nps is not None
    assert (overall.conversion_rate or 0) > 0


def test_deleting_the_demo_removes_every_set_up(demo: DemoResult) -> None:
    assert delete_demo()

    assert Ticket.objects.count() == 0
    assert Customer.objects.count() == 0
    assert SurveyInvitation.objects.count() == 0
    assert FeedbackEntry.objects.count() == 0
    assert Rectification.objects.count() == 0
    assert AutomationRule.objects.count() == 0
    assert not AutoAnswerChannel.objects.exists()
    assert not AutoAnswer.objects.exists()
    assert not Mailbox.objects.exists()
    assert not Event.objects.filter(verb__startswith="knowledge.auto_answer").exists()
    assert not DueItem.objects.filter(kind__startswith="feedback.", state="pending").exists()
