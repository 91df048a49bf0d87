"""Feedback for the demo: CSAT answers on solved tickets (a few low ones, each with its
negative-feedback case), NPS answers, a quarterly follow-up campaign survey (季度回访调研)
sent to recent customers and answered by most of them, hand entries and internal feedback in
the register, analyses (most on time, one late, some still open) and rectifications at every
stage of the ledger — so a new user sees the loop from survey to accepted fix working.

Everything goes through the feedback services, at the instants the demo's history says
(``at=``/``now=``), so events, due work and report rates are those of real use. Deterministic:
the same demo tickets give the same feedback.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.apps import apps
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from bihuan.core.models import DueItem, Event, WorkState
from bihuan.customers.models import Customer
from bihuan.demo.conversation import Cast
from bihuan.feedback import services
from bihuan.feedback.choices import AnalysisState, EntrySource, RectificationState
from bihuan.feedback.models import (
    CampaignSurvey,
    FeedbackEntry,
    NegativeAnalysis,
    Rectification,
    SurveyInvitation,
    SurveyOptOut,
    SurveyReason,
)
from bihuan.tickets.choices import TicketStatus
from bihuan.tickets.models import Ticket

MARKER_VERB = "demo.loaded"  # generate.MARKER_VERB (generate imports this module)
REASONS = (
    ("响应快", "Quick response"),
    ("态度好", "Friendly staff"),
    ("问题彻底解决", "Problem fully solved"),
    ("等待时间长", "Long wait"),
    ("需要反复说明", "Had to explain again"),
)
COMMENTS_GOOD = ("客服很耐心，谢谢", "处理得很快", "回访很及时", "")
COMMENTS_BAD = ("等了三天才有人回复", "问题没有真正解决，又坏了", "同一个问题要说好几遍")
HAND_ENTRIES = (
    ("suggestion", "community", "会员群里有人建议增加夜间在线客服"),
    ("complaint", "callback", "回访时客户反映安装师傅迟到两小时"),
    ("praise", "callback", "客户电话表扬售后上门维修及时"),
    ("inquiry", "community", "多位用户在社群询问以旧换新活动规则"),
    ("complaint", "community", "社群有用户抱怨快递外包装破损"),
)
INTERNAL = (
    ("confusing_term", "客户经常问“预授权”是什么意思，知识库没有解释"),
    ("recurring_question", "这周很多人问发票抬头怎么改"),
    ("missing_article", "退货运费险的规则文章已过期"),
    ("recurring_question", "以旧换新的折价标准每天都有人问"),
)
CAMPAIGN_TITLE = "季度回访调研"
CAMPAIGN_INTRO = (
    "感谢您过去三个月对我们的支持！以下五个问题大约需要两分钟，您的意见会直接用于改进服务。"
)
CAMPAIGN_QUESTIONS = (
    # kind, question, choices, required, satisfaction
    ("rating", "总体来说，您对本季度我们的服务满意吗？", (), True, True),
    ("nps", "您有多大可能把我们推荐给朋友或同事？", (), True, False),
    (
        "single",
        "您最常通过哪个渠道联系我们？",
        ("电话", "在线客服", "微信公众号", "邮件"),
        False,
        False,
    ),
    (
        "multiple",
        "您认为我们最需要改进的是哪些方面？（可多选）",
        ("响应速度", "问题一次解决", "服务态度", "物流配送", "售后政策"),
        False,
        False,
    ),
    ("text", "还有什么想对我们说的？", (), False, False),
)
CAMPAIGN_TEXTS = (
    "希望周末也能有人工客服",
    "上次换货等了一周，希望快一点",
    "客服小姐姐很专业，点赞",
    "电话经常占线，能不能加个回拨功能",
    "",
    "",
)
RECTIFICATIONS = (
    # problem, measures, criteria, weeks before the deadline, target state
    (
        "首次响应慢导致投诉",
        "高峰时段增派两名坐席；启用自动确认回复",
        "连续四周首响投诉每周≤1件",
        2,
        "accepted",
    ),
    ("快递外包装破损", "更换加厚纸箱，出库前抽检", "破损投诉下降一半", 3, "awaiting_acceptance"),
    ("话术不统一，需要反复说明", "更新退款话术模板并培训", "同类投诉每周≤2件", 4, "in_progress"),
    ("安装师傅迟到", "预约时间窗缩短为两小时并短信提醒", "迟到投诉每周≤1件", -1, "pending"),
    ("发票流程复杂", "发票申请改为线上自助", "发票类咨询下降30%", 5, "returned"),
)


def _solved(ticket_ids: list[int]) -> list[Ticket]:
    return list(
        Ticket.objects.filter(
            pk__in=ticket_ids,
            status__in=(TicketStatus.SOLVED, TicketStatus.CLOSED),
            solved_at__isnull=False,
        )
        .select_related("customer", "team")
        .order_by("solved_at", "pk")
    )


def set_up_feedback(cast: Cast, ticket_ids: list[int]) -> dict[str, int]:
    """Survey answers, register entries, analyses and rectifications for the demo."""
    if Rectification.objects.filter(problem__in=[r[0] for r in RECTIFICATIONS]).exists():
        return {"rectifications": 0}  # set up already
    rng = random.Random("bihuan-demo:feedback")
    now = timezone.now()
    for position, (label, english) in enumerate(REASONS):
        SurveyReason.objects.get_or_create(
            label=label, defaults={"label_en": english, "position": position}
        )
    supervisor = cast.supervisor
    agents = [u for u in cast.staff if u.is_active and u.role == "agent"] or [supervisor]
    solved = _solved(ticket_ids)
    rated = [t for t in solved if rng.random() < 0.6]
    for ticket in rated:
        assert ticket.solved_at is not None
        score = rng.choices((5, 4, 3, 2, 1), weights=(45, 30, 12, 8, 5))[0]
        comment = rng.choice(COMMENTS_BAD if score <= 2 else COMMENTS_GOOD)
        with transaction.atomic():
            services.record_csat(
                ticket,
                score=score,
                comment=comment,
                source="survey_link",
                now=min(ticket.solved_at + timedelta(hours=rng.randint(1, 30)), now),
            )
    customers = sorted({t.customer_id for t in solved})[:40]
    for customer_id in customers:
        last = max(t.solved_at for t in solved if t.customer_id == customer_id and t.solved_at)
        if rng.random() >= 0.7:
            continue  # not every customer answers; the demo asks only those who do
        with transaction.atomic():
            invitation = services.open_nps_invitation(
                customer_id, now=min(last + timedelta(days=3), now)
            )
            if invitation is not None:
                services.answer_survey(
                    services.survey_token(invitation),
                    services.SurveyAnswer(
                        score=rng.choices(range(11), weights=(1, 1, 1, 2, 2, 3, 4, 8, 12, 14, 12))[
                            0
                        ],
                        follow_up=rng.choice(("响应快", "价格偏高", "物流慢", "")),
                    ),
                    now=invitation.created_at + timedelta(hours=5),
                )
    campaign_answers = _campaign(cast, rng, solved, now)
    for n, (kind, source, summary) in enumerate(HAND_ENTRIES):
        with transaction.atomic():
            services.record_entry(
                services.EntryFields(kind=kind, summary=summary, source=source),
                actor=agents[n % len(agents)],
                at=now - timedelta(days=20 - 4 * n),
            )
    flagged = []
    for n, (topic, summary) in enumerate(INTERNAL):
        ticket = solved[-(n + 1) * 7] if len(solved) > (n + 1) * 7 else solved[0]
        with transaction.atomic():
            flagged.append(
                services.flag_internal_feedback(
                    ticket,
                    topic=topic,
                    summary=summary,
                    actor=agents[n % len(agents)],
                    at=now - timedelta(days=25 - 5 * n),
                )
            )
    with transaction.atomic():
        services.record_change(
            flagged[0],
            note="知识库新增《预授权说明》",
            actor=supervisor,
            at=now - timedelta(days=12),
        )
    analysed = _analyse(cast, rng, now)
    ledger = _ledger(cast, analysed, flagged, now)
    return {
        "survey answers": SurveyInvitation.objects.filter(state="answered").count(),
        "campaign survey answers": campaign_answers,
        "feedback entries": FeedbackEntry.objects.count(),
        "analyses": NegativeAnalysis.objects.count(),
        "rectifications": ledger,
    }


def _campaign(cast: Cast, rng: random.Random, solved: list[Ticket], now: datetime) -> int:
    """The quarterly follow-up survey (季度回访调研), sent ten days ago to the customers of
    recent solved tickets; about two in three answered (a few unhappy ones went to the
    register as negative feedback)."""
    customers = list(Customer.objects.filter(pk__in=sorted({t.customer_id for t in solved})[:30]))
    if not customers:
        return 0
    sent_at = now - timedelta(days=10)
    with transaction.atomic():
        survey = services.create_campaign(
            services.CampaignFields(
                title=CAMPAIGN_TITLE,
                intro=CAMPAIGN_INTRO,
                questions=tuple(
                    services.QuestionFields(
                        kind=kind,
                        text=text,
                        options=options,
                        required=required,
                        is_satisfaction=satisfaction,
                    )
                    for kind, text, options, required, satisfaction in CAMPAIGN_QUESTIONS
                ),
                send_at=sent_at,
                customers=tuple(customers),
            ),
            actor=cast.supervisor,
            now=sent_at - timedelta(days=2),
        )
        services.launch_campaign(survey.pk, now=sent_at)
    ids = list(survey.questions.order_by("position").values_list("pk", flat=True))
    answered = 0
    for invitation in survey.invitations.filter(state="pending").order_by("pk"):
        if rng.random() >= 0.65:
            continue
        satisfaction = rng.choices((5, 4, 3, 2, 1), weights=(40, 32, 14, 9, 5))[0]
        answers: dict[int, services.RawAnswer] = {
            ids[0]: satisfaction,
            ids[1]: min(10, max(0, satisfaction * 2 + rng.choice((-1, 0, 0, 1)))),
            ids[2]: rng.choices(range(4), weights=(35, 40, 20, 5))[0],
            ids[3]: sorted(set(rng.sample(range(5), rng.choice((1, 1, 2, 3))))),
            ids[4]: rng.choice(CAMPAIGN_TEXTS),
        }
        with transaction.atomic():
            services.answer_survey(
                services.survey_token(invitation),
                services.SurveyAnswer(score=None, answers=answers),
                now=sent_at + timedelta(hours=rng.randint(2, 96)),
            )
        answered += 1
    return answered


def _analyse(cast: Cast, rng: random.Random, now: datetime) -> list[NegativeAnalysis]:
    """Analyse the cases whose deadline has passed (one of them late); the recent ones stay
    open, as on a real desk."""
    done = []
    causes = (
        ("people", "staff_skill", "坐席对退款规则不熟，回答前后不一致"),
        ("place", "process", "退款审批需三级签字，流程过长"),
        ("place", "logistics", "华东仓外包装标准不一致"),
        ("product", "product_quality", "同批次产品返修率偏高"),
        ("people", "staff_behaviour", "坐席语气生硬，未安抚客户情绪"),
    )
    open_cases = NegativeAnalysis.objects.filter(state=AnalysisState.OPEN).select_related("entry")
    for n, analysis in enumerate(open_cases.order_by("due_at", "pk")):
        if analysis.due_at > now - timedelta(days=2):
            continue
        category, detail, facts = causes[n % len(causes)]
        late = n == 1
        at = (
            analysis.due_at + timedelta(hours=5)
            if late
            else analysis.created_at + timedelta(hours=rng.randint(2, 20))
        )
        with transaction.atomic():
            done.append(
                services.record_analysis(
                    analysis,
                    services.AnalysisFields(
                        cause_category=category,
                        cause_detail=detail,
                        facts=facts,
                        is_systemic=n % 3 == 0,
                    ),
                    actor=cast.supervisor,
                    at=min(at, now),
                )
            )
    return done


def _ledger(
    cast: Cast, analysed: list[NegativeAnalysis], flagged: list[FeedbackEntry], now: datetime
) -> int:
    systemic = [a for a in analysed if a.is_systemic]
    departments = list(cast.departments.values())
    supervisor = cast.supervisor
    for n, (problem, measures, criteria, weeks_left, target) in enumerate(RECTIFICATIONS):
        department = departments[n % len(departments)]
        opened_at = now - timedelta(weeks=6 - n)
        deadline = now + timedelta(weeks=weeks_left)
        if deadline <= opened_at:
            deadline = opened_at + timedelta(days=10)
        with transaction.atomic():
            item = services.open_rectification(
                services.RectificationFields(
                    problem=problem,
                    owner_department=department,
                    owner=department.head,
                    measures=measures,
                    deadline=deadline,
                    acceptance_criteria=criteria,
                    analysis=systemic[n] if n < len(systemic) else None,
                    entries=(flagged[n],) if n < len(flagged) else (),
                ),
                actor=supervisor,
                at=opened_at,
            )
        worker = department.head or supervisor
        steps = {
            "pending": [],
            "in_progress": ["in_progress"],
            "awaiting_acceptance": ["in_progress", "awaiting_acceptance"],
            "accepted": ["in_progress", "awaiting_acceptance", "accepted"],
            "returned": ["in_progress", "awaiting_acceptance", "returned"],
        }[target]
        at = opened_at + timedelta(days=1)
        for to in steps:
            manager = to in (RectificationState.ACCEPTED, RectificationState.RETURNED)
            with transaction.atomic():
                services.move_rectification(
                    item,
                    to=to,
                    actor=supervisor if manager else worker,
                    reason="验收时抽检记录不全，请补充" if to == "returned" else "",
                    at=min(at, now),
                )
            at += timedelta(days=12)
    return Rectification.objects.count()


def delete_feedback_setup() -> None:
    """Delete the feedback that went with the demo — before or after its tickets and
    customers go (the demo marker names its customers) — and cancel the due work of rows no
    longer there."""
    marker = Event.objects.filter(verb=MARKER_VERB).order_by("-id").first()
    customers: list[int] = marker.data.get("created", {}).get("customers", []) if marker else []
    for start in range(0, len(customers), 500):
        chunk = customers[start : start + 500]
        FeedbackEntry.objects.filter(
            Q(customer_id__in=chunk) | Q(ticket__customer_id__in=chunk)
        ).delete()
        SurveyInvitation.objects.filter(customer_id__in=chunk).delete()
        SurveyOptOut.objects.filter(customer_id__in=chunk).delete()
    FeedbackEntry.objects.filter(
        source__in=(EntrySource.SURVEY, EntrySource.TICKET),
        ticket__isnull=True,
        customer__isnull=True,
    ).delete()
    FeedbackEntry.objects.filter(
        source__in=(EntrySource.COMMUNITY, EntrySource.CALLBACK, EntrySource.INTERNAL),
        summary__in=[s for _k, _s, s in HAND_ENTRIES] + [s for _t, s in INTERNAL],
    ).delete()
    Rectification.objects.filter(problem__in=[r[0] for r in RECTIFICATIONS]).delete()
    CampaignSurvey.objects.filter(title=CAMPAIGN_TITLE, intro=CAMPAIGN_INTRO).delete()
    kept = {
        "feedback.campaignsurvey": set(CampaignSurvey.objects.values_list("pk", flat=True)),
        "feedback.surveyinvitation": set(SurveyInvitation.objects.values_list("pk", flat=True)),
        "feedback.negativeanalysis": set(NegativeAnalysis.objects.values_list("pk", flat=True)),
        "feedback.rectification": set(Rectification.objects.values_list("pk", flat=True)),
    }
    demo_customers = set(customers)
    orphans = []
    for item in DueItem.objects.filter(kind__startswith="feedback.", state=WorkState.PENDING):
        table, _sep, rest = item.key.partition(":")
        row = int(rest.split(":")[0]) if rest.split(":")[0].isdigit() else None
        if table in kept and row not in kept[table]:
            orphans.append(item.pk)
        if table == "customers.customer" and (
            row in demo_customers or not Customer.objects.filter(pk=row or 0).exists()
        ):
            orphans.append(item.pk)
    DueItem.objects.filter(pk__in=orphans).update(state=WorkState.CANCELLED)
    # The audit trail of feedback rows no longer there (events on tickets went with them).
    for model in apps.get_app_config("feedback").get_models():
        Event.objects.filter(
            subject_type=f"feedback.{model._meta.model_name}", ticket_id__isnull=True
        ).exclude(subject_id__in=model._default_manager.values("pk")).delete()
