"""The texts of created tickets, shared by the load generator's ``create`` workload
(``locustfile.py``) and the in-process creation cost (``create_cost.py``)."""

from __future__ import annotations

import random

SUBJECTS = [
    ("订单{o}申请退款", "您好，我购买的商品订单号{o}，已经申请退款{d}天了还没到账，请帮忙查一下。"),
    ("快递{d}天还没到", "我的订单{o}物流三天没有更新了，快递单号SF{t}，什么时候能送到？"),
    ("收到的耳机无法开机", "订单{o}的蓝牙耳机收到后无法开机，要求换货。"),
    ("发票抬头开错了", "订单{o}的发票抬头开错了，请重新开具电子发票。"),
    ("Refund for order {o}", "I returned the item from order {o} {d} days ago, no refund yet."),
]


def ticket_text(rng: random.Random) -> tuple[str, str]:
    """A subject and a first message, with their own order number, days and tracking number."""
    subject, body = rng.choice(SUBJECTS)
    values = {
        "o": f"DD2025{rng.randint(10**7, 10**8 - 1)}",
        "d": rng.randint(2, 15),
        "t": rng.randint(10**11, 10**12 - 1),
    }
    return subject.format(**values), body.format(**values)
