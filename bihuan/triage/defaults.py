"""The rules a new installation starts with (cold start), in Chinese and English.

Request-type and urgency rules need nothing else; category rules are matched to the
organisation's category tree by name, so they are installed for the categories that exist.
Admins edit all of them on the rules page.
"""

from __future__ import annotations

# (name, value, patterns, weight, always)
KIND_RULES: list[tuple[str, str, str, float, bool]] = [
    (
        "投诉 / complaint",
        "complaint",
        "投诉\n举报\n差评\n12315\n消协\n曝光\n太过分\n不负责任\ncomplain\ncomplaint\nunacceptable",
        1.5,
        False,
    ),
    (
        "建议 / suggestion",
        "suggestion",
        "建议\n希望能\n能不能增加\n最好能\n改进\n优化一下\nsuggest\nsuggestion\nwould be nice\nfeature request",
        1.2,
        False,
    ),
    (
        "表扬 / praise",
        "praise",
        "表扬\n感谢\n点赞\n非常满意\n好评\n辛苦了\n服务很好\nthank you so much\ngreat service\nwell done",
        1.2,
        False,
    ),
    (
        "需求 / request",
        "request",
        "我需要\n帮我开\n请帮我\n开具\n修改地址\n修改订单\n申请开通\nplease change\nplease update\ni need",
        0.8,
        False,
    ),
    (
        "售后 / after-sales",
        "after_sales",
        "退货\n退款\n换货\n维修\n保修\n售后\n坏了\n质量问题\nreturn\nrefund\nrepair\nwarranty\nbroken\nreplacement",
        1.0,
        False,
    ),
    (
        "咨询 / inquiry",
        "inquiry",
        "请问\n咨询\n怎么\n如何\n是否\n有没有\n多少钱\nhow do i\nhow can i\nis it possible\nwhat is\n?",
        0.6,
        False,
    ),
]

URGENCY_RULES: list[tuple[str, str, str, float, bool]] = [
    (
        "紧急 / urgent",
        "4",
        "紧急\n十万火急\n马上处理\n立刻\n报警\n起诉\n媒体\n曝光\n12315\n安全隐患\n起火\n冒烟\n漏电\n受伤\n"
        "账号被盗\n盗刷\nurgent\nemergency\nasap\nimmediately\nfraud\nstolen\nsafety\nfire",
        1.5,
        False,
    ),
    (
        "高 / high",
        "3",
        "尽快\n着急\n急用\n催\n第二次\n第三次\n一直没\n还没收到\n重复扣款\n扣了两次\n无法登录\n"
        "as soon as possible\nstill waiting\ncharged twice\ncannot log in\nlocked out",
        1.0,
        False,
    ),
    (
        "低 / low",
        "1",
        "不着急\n有空的时候\n顺便问一下\n建议\nno rush\nwhen you have time\njust wondering",
        1.0,
        False,
    ),
]

# Category name (any level of the tree) → keywords.
CATEGORY_KEYWORDS: dict[str, str] = {
    "退款/退货": "退款\n退货\n退钱\n退回\n仅退款\n退货退款\nrefund\nreturn\nmoney back",
    "仅退款": "仅退款\n只退款\n不用退货\nrefund only",
    "退货退款": "退货退款\n寄回\n退货地址\nreturn and refund\nsend it back",
    "物流/配送": "物流\n快递\n配送\n发货\n到货\n包裹\n派送\n签收\ndelivery\nshipping\nparcel\ncourier\ntracking",
    "延迟发货": "还没发货\n没发货\n迟迟不发\n延迟发货\n什么时候发货\nnot shipped\nhasn't shipped",
    "物流停滞": "物流不动\n没更新\n停滞\n卡在\n一直在中转\ntracking not updated\nstuck",
    "快递丢件": "丢件\n丢了\n没收到\n显示签收但\n被人签收\nlost\nnever arrived\nmissing parcel",
    "产品故障": "故障\n坏了\n不工作\n无法使用\n失灵\n异常\n死机\nbroken\nnot working\nfaulty\ndefect",
    "无法开机": "开不了机\n无法开机\n不开机\n黑屏\n充不进电\nwon't turn on\nno power",
    "功能异常": "功能异常\n用不了\n报错\n闪退\n卡顿\nerror\ncrash\nbug",
    "账户/登录": "账号\n账户\n登录\n密码\n验证码\n注册\naccount\nlogin\nlog in\npassword\nsign in",
    "无法登录": "登录不了\n无法登录\n登不上\n验证码收不到\n密码错误\ncannot log in\ncan't log in",
    "账号被盗": "被盗\n盗号\n异地登录\n被人登录\n不是我本人\nhacked\nstolen account\nunauthorized",
    "支付/发票": "支付\n付款\n扣款\n发票\n账单\n优惠券\npayment\ncharge\ninvoice\nbilling\nreceipt",
    "重复扣款": "重复扣款\n扣了两次\n多扣\n扣费两次\ncharged twice\ndouble charge\nduplicate charge",
    "发票开具": "发票\n开票\n抬头\n税号\n专票\n普票\ninvoice\nvat\ntax number",
    "售后维修": "维修\n保修\n返修\n修理\n换新\n寄修\nrepair\nwarranty\nfix",
    "换货": "换货\n换一个\n换新\n换尺码\n换颜色\nexchange\nswap",
    "错发漏发": "发错\n错发\n漏发\n少发\n少了一件\n不是我买的\nwrong item\nmissing item",
    "质量问题": "质量问题\n质量差\n做工\n开线\n掉色\n有瑕疵\n划痕\nquality\ndefective\nscratch",
    "保修维修": "保修\n保修期\n维修\n返修\n寄修\nwarranty\nrepair",
    "上门安装": "安装\n上门\n师傅\n预约安装\ninstallation\ninstall",
    "服务评价": "服务态度\n客服态度\n评价\n服务\nservice attitude",
    "服务投诉": "态度差\n态度恶劣\n不理人\n敷衍\n推诿\nrude\nimpolite",
    "表扬": "表扬\n感谢\n点赞\n辛苦了\n服务很好\npraise\nthank you so much",
    "产品建议": "建议\n希望能\n能不能增加\n改进\nsuggest\nfeature request",
    "咨询": "请问\n咨询\n了解一下\n想问\nhow to\nquestion",
    "产品咨询": "参数\n规格\n型号\n尺寸\n区别\n兼容\nspecification\nmodel\ncompatible",
    "活动优惠": "活动\n优惠\n折扣\n满减\n秒杀\n优惠券\n会员价\ndiscount\npromotion\ncoupon\nsale",
}
