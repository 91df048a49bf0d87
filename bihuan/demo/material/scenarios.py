"""What a demo ticket is about and the phrases its conversation is made of.

A ``Scenario`` is one kind of contact (a refund request, a parcel stuck in transit…): its
category, type, queue, the department that helps, how customers feel about it, and templates
for every step of the conversation. Templates use ``str.format`` placeholders; the generator
fills all of ``PLACEHOLDERS`` for every ticket, so texts do not repeat verbatim.

The generic pools below are the steps every scenario shares (confirmations, thanks, chasing,
callbacks); the scenario modules hold the specific ones.
"""

from __future__ import annotations

from dataclasses import dataclass

from bihuan.tickets.choices import Priority

PLACEHOLDERS = (
    "title",  # 王女士 / 李先生
    "name",  # the customer's full name
    "agent",  # the owner's display name
    "agent_username",  # for @mentions of the owner
    "colleague",  # username of the helping department's head, for @mentions
    "order",  # order number
    "product",
    "amount",  # what the order cost, e.g. 1,299.00元
    "refund_amount",  # a smaller sum: a partial refund, a compensation, a double charge
    "coupon",  # coupon value, e.g. 30元
    "order_date",  # 3月12日
    "days",  # days since the order / since the problem started
    "courier",
    "tracking",
    "city",
    "due",  # when a commitment falls due, e.g. 3月15日 18:00
    "hours",  # the commitment's delay in hours
    "reason",  # why the customer returns something
    "fault",  # how a device fails to start
    "symptom",  # how a device misbehaves
    "quality",  # a quality problem of goods
    "error",  # an error code shown by the app
    "version",  # app version
    "promo",  # the promotion
    "invoice_title",
    "tax_id",
    "phone_tail",  # last four digits of the customer's phone
)


@dataclass(frozen=True)
class Scenario:
    """One kind of customer contact and the templates of its conversation."""

    key: str
    category: tuple[str, str]  # (parent, child) in organisation.CATEGORIES
    weight: float  # relative frequency
    kind: str  # TicketType when the customer is calm
    upset_kind: str  # TicketType when dissatisfied or angry
    team: str  # the queue it is routed to
    emotions: tuple[int, int, int, int]  # weights: satisfied, neutral, dissatisfied, angry
    subjects: tuple[str, ...]
    calm: tuple[str, ...]  # first messages, calm (satisfied / neutral)
    upset: tuple[str, ...]  # dissatisfied
    angry: tuple[str, ...]
    asks: tuple[str, ...]  # the agent's first reply: acknowledge, restate, ask
    needs: tuple[str, ...]  # the restated need (需求确认)
    details: tuple[str, ...]  # the customer's answer: details, confirmation
    progress: tuple[str, ...]  # a progress update to the customer (mentions {due})
    solutions: tuple[str, ...]  # the recorded solution (处理方案)
    solution_replies: tuple[str, ...]  # telling the customer the solution
    notes: tuple[str, ...]  # internal notes
    commitments: tuple[tuple[str, int], ...]  # (description, hours until due)
    product_traits: tuple[str, ...] = ()  # the products it can be about have all of these
    collaboration: str = ""  # the department asked for help
    collaboration_rate: float = 0.0
    mention_notes: tuple[str, ...] = ()  # internal note asking {colleague} for help
    department_notes: tuple[str, ...] = ()  # the department's answer to {agent_username}
    info_requests: tuple[str, ...] = ()  # asking the customer for more (empty: generic)
    priority: int = Priority.NORMAL
    records_need: bool = True
    quick_rate: float = 0.1  # share answered and solved in one reply (simple questions)


CONFIRMATIONS: tuple[str, ...] = (
    "对，是这样的。",
    "没错，麻烦尽快处理。",
    "是的，就是这个意思，谢谢。",
    "对的，辛苦帮忙跟进一下。",
    "嗯，理解得没错，等你们消息。",
)

THANKS: tuple[str, ...] = (
    "好的，收到了，谢谢！",
    "问题解决了，辛苦你们了。",
    "可以，就按这个方案来吧，谢谢。",
    "好的，这次处理得挺快的，点个赞。",
    "已经收到了，没问题了，谢谢{agent}。",
    "行，谢谢你们的耐心处理。",
)

RELUCTANT_THANKS: tuple[str, ...] = (
    "好吧，虽然等得有点久，总算解决了。",
    "行吧，希望下次别再出现这种情况了。",
    "勉强接受吧，希望你们以后改进。",
    "嗯，收到了。这次的经历真的不太愉快。",
)

CHASES: tuple[str, ...] = (
    "请问处理得怎么样了？",
    "你好，还在等你们的消息，有进展了吗？",
    "麻烦快一点，我这边着急用。",
    "已经{days}天了，还是没有结果吗？",
    "怎么还没人回复？麻烦看一下我的问题。",
)

ANGRY_CHASES: tuple[str, ...] = (
    "到底还要等多久？每次都说在处理！",
    "再不解决我就直接投诉到平台了！",
    "你们就是这样对待老客户的吗？一拖再拖！",
    "我已经问了三遍了，能不能给个准话？",
)

REOPENS: tuple[str, ...] = (
    "不好意思，问题又出现了，麻烦再帮我看一下。",
    "说是已经处理了，可是我这边还是没有看到结果。",
    "刚试了一下，还是不行，跟之前一样。",
    "我核对了一下，金额好像不对，麻烦再查一下。",
)

REOPEN_REPLIES: tuple[str, ...] = (
    "非常抱歉给您带来不便，{title}，我马上重新为您核实处理。",
    "抱歉{title}，这个情况我重新跟进，核实后第一时间回复您。",
)

REOPEN_SOLUTION_REPLIES: tuple[str, ...] = (
    "{title}您好，已重新为您处理完毕，麻烦您再确认一下，如还有问题请随时联系我。",
    "已经核实并重新处理好了，给您带来的不便深表歉意，有任何问题随时找我。",
)

INFO_REQUESTS: tuple[str, ...] = (
    "麻烦您补充一下问题出现的具体时间和截图，我们好进一步核实。",
    "请您确认一下收货手机号后四位和订单号，方便我这边核实身份。",
    "方便的话请把相关截图发给我，收到后我马上跟进。",
)

PHOTO_REQUESTS: tuple[str, ...] = (
    "为了尽快帮您处理，麻烦您拍一下商品和外包装的照片发给我，收到后我马上跟进。",
    "麻烦您拍一段问题的视频或几张照片发给我，方便我们判断原因。",
)

CONFIRM_REQUESTS: tuple[str, ...] = (
    "麻烦您收到后回复确认一下，我这边好为您结单。",
    "您这边确认没问题的话回复我一下就好，有任何问题随时找我。",
    "请您查收后回复确认，谢谢。",
)

FOLLOW_UPS: tuple[str, ...] = (
    "请问还有其他可以帮您的吗？",
    "您考虑好了随时告诉我，我帮您安排。",
)

CALLBACK_NOTES: tuple[str, ...] = (
    "已电话回访，客户对处理结果表示满意。",
    "回访：客户确认问题已解决，无其他诉求。",
    "已回访，客户对处理时效有些意见，已致歉并记录。",
    "微信回访客户，客户表示认可本次处理。",
)

ESCALATION_NOTES: tuple[str, ...] = (
    "客户情绪比较激动，@{agent_username} 请优先处理，今天内务必给客户明确答复。",
    "@{agent_username} 这个客户提到要投诉到12315，注意沟通口径，方案先发我确认。",
    "已关注此单，@{agent_username} 处理完在备注里同步一下结果。",
)

REVIEW_NOTES: tuple[str, ...] = (
    "复盘：客户诉求合理，补偿方案已纳入话术库。",
    "复盘：跨部门衔接耗时较长，已提交流程优化建议。",
    "复盘：本案例已加入培训案例库，重点是首次回复就给出明确时间。",
    "复盘：客户情绪升级前已有两次催促，后续同类问题优先分配。",
)

PHONE_PREFIXES: tuple[str, ...] = (
    "【来电记录】客户来电反映：",
    "【电话】客户来电：",
)

URGENT_WORDS: tuple[str, ...] = ("12315", "曝光", "微博", "媒体", "消协")
