"""English-speaking customers (about one in ten) and the English side of their stories.

They live in China or order from abroad and write in English; the team answers them in
English and keeps writing its internal notes in Chinese. An English scenario is a Chinese
one (``dataclasses.replace``) with its customer-facing texts in English, so category, queue,
helping department and internal notes stay the same.
"""

from __future__ import annotations

from dataclasses import replace

from bihuan.demo.material.scenarios import Scenario
from bihuan.demo.material.scenarios_orders import REFUND_UNSHIPPED, STUCK_PARCEL
from bihuan.demo.material.scenarios_products import NO_POWER
from bihuan.demo.material.scenarios_service import INVOICE, LOGIN_CODE, PRAISE

SHARE = 10  # one customer in ten

FIRST_NAMES: tuple[tuple[str, bool], ...] = (
    ("Emily", True), ("Olivia", True), ("Sophie", True), ("Hannah", True), ("Laura", True),
    ("Anna", True), ("Grace", True), ("Chloe", True), ("Mia", True), ("Julia", True),
    ("James", False), ("Daniel", False), ("Thomas", False), ("Lucas", False), ("Ben", False),
    ("Michael", False), ("David", False), ("Oliver", False), ("Samuel", False), ("Leo", False),
)  # fmt: skip
LAST_NAMES: tuple[str, ...] = (
    "Carter", "Smith", "Müller", "Johnson", "Brown", "Taylor", "Wilson", "Martin", "Dubois",
    "Rossi", "Andersen", "Kowalski", "Walker", "Evans", "Novak", "García", "O'Brien", "Green",
)  # fmt: skip

# The demo products in English (the shop's own product names stay as they are in Chinese).
PRODUCT_NAMES: dict[str, str] = {
    "悦声无线降噪耳机 Pro": "Yuesheng noise-cancelling earbuds Pro",
    "星途智能手表 GT3": "Xingtu GT3 smartwatch",
    "轻羽14英寸轻薄笔记本": "Qingyu 14-inch laptop",
    "青禾平板电脑 11": "Qinghe Tablet 11",
    "速充65W氮化镓充电器": "65W GaN charger",
    "蓝鲸蓝牙音箱 Mini": "Lanjing Mini Bluetooth speaker",
    "极光4K家用投影仪": "Jiguang 4K projector",
    "灵犀智能门锁 S5": "Lingxi S5 smart lock",
    "云眸家用摄像头": "Yunmou home camera",
    "活力智能手环 7": "Huoli fitness band 7",
    "清风空气净化器 X3": "Qingfeng X3 air purifier",
    "小净扫拖一体机器人 S8": "Xiaojing S8 robot vacuum",
    "暖阳石墨烯电暖器": "Nuanyang graphene heater",
    "破壁料理机": "high-speed blender",
    "5L空气炸锅": "5 L air fryer",
    "恒温电热水壶": "temperature-control kettle",
    "洁净洗地机 T10": "T10 wet-dry vacuum",
    "声波电动牙刷 T5": "T5 sonic toothbrush",
    "高速负离子吹风机": "ionic hair dryer",
}
COURIERS: dict[str, str] = {
    "顺丰速运": "SF Express",
    "中通快递": "ZTO Express",
    "圆通速递": "YTO Express",
    "韵达快递": "Yunda Express",
    "京东物流": "JD Logistics",
    "申通快递": "STO Express",
    "邮政EMS": "China Post EMS",
}
CITIES: tuple[str, ...] = ("Wuhan", "Zhengzhou", "Chengdu", "Hangzhou", "Guangzhou", "Shanghai")

# The demo's categories in English (shown when the interface is in English).
CATEGORY_NAMES: dict[str, str] = {
    "退款/退货": "Refunds and returns",
    "仅退款": "Refund only",
    "退货退款": "Return and refund",
    "换货": "Exchange",
    "物流/配送": "Delivery",
    "延迟发货": "Late shipment",
    "物流停滞": "Parcel stuck",
    "快递丢件": "Lost parcel",
    "错发漏发": "Wrong or missing item",
    "产品故障": "Product fault",
    "无法开机": "Does not start",
    "功能异常": "Malfunction",
    "质量问题": "Quality problem",
    "账户/登录": "Account and login",
    "无法登录": "Cannot log in",
    "账号被盗": "Account stolen",
    "支付/发票": "Payment and invoices",
    "重复扣款": "Charged twice",
    "发票开具": "Invoice",
    "售后维修": "Repairs",
    "保修维修": "Warranty repair",
    "上门安装": "Installation",
    "咨询": "Questions",
    "产品咨询": "Product question",
    "活动优惠": "Promotions",
    "服务评价": "Feedback on service",
    "服务投诉": "Service complaint",
    "表扬": "Praise",
    "产品建议": "Product suggestion",
}

REFUND_UNSHIPPED_EN = replace(
    REFUND_UNSHIPPED,
    key="refund_unshipped_en",
    subjects=("Cancel order {order} and refund", "Refund for an order that has not shipped"),
    calm=(
        "Hello, I ordered the {product} on {order_date} (order {order}) and it has not shipped "
        "yet. I no longer need it, could you cancel it and refund {amount}?",
        "Hi, I picked the wrong version in order {order}. It hasn't shipped, so please cancel "
        "it and refund me.",
    ),
    upset=(
        "My refund request for order {order} was rejected although nothing has shipped. "
        "Why can't I get my money back?",
    ),
    angry=(
        "This is the third time I ask for a refund of {amount} for order {order}, which never "
        "shipped! Please refund me today or I will file a complaint.",
    ),
    asks=(
        "Hello {title}, this is {agent}. Order {order} ({product}, {amount}) has not left the "
        "warehouse. You would like it cancelled and fully refunded to your original payment "
        "method, is that right?",
    ),
    needs=(
        "Cancel unshipped order {order} ({product}) and refund {amount} to the original payment.",
    ),
    details=("Yes, a full refund please.", "Exactly, thank you."),
    progress=(
        "{title}, the cancellation of order {order} is confirmed and the refund has been "
        "submitted. Finance will process it before {due}.",
    ),
    solutions=(
        "Order {order} cancelled before shipping; {amount} refunded to the original payment.",
    ),
    solution_replies=(
        "Hello {title}, order {order} is cancelled and {amount} has been refunded. It usually "
        "arrives within 1-3 working days. Let me know if there is anything else.",
    ),
    info_requests=(),
)

STUCK_PARCEL_EN = replace(
    STUCK_PARCEL,
    key="stuck_parcel_en",
    subjects=(
        "No tracking update for {days} days",
        "Parcel {tracking} stuck in {city}",
        "Where is my parcel?",
    ),
    calm=(
        "Hello, my parcel ({courier}, tracking {tracking}) has been stuck in {city} for {days} "
        "days. Could you check what is going on?",
    ),
    upset=(
        "The courier says to ask you and you say to ask the courier. Tracking {tracking} has "
        "not moved for {days} days. Who is responsible?",
    ),
    angry=(
        "A week and my parcel is still stuck in {city}! Nobody answers at {courier}. Is it "
        "lost or not?",
    ),
    asks=(
        "Hello {title}, this is {agent}. Sorry for the wait. I am contacting {courier} about "
        "tracking number {tracking} right now.",
    ),
    needs=(
        "Parcel {tracking} stuck in {city} for {days} days: chase the courier, resend if lost.",
    ),
    details=("Yes please, and resend it if it is lost.", "The address is unchanged, thanks."),
    progress=("I have asked {courier} to chase the parcel; they promised an answer before {due}.",),
    solutions=("{courier} found the parcel held at the {city} hub and sent it on; delivered.",),
    solution_replies=(
        "Hello {title}, {courier} has sent your parcel on and tracking is updated again. It "
        "should arrive tomorrow. Sorry for the trouble.",
    ),
)

NO_POWER_EN = replace(
    NO_POWER,
    key="no_power_en",
    subjects=("{product} does not turn on", "My new {product} won't start"),
    calm=(
        "Hello, my {product} does not turn on any more, even after charging. I bought it "
        "{days} days ago, order {order}. What should I do?",
    ),
    upset=("The {product} I bought {days} days ago already doesn't start. Order {order}.",),
    angry=(
        "Brand new {product} and it's dead after {days} days! I want a replacement or a "
        "refund right now.",
    ),
    asks=(
        "Hello {title}, this is {agent}. Sorry about the {product}. Could you hold the power "
        "button for 15 seconds while it is charging and tell me whether the light comes on?",
    ),
    needs=("{product} (order {order}) does not start after {days} days: repair or replace.",),
    details=("I tried that, still nothing.", "No light at all, I tried two chargers."),
    progress=("Our technicians are checking the fault; I will get back to you before {due}.",),
    solutions=("Faulty unit; a replacement {product} was sent with a prepaid return label.",),
    solution_replies=(
        "Hello {title}, we are sending you a replacement {product} today with a prepaid label "
        "for the faulty one. Sorry for the inconvenience.",
    ),
    info_requests=(
        "Could you send me a photo or a short video of the {product} while it is charging?",
    ),
)

LOGIN_CODE_EN = replace(
    LOGIN_CODE,
    key="login_code_en",
    subjects=("No login code by SMS", "Cannot log in: the verification code never arrives"),
    calm=(
        "Hello, I don't receive the SMS verification code when I log in. My phone number "
        "ends in {phone_tail}.",
    ),
    upset=("I have tried to log in all day and the code never comes. Please fix this.",),
    angry=("Still no login code after ten tries! I cannot even see my orders.",),
    asks=(
        "Hello {title}, this is {agent}. Could you check that SMS from unknown senders is not "
        "blocked on your phone ending in {phone_tail}? I will check our side meanwhile.",
    ),
    needs=("Customer (phone ending {phone_tail}) receives no login code by SMS.",),
    details=("Nothing is blocked, I checked.", "Yes, that is my number."),
    progress=(
        "Our technical team is looking at the SMS delivery; I will update you before {due}.",
    ),
    solutions=("SMS provider blocked the number range; whitelisted, customer logged in.",),
    solution_replies=(
        "Hello {title}, the SMS issue is fixed on our side. Please try to log in again and "
        "tell me if the code arrives.",
    ),
)

INVOICE_EN = replace(
    INVOICE,
    key="invoice_en",
    subjects=("Invoice for order {order}", "Request for an electronic invoice (fapiao)"),
    calm=(
        "Hello, I need an invoice (fapiao) for order {order} for my company's expenses. "
        "Could you issue it?",
    ),
    upset=("I asked for the invoice {days} days ago and still have nothing.",),
    angry=("Third request for my invoice! Our accounts department needs it this week.",),
    asks=(
        "Hello {title}, this is {agent}. Certainly. Could you confirm the invoice title and "
        "your company's tax number?",
    ),
    needs=("Electronic invoice for order {order}, for company expenses.",),
    details=("The title is our company name, I will send the tax number.",),
    progress=("The invoice is being issued and will be emailed to you before {due}.",),
    solutions=("Electronic invoice for order {order} issued and emailed.",),
    solution_replies=(
        "Hello {title}, the electronic invoice for order {order} has been sent to your email. "
        "Please let me know if anything needs correcting.",
    ),
)

PRAISE_EN = replace(
    PRAISE,
    key="praise_en",
    subjects=("Thanks to your support team", "Great service"),
    calm=("Just wanted to say thank you to {agent}, who solved my problem quickly and kindly.",),
    upset=(),
    angry=(),
    asks=("Thank you very much, {title}! I will pass your kind words on to the team.",),
    needs=(),
    details=("You're welcome, keep it up!",),
    progress=(),
    solutions=("Customer praised the service.",),
    solution_replies=("Thank you again, {title}. Have a nice day!",),
)

SCENARIOS: tuple[Scenario, ...] = (
    REFUND_UNSHIPPED_EN,
    STUCK_PARCEL_EN,
    NO_POWER_EN,
    LOGIN_CODE_EN,
    INVOICE_EN,
    PRAISE_EN,
)

# The customer-facing generic steps, in English.
CONFIRMATIONS: tuple[str, ...] = ("Yes, that's right.", "Exactly, please go ahead.")
THANKS: tuple[str, ...] = (
    "Received, thank you!",
    "All sorted, thanks a lot {agent}.",
    "Perfect, thank you for your help.",
)
RELUCTANT_THANKS: tuple[str, ...] = (
    "OK, it took a while but it's solved.",
    "Fine. I hope this won't happen again.",
)
CHASES: tuple[str, ...] = ("Any news about this?", "It's been {days} days, any update?")
ANGRY_CHASES: tuple[str, ...] = (
    "How much longer do I have to wait?",
    "I have asked three times now. Please answer!",
)
REOPENS: tuple[str, ...] = (
    "Sorry, the problem is back. Could you look again?",
    "I was told it was done but I still see no result.",
)
REOPEN_REPLIES: tuple[str, ...] = ("I'm very sorry, {title}. I am checking it again right now.",)
REOPEN_SOLUTION_REPLIES: tuple[str, ...] = (
    "Hello {title}, it is done now. Please check and tell me if anything is still wrong.",
)
INFO_REQUESTS: tuple[str, ...] = (
    "Could you send me a screenshot and the time it happened, so that I can check?",
)
CONFIRM_REQUESTS: tuple[str, ...] = (
    " Please reply to confirm once you have received it.",
    " Let me know if everything is fine.",
)
FOLLOW_UPS: tuple[str, ...] = (" Is there anything else I can help you with?",)
PHONE_PREFIXES: tuple[str, ...] = ("[Call log] The customer called: ",)
URGENT_WORDS: tuple[str, ...] = ("complaint", "lawyer", "consumer association")
