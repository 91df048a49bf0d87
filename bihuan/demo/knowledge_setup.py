# ruff: noqa: E501 - article texts read best one sentence per line
"""The knowledge base of the demo: a shelf of articles an e-commerce service team keeps, in
Chinese with English translations, synonyms, categories, and the default reply templates.

Everything is written through the knowledge services (versions and events exist as in life);
one article is left flagged by a policy change and one past its review date, so the review
list has something to show on first start.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from bihuan.core.models import DueItem, Event
from bihuan.demo.conversation import Cast
from bihuan.knowledge import services
from bihuan.knowledge.choices import ArticleStatus, Audience, Language
from bihuan.knowledge.defaults import DEFAULT_TEMPLATES, install_default_templates
from bihuan.knowledge.models import (
    Article,
    KnowledgeCategory,
    Macro,
    PolicyChange,
    ReplyTemplate,
    ReviewTask,
    Synonym,
)

STALE = "产品保修政策"
MACROS: tuple[tuple[str, str, str, str], ...] = (
    ("退款已批准", "退款已受理", "pending_customer", "已退款"),
    ("Refund approved", "Refund approved", "pending_customer", "refunded"),
    ("致歉并跟进", "致歉", "", "需回访"),
)
SYNONYMS = (
    "快递 物流 快运 包裹",
    "退钱 退款 退费",
    "发票 开票",
    "坏了 故障 损坏",
    "refund money-back",
)
CATEGORIES: dict[str, tuple[str, ...]] = {
    "售后": ("退款退货", "维修保修"),
    "物流": ("配送", "丢件破损"),
    "账户与支付": ("账户安全", "发票"),
}

# (category, owner, tags, audience, zh title, zh body, zh answer, en title, en body, en answer)
ARTICLES: tuple[tuple[str, str, tuple[str, ...], str, str, str, str, str, str, str], ...] = (
    (
        "退款退货", "chenjing", ("退款",), Audience.PUBLIC,
        "退款多久到账",
        "## 到账时间\n\n| 支付方式 | 到账时间 |\n|---|---|\n| 微信支付、支付宝 | 1–3 个工作日 |\n"
        "| 银行卡 | 3–7 个工作日 |\n| 信用卡 | 以发卡行账单为准 |\n\n"
        "## 客服核实要点\n\n1. 在订单页确认退款状态为 **退款成功**。\n2. 超过时限未到账，请客户提供"
        "支付流水，提交给财务部核查（**24 小时内**回复客户）。",
        "您好，退款审核通过后会原路退回：微信、支付宝 1–3 个工作日，银行卡 3–7 个工作日到账。"
        "如超过时间仍未到账，请告诉我们，我们 24 小时内为您核查。",
        "How long does a refund take",
        "## When the money arrives\n\n| Payment | Time |\n|---|---|\n| WeChat Pay, Alipay | 1–3 "
        "working days |\n| Bank card | 3–7 working days |\n\n## What to check\n\n1. The order shows "
        "**Refund successful**.\n2. Past the time, ask for the payment record and pass it to "
        "Finance (answer the customer **within 24 hours**).",
        "Once approved, your refund goes back to the original payment method: 1–3 working days "
        "for WeChat Pay and Alipay, 3–7 for bank cards. If it has not arrived by then, tell us "
        "and we will check within 24 hours.",
    ),
    (
        "退款退货", "chenjing", ("退款", "退货"), Audience.PUBLIC,
        "七天无理由退货怎么申请",
        "签收后 **7 天内**，商品完好、配件齐全即可申请。\n\n- 订单详情 → 申请售后 → 选择“退货退款”\n"
        "- 审核通过后按页面地址寄回，保留快递单号\n- 仓库签收后 48 小时内退款\n\n"
        "定制商品、已拆封的个人护理用品不适用。",
        "您好，签收后 7 天内、商品完好即可在订单详情页“申请售后”里申请退货，寄回后仓库签收 48 小时内"
        "为您退款。",
        "How to return an item within 7 days",
        "Within **7 days** of delivery, unused and complete items can be returned.\n\n- Order "
        "details → After-sales → Return and refund\n- Send it to the address shown; keep the "
        "tracking number\n- Refund within 48 hours of our warehouse receiving it\n\nCustom-made "
        "items and opened personal-care products are excluded.",
        "You can return an unused item within 7 days of delivery from Order details → "
        "After-sales. We refund within 48 hours of receiving it.",
    ),
    (
        "丢件破损", "liuyang", ("物流", "丢件"), Audience.INTERNAL,
        "物流显示签收但客户没收到",
        "## 处理步骤\n\n1. 核对收货地址、是否代收（驿站、门卫、快递柜）。\n2. 联系承运快递员，要求提供"
        "签收凭证（照片或签名）。\n3. **24 小时内**无法找回：按丢件处理，先行补发或退款，再向快递公司"
        "索赔。\n\n> 首问负责：由接单客服跟进到底，不要让客户自己联系快递。",
        "您好，非常抱歉给您带来困扰。我们已联系快递核实签收情况，24 小时内给您答复；如确认丢失，"
        "会为您补发或退款，您不需要自己联系快递。",
        "Tracking says delivered but the customer has nothing",
        "## Steps\n\n1. Check the address and any pick-up point (locker, reception).\n2. Ask the "
        "courier for proof of delivery.\n3. Not found **within 24 hours**: treat it as lost, "
        "re-send or refund first, claim from the carrier afterwards.\n\n> The agent who took the "
        "ticket follows it through; never send the customer to the courier.",
        "We are sorry about this. We have asked the courier for proof of delivery and will come "
        "back to you within 24 hours; if the parcel is lost we will re-send it or refund you.",
    ),
    (
        "配送", "zhangwei", ("物流",), Audience.PUBLIC,
        "如何查询物流进度",
        "在 **我的订单 → 订单详情 → 查看物流** 可以看到实时轨迹。发货后 24 小时内物流信息可能还未"
        "更新，属于正常情况。偏远地区配送时间会多 1–2 天。",
        "您好，您可以在“我的订单 → 订单详情 → 查看物流”查看实时进度；发货后 24 小时内物流信息可能"
        "还没更新，请稍后再看。",
        "How to track an order",
        "Open **My orders → Order details → Track**. Tracking may take up to 24 hours to appear "
        "after dispatch; remote areas take 1–2 extra days.",
        "You can follow your parcel under My orders → Order details → Track. It can take up to "
        "24 hours after dispatch for tracking to appear.",
    ),
    (
        "维修保修", "yangli", ("维修", "故障"), Audience.PUBLIC,
        "产品保修政策",
        "整机保修 **1 年**，主要部件 2 年，自签收日起算。人为损坏、进水不在保修范围。\n\n"
        "申请：订单详情 → 申请售后 → 维修，寄修运费由我们承担。",
        "您好，整机保修 1 年、主要部件 2 年，从签收日起算；在订单详情“申请售后 → 维修”提交即可，"
        "寄修运费由我们承担。",
        "Warranty policy",
        "The product is covered for **1 year**, main parts for 2 years, from delivery. Accidental "
        "and water damage are not covered.\n\nApply under Order details → After-sales → Repair; "
        "we pay the shipping.",
        "Your product is covered for 1 year (main parts 2 years) from delivery. Apply under Order "
        "details → After-sales → Repair; shipping is on us.",
    ),
    (
        "账户安全", "zhaolei", ("账户",), Audience.INTERNAL,
        "客户账户被盗的处理",
        "1. 立即冻结账户（后台 → 账户 → 冻结）。\n2. 核实身份：手机号 + 最近一笔订单。\n"
        "3. 引导客户重置密码并开启两步验证。\n4. 有异常订单的，转技术部排查，**2 小时内**回复客户。",
        "",
        "A customer's account was taken over",
        "1. Freeze the account at once (Admin → Accounts → Freeze).\n2. Verify identity: phone "
        "number and latest order.\n3. Help the customer reset the password and turn on two-step "
        "sign-in.\n4. Suspicious orders go to Tech; answer the customer **within 2 hours**.",
        "",
    ),
    (
        "发票", "liuyang", ("发票",), Audience.PUBLIC,
        "如何开具发票",
        "订单完成后，在 **订单详情 → 申请发票** 填写抬头和税号，电子发票 1 个工作日内发送到邮箱。"
        "需要专票请联系客服提供开票资料。",
        "您好，订单完成后在“订单详情 → 申请发票”填写抬头和税号即可，电子发票 1 个工作日内发到您的邮箱。",
        "How to get an invoice",
        "When the order is complete, open **Order details → Request invoice** and enter the title "
        "and tax number; the e-invoice is e-mailed within 1 working day.",
        "Once your order is complete, request the invoice under Order details; we e-mail it "
        "within 1 working day.",
    ),
)  # fmt: skip


def set_up_knowledge(cast: Cast) -> dict[str, int]:
    """Categories, synonyms, published articles with translations, default templates."""
    editor = cast.supervisor
    for terms in SYNONYMS:
        if not Synonym.objects.filter(terms=terms).exists():
            services.create_synonym(terms=terms, actor=editor)
    categories: dict[str, KnowledgeCategory] = {}
    for parent_name, children in CATEGORIES.items():
        parent = KnowledgeCategory.objects.filter(name=parent_name, parent=None).first()
        parent = parent or services.create_category(name=parent_name, actor=editor)
        for child in children:
            existing = KnowledgeCategory.objects.filter(name=child, parent=parent).first()
            categories[child] = existing or services.create_category(
                name=child, parent=parent, actor=editor
            )
    articles = 0
    for row in ARTICLES:
        category, owner_name, tags, audience, zh_title, zh_body, zh_answer = row[:7]
        en_title, en_body, en_answer = row[7:]
        if Article.objects.filter(title=zh_title).exists():
            continue
        owner = cast.users[owner_name]
        fields = services.ArticleFields(
            title=zh_title,
            body=zh_body,
            answer=zh_answer,
            language=Language.ZH,
            audience=audience,
            category=categories[category],
            tags=list(tags),
            # One article is past its review date, so the review list has it on first start.
            review_by=timezone.localdate() - timedelta(days=3) if zh_title == STALE else None,
        )
        chinese = services.create_article(fields, actor=owner)
        fields.title, fields.body, fields.answer = en_title, en_body, en_answer
        fields.language, fields.review_by = Language.EN, None
        english = services.create_article(fields, actor=owner, translation_of=chinese)
        for article in (chinese, english):
            services.change_article_status(article, to=ArticleStatus.PUBLISHED, actor=editor)
        articles += 2
    # A policy change waiting for review.
    if articles and not PolicyChange.objects.filter(title="七天无理由退货规则调整").exists():
        services.flag_policy_change(
            title="七天无理由退货规则调整",
            description="定制商品以外，拆封但不影响二次销售的商品也可退货。",
            query="无理由退货",
            actor=editor,
        )
    templates = install_default_templates(actor=editor)
    for title, template_title, status, macro_tags in MACROS:
        if not Macro.objects.filter(title=title).exists():
            services.save_macro(
                services.MacroFields(
                    title=title,
                    template=ReplyTemplate.objects.filter(
                        owner__isnull=True, title=template_title
                    ).first(),
                    status=status,
                    add_tags=macro_tags,
                ),
                actor=editor,
            )
    return {"articles": articles, "reply templates": templates}


def delete_knowledge_setup(user_ids: list[int]) -> None:
    """Remove the demo's knowledge base (articles of demo staff, default shared templates,
    synonyms, categories) with its events and review deadlines."""
    articles = list(Article.objects.filter(owner_id__in=user_ids).values_list("pk", flat=True))
    changes = list(
        PolicyChange.objects.filter(created_by_id__in=user_ids).values_list("pk", flat=True)
    )
    templates = ReplyTemplate.objects.none()
    for _scenario, language, title, _body in DEFAULT_TEMPLATES:
        templates |= ReplyTemplate.objects.filter(
            owner__isnull=True, title=title, language=language
        )
    children = [name for names in CATEGORIES.values() for name in names]
    categories = KnowledgeCategory.objects.filter(
        Q(parent__isnull=False, name__in=children)
        | Q(parent__isnull=True, name__in=list(CATEGORIES))
    )
    subjects = {
        "knowledge.article": articles,
        "knowledge.policychange": changes,
        "knowledge.replytemplate": list(templates.values_list("pk", flat=True)),
        "knowledge.synonym": list(
            Synonym.objects.filter(terms__in=SYNONYMS).values_list("pk", flat=True)
        ),
        "knowledge.knowledgecategory": list(categories.values_list("pk", flat=True)),
    }
    macros = Macro.objects.filter(title__in=[m[0] for m in MACROS])
    subjects["knowledge.macro"] = list(macros.values_list("pk", flat=True))
    for subject_type, ids in subjects.items():
        Event.objects.filter(subject_type=subject_type, subject_id__in=ids).delete()
    tasks = ReviewTask.objects.filter(article_id__in=articles).values_list("pk", flat=True)
    DueItem.objects.filter(
        kind=services.REVIEW_OVERDUE, key__in=[f"knowledge.reviewtask:{pk}" for pk in tasks]
    ).delete()
    macros.delete()
    PolicyChange.objects.filter(pk__in=changes).delete()
    Article.objects.filter(pk__in=articles).delete()
    templates.delete()
    Synonym.objects.filter(terms__in=SYNONYMS).delete()
    categories.filter(parent__isnull=False).delete()
    categories.delete()
