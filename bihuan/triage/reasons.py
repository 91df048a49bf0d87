"""The words shown to an agent as why triage decided something ("because of: 退款、坏了").

A model's strongest features include function words (我, 的, the), single Chinese characters
(from character n-grams) and masked placeholders; none of them explains anything to a person.
Reasons are at most five words, each a real word of the message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bihuan.triage.text import has_cjk, strip_punctuation

MAX_REASONS = 5

# Chinese function words, pronouns, greetings and fillers; English stop-words. A reason made
# only of these (alone or as an n-gram) is dropped.
STOP_WORDS = frozenset(
    """
    的 了 吗 呢 啊 吧 呀 哦 嗯 哈 嘛 么 呗 啦 是 我 你 您 他 她 它 们 我们 你们 他们 她们 咱们
    在 和 与 及 或 而 但 但是 可是 不过 因为 所以 如果 虽然 就 都 也 还 又 再 要 会 能 想 有 没
    没有 不 很 太 挺 非常 把 被 给 让 对 跟 从 向 往 这 那 这个 那个 这些 那些 这样 那样 这里
    那里 哪 哪里 哪个 谁 什么 怎么 怎样 怎么办 为什么 为何 多少 几 一 一个 一下 一些 一点 一直
    请 请问 您好 你好 谢谢 谢 麻烦 现在 今天 昨天 明天 已经 还是 可以 可能 应该 上午 下午 晚上
    时候 东西 自己 其他 然后 之后 之前 吧 呢 啥 咋 下 上 个 到 去 来 说 看 得 地 着 过 等
    the a an and or but if then of to in on at for with from by as is are was were be been
    being am i me my mine we our us you your he him his she her it its they them their this
    that these those do does did done have has had not no yes so very just can could would
    should will shall may might must please hi hello hey thanks thank dear regards there here
    what when where which who whom why how about into over after before again also any all
    some than too only own same such both each few more most other up down out off once ok
    okay get got im ive dont cant url email 00000
    """.split()  # noqa: SIM905  (a readable word list)
)
_DIGITS_ONLY = re.compile(r"^[\d\W_]+$")
_SPACES = re.compile(r"\s+")


def is_readable_reason(term: str) -> bool:
    """Whether ``term`` says something to a person: not a stop-word (alone or in an n-gram),
    not a single CJK character, not a short Latin fragment, not a number or punctuation."""
    words = [w for w in _SPACES.split(term) if w]
    if not words or _DIGITS_ONLY.match(term.replace(" ", "")):
        return False
    if all(word.lower() in STOP_WORDS for word in words):
        return False
    if has_cjk(term):
        # One character (下, 午) says nothing; nor do two stop characters (我的).
        joined = "".join(words)
        return len(joined) >= 2 and not all(char in STOP_WORDS for char in joined)
    return len(term) >= 3


def readable_reasons(terms: Iterable[str], *, limit: int = MAX_REASONS) -> list[str]:
    """At most ``limit`` distinct readable terms of ``terms``, in order."""
    chosen: list[str] = []
    for raw in terms:
        term = strip_punctuation(str(raw).strip())
        if term.startswith("re:") or not is_readable_reason(term) or term in chosen:
            continue
        chosen.append(term)
        if len(chosen) == limit:
            break
    return chosen
