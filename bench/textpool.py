"""A pool of realistic ticket texts in Chinese and English, segmented once.

Segmenting millions of texts with jieba would take longer than writing them, so the
generator draws from a few thousand distinct texts (with varied order numbers, products,
amounts and dates) whose search tokens were computed with the app's own
``bihuan.core.text_search.index_text``. The pool is cached in ``bench/results/``.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

POOL_VERSION = 1

PRODUCTS_ZH = [
    "华为Mate 60手机",
    "小米空气净化器",
    "美的电饭煲",
    "格力空调",
    "戴森吹风机",
    "联想笔记本电脑",
    "九阳豆浆机",
    "海尔冰箱",
    "苏泊尔炒锅",
    "蓝牙耳机",
    "儿童安全座椅",
    "智能手表",
    "扫地机器人",
    "电动牙刷",
    "羽绒服",
    "跑步鞋",
    "会员年卡",
    "茶叶礼盒",
]
PRODUCTS_EN = [
    "wireless earbuds",
    "air purifier",
    "rice cooker",
    "laptop",
    "smart watch",
    "robot vacuum",
    "running shoes",
    "down jacket",
    "annual membership",
    "coffee machine",
    "phone case",
    "baby stroller",
]
CITIES = ["北京", "上海", "广州", "深圳", "杭州", "成都", "武汉", "南京", "西安", "重庆", "苏州"]
COURIERS = ["顺丰", "中通", "圆通", "京东物流", "韵达", "EMS"]
NAMES = ["小王", "李师傅", "张经理", "刘女士", "陈先生", "赵师傅"]

# (topic, subject templates, opening-message templates) — {o} order number, {p} product,
# {d} days, {a} amount, {c} city, {k} courier, {t} tracking number, {n} name.
TOPICS_ZH: list[tuple[str, list[str], list[str]]] = [
    (
        "refund",
        ["订单{o}申请退款", "{p}退款一直没到账", "申请仅退款，订单{o}", "退款进度查询 {o}"],
        [
            "您好，我在贵店购买的{p}，订单号{o}，已经申请退款{d}天了，钱还没有退回到原支付账户，"
            "请帮忙查一下退款进度。",
            "订单{o}的{p}我已经寄回去了，快递单号{t}，仓库显示已签收，但是退款{a}元一直没到账。",
            "我要申请退款，{p}和描述的不一样，订单号是{o}，请尽快处理，谢谢。",
        ],
    ),
    (
        "delivery",
        ["快递{d}天还没到，单号{t}", "订单{o}物流一直不更新", "{p}配送延误", "催发货：{o}"],
        [
            "我{d}天前在{c}下单的{p}，订单号{o}，{k}单号{t}，物流信息三天没有更新了，"
            "到底什么时候能送到？",
            "订单{o}显示已发货，但是{k}查不到这个单号{t}，麻烦核实一下是不是发错了。",
            "买的{p}说好48小时发货，现在已经{d}天了还没发货，订单号{o}，请给个准确时间。",
        ],
    ),
    (
        "defect",
        ["{p}收到后无法开机", "{p}质量问题投诉", "{p}屏幕有划痕，要求换货", "{p}用了{d}天就坏了"],
        [
            "收到的{p}有质量问题，开机没有反应，订单号{o}，要求换一台新的或者退款。",
            "{p}用了{d}天就出现故障，噪音很大，已经影响正常使用，订单{o}，请安排售后维修。",
            "拆开包装发现{p}外壳有明显划痕，订单号{o}，我要求换货，不接受补偿{a}元。",
        ],
    ),
    (
        "invoice",
        ["发票抬头开错了，需要重开", "订单{o}申请开具增值税发票", "电子发票一直没收到"],
        [
            "订单{o}的发票抬头开错了，应该是{c}某某科技有限公司，请重新开具电子发票。",
            "我需要订单{o}的增值税专用发票，金额{a}元，税号已经在备注里填写了。",
            "下单时选择了电子发票，但是{d}天了邮箱里还没有收到，订单号{o}。",
        ],
    ),
    (
        "account",
        ["账户被冻结无法登录", "手机号换了，无法接收验证码", "会员积分没有到账", "修改绑定手机号"],
        [
            "我的账户突然被冻结了，登录时提示异常，无法查看订单{o}，请帮忙解冻。",
            "原来的手机号已经停用，收不到验证码，想把账户绑定的手机号换成新号码。",
            "订单{o}确认收货已经{d}天了，会员积分{a}分还没有到账，请核实。",
        ],
    ),
    (
        "coupon",
        ["优惠券无法使用", "满减活动没有生效，订单{o}", "价格保护申请 {p}"],
        [
            "结算的时候优惠券一直显示不可用，活动页面写的是满{a}元可用，订单{o}。",
            "我买完{p}第二天就降价了{a}元，符合价格保护规则，订单号{o}，请退差价。",
        ],
    ),
    (
        "service",
        ["客服电话一直打不通", "投诉客服{n}态度差", "表扬快递员{n}服务很好", "建议增加夜间配送"],
        [
            "昨天打了好几次客服电话都没人接，排队{d}十分钟，问题到现在还没解决，非常不满意。",
            "客服{n}的态度很差，问了三遍都不耐烦，订单{o}的问题也没有解决，我要投诉。",
            "快递员{n}服务很好，下雨天还准时送到{c}，特此表扬，希望转达。",
            "建议在{c}增加夜间配送时段，上班族白天不在家，收货很不方便。",
        ],
    ),
    (
        "address",
        ["修改收货地址", "订单{o}需要更换收货人", "退货运费谁承担"],
        [
            "订单{o}的收货地址填错了，需要改到{c}，还没有发货的话请帮忙修改。",
            "我申请了退货，{p}是质量问题，退货运费{a}元应该由商家承担吧？订单号{o}。",
        ],
    ),
]
TOPICS_EN: list[tuple[str, list[str], list[str]]] = [
    (
        "refund",
        ["Refund for order {o}", "Refund not received for {p}", "Request a refund: {o}"],
        [
            "Hello, I returned the {p} from order {o} {d} days ago (tracking {t}) and the refund "
            "of {a} yuan has still not reached my card. Please check the refund status.",
            "I want a refund for order {o}. The {p} does not match the description.",
        ],
    ),
    (
        "delivery",
        [
            "Package not delivered after {d} days",
            "Tracking {t} not updating",
            "Where is order {o}?",
        ],
        [
            "My order {o} was shipped {d} days ago but tracking number {t} has not updated "
            "since. When will the {p} arrive?",
            "The courier marked order {o} as delivered but I never received the {p}.",
        ],
    ),
    (
        "defect",
        ["{p} does not turn on", "Broken {p} received", "Warranty repair for {p}"],
        [
            "The {p} from order {o} stopped working after {d} days. I would like a replacement "
            "or a repair under warranty.",
            "The {p} arrived with a cracked case. Order {o}. Please send a new one.",
        ],
    ),
    (
        "account",
        ["Cannot log in to my account", "Change the phone number on my account"],
        [
            "My account is locked and I cannot see order {o}. Please unlock it.",
            "I changed my phone number and no longer receive the verification code.",
        ],
    ),
    (
        "invoice",
        ["Wrong company name on invoice", "VAT invoice for order {o}"],
        [
            "The invoice for order {o} has the wrong company name. Please issue a new one for "
            "{a} yuan.",
        ],
    ),
]
FOLLOWUPS_ZH = [
    "请问现在处理得怎么样了？已经等了{d}天了。",
    "补充一下，订单号是{o}，麻烦尽快回复。",
    "好的，我已经按照你们说的操作了，还是不行。",
    "快递单号{t}，请查收退回的{p}。",
    "谢谢，问题已经解决了。",
    "这个问题什么时候能给我答复？再不处理我就要向消费者协会投诉了。",
    "照片已经上传了，你们看一下{p}的划痕。",
    "我同意换货，请尽快安排。",
    "退款{a}元已经收到，谢谢。",
]
FOLLOWUPS_EN = [
    "Any update on this? It has been {d} days.",
    "Adding the order number: {o}.",
    "I tried what you suggested and it still does not work.",
    "Thanks, the issue is solved.",
    "Photos of the damaged {p} are attached.",
]
REPLIES_ZH = [
    "您好，非常抱歉给您带来不便。我已经查询到订单{o}，正在为您加急处理，预计{d}个工作日内完成。",
    "您好，您的退款{a}元已经提交财务审核，通常1-3个工作日原路退回，请留意账户变动。",
    "您好，已联系{k}核实，包裹正在派送中，单号{t}，预计明天送达{c}。",
    "您好，请您提供一下{p}故障的照片或视频，以便我们安排售后检测。",
    "您好，已为您重新开具电子发票，请查收邮箱。如有问题随时联系我们。",
    "感谢您的反馈，我们已将您的建议转交相关部门，后续有进展会第一时间通知您。",
    "您好，换货申请已通过，请将{p}寄回，运费{a}元由我们承担。",
]
REPLIES_EN = [
    "Hello, sorry for the trouble. I found order {o} and escalated it; expect an answer "
    "within {d} working days.",
    "Your refund of {a} yuan has been approved and will reach your card in 1-3 working days.",
    "Could you send a photo of the damaged {p}, please?",
    "The courier confirmed the parcel {t} is out for delivery today.",
]
NOTES_ZH = [
    "已联系仓库核实，{p}库存不足，需要等{d}天。",
    "客户情绪激动，注意安抚，必要时升级给主管。",
    "技术部确认是批次问题，订单{o}同批次都需要召回。",
    "已在财务系统提交退款单，金额{a}元。",
    "@售后组 请协助处理订单{o}的上门维修。",
]
NOTES_EN = [
    "Checked with the warehouse: the {p} is out of stock for {d} days.",
    "Customer is upset; escalate to the supervisor if no answer today.",
    "Refund of {a} yuan submitted in the finance system.",
]


@dataclass(frozen=True)
class Text:
    text: str
    tokens: str


@dataclass(frozen=True)
class Opener:
    lang: str
    topic: str
    subject: Text
    body: Text


@dataclass
class Pool:
    openers: list[Opener]
    followups: dict[str, list[Text]]
    replies: dict[str, list[Text]]
    notes: dict[str, list[Text]]


def _fill(template: str, rng: random.Random, lang: str) -> str:
    products = PRODUCTS_ZH if lang == "zh" else PRODUCTS_EN
    return template.format(
        o=f"DD{rng.randint(2023, 2025)}{rng.randint(10**7, 10**8 - 1)}",
        p=rng.choice(products),
        d=rng.randint(2, 15),
        a=rng.choice([29, 49, 99, 128, 199, 259, 399, 599, 1299, 2999]),
        c=rng.choice(CITIES),
        k=rng.choice(COURIERS),
        t=f"SF{rng.randint(10**11, 10**12 - 1)}",
        n=rng.choice(NAMES),
    )


def build_pool(*, openers: int = 4000, others: int = 1500, seed: int = 7) -> Pool:
    """Make the pool with the app's own segmentation (a few seconds)."""
    from bihuan.core.text_search import index_text

    rng = random.Random(seed)

    def text(value: str) -> Text:
        return Text(value, index_text(value))

    result: list[Opener] = []
    for i in range(openers):
        lang = "en" if i % 5 == 4 else "zh"  # one ticket in five is in English
        topic, subjects, bodies = rng.choice(TOPICS_EN if lang == "en" else TOPICS_ZH)
        result.append(
            Opener(
                lang,
                topic,
                text(_fill(rng.choice(subjects), rng, lang)),
                text(_fill(rng.choice(bodies), rng, lang)),
            )
        )

    def many(templates_zh: list[str], templates_en: list[str], count: int) -> dict[str, list[Text]]:
        return {
            "zh": [text(_fill(rng.choice(templates_zh), rng, "zh")) for _ in range(count)],
            "en": [text(_fill(rng.choice(templates_en), rng, "en")) for _ in range(count // 4)],
        }

    return Pool(
        openers=result,
        followups=many(FOLLOWUPS_ZH, FOLLOWUPS_EN, others),
        replies=many(REPLIES_ZH, REPLIES_EN, others),
        notes=many(NOTES_ZH, NOTES_EN, others // 3),
    )


def load_pool(cache_dir: Path) -> Pool:
    """The cached pool, or a new one written to the cache."""
    path = cache_dir / f"textpool-v{POOL_VERSION}.json"
    if path.exists():
        raw = json.loads(path.read_text())
        return Pool(
            openers=[
                Opener(o["lang"], o["topic"], Text(*o["subject"]), Text(*o["body"]))
                for o in raw["openers"]
            ],
            followups={k: [Text(*t) for t in v] for k, v in raw["followups"].items()},
            replies={k: [Text(*t) for t in v] for k, v in raw["replies"].items()},
            notes={k: [Text(*t) for t in v] for k, v in raw["notes"].items()},
        )
    pool = build_pool()
    cache_dir.mkdir(parents=True, exist_ok=True)
    payload = {
        "openers": [
            {
                "lang": o.lang,
                "topic": o.topic,
                "subject": [o.subject.text, o.subject.tokens],
                "body": [o.body.text, o.body.tokens],
            }
            for o in pool.openers
        ],
        "followups": {k: [[t.text, t.tokens] for t in v] for k, v in pool.followups.items()},
        "replies": {k: [[t.text, t.tokens] for t in v] for k, v in pool.replies.items()},
        "notes": {k: [[t.text, t.tokens] for t in v] for k, v in pool.notes.items()},
    }
    path.write_text(json.dumps(payload, ensure_ascii=False))
    return pool
