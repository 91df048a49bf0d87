"""Folding quoted history and signatures away from the new text of a reply.

Only the text before the first quote marker is the customer's new message; the full original
is kept beside it (``InboundEmail.text``, the raw file), so folding never loses anything.
Markers cover Outlook, Foxmail, QQ Mail, NetEase (163/126), Gmail and Apple Mail in Chinese
and English.
"""

from __future__ import annotations

import re

_MARKERS = [
    # Outlook / Foxmail / NetEase / QQ: a separator line before the quoted header block.
    re.compile(
        r"^\s*-{2,}\s*(原始邮件|Original Message|Original|原始郵件|転送メッセージ)\s*-{2,}\s*$",
        re.I,
    ),
    re.compile(r"^\s*-{5,}\s*(回复的原邮件|Forwarded message|转发邮件|轉寄郵件)\s*-{5,}", re.I),
    re.compile(r"^\s*_{10,}\s*$"),  # Outlook's rule above "From: … Sent: …"
    # Gmail / Apple Mail: "On Tue, 3 Nov 2026 at 10:00, Alice <a@x> wrote:" (maybe wrapped).
    re.compile(r"^\s*On\b.{0,200}\bwrote:\s*$", re.I),
    re.compile(r"^\s*Le\b.{0,200}\ba écrit\s*:\s*$", re.I),
    re.compile(r"^\s*Am\b.{0,200}\bschrieb\b.{0,100}:\s*$", re.I),
    # Gmail / Apple Mail / QQ in Chinese: "在 2026年11月22日 周日 10:00，张三 <z@x> 写道："
    re.compile(r"^\s*(在|於|于)\s*.{0,200}(写道|寫道|wrote)\s*[:：]\s*$"),
    re.compile(r"^\s*.{0,200}(写道|寫道)\s*[:：]\s*$"),
    # Japanese clients: "2026年11月22日(日) 10:00 山田 <y@x>:" … "のメッセージ:".
    re.compile(r"^\s*.{0,200}(wrote|のメッセージ|さんは書きました)\s*[:：]\s*$"),
]
# A header block quoted by Outlook / Foxmail / NetEase: "发件人: …" followed by a date or
# recipient line within the next three lines.
_HEADER_START = re.compile(r"^\s*\**\s*(发件人|寄件者|From|差出人)\s*\**\s*[:：]", re.I)
_HEADER_FOLLOW = re.compile(
    r"^\s*\**\s*(发送时间|日期|時間|寄件日期|Sent|Date|收件人|To|送信日時|主题|Subject)\s*\**\s*[:：]",
    re.I,
)
# Signatures: the RFC 3676 delimiter and the mobile clients' taglines.
_SIGNATURE = [
    re.compile(r"^-- ?$"),
    re.compile(r"^\s*(发自我的|來自我的|Sent from my|Get Outlook for|从我的)\s*\S.{0,60}$", re.I),
    re.compile(
        r"^\s*(发自|Sent with)\s*(网易邮箱|QQ邮箱|Foxmail|Spark|Mail for Windows).{0,40}$", re.I
    ),
]


def fold_quoted(text: str) -> str:
    """The new text of a message: everything before its quoted history or signature.

    If folding would leave nothing (a message that is all quote, or starts with a marker), the
    whole text is returned: showing too much is better than showing an empty message.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cut = _first_marker(lines)
    new = "\n".join(lines[:cut]) if cut is not None else text
    new = _strip_trailing_quote(new)
    new = new.strip()
    return new if new else text.strip()


def _first_marker(lines: list[str]) -> int | None:
    for index, line in enumerate(lines):
        if any(marker.match(line) for marker in _MARKERS):
            return index
        if (
            index + 1 < len(lines)
            and line.strip().lower().startswith("on ")
            and not line.rstrip().endswith(":")
            and lines[index + 1].rstrip().endswith("wrote:")
        ):
            return index  # Gmail wraps a long "On … wrote:" onto two lines
        if _HEADER_START.match(line) and any(
            _HEADER_FOLLOW.match(following) for following in lines[index + 1 : index + 4]
        ):
            return index
        if any(signature.match(line) for signature in _SIGNATURE):
            return index
    return None


def _strip_trailing_quote(text: str) -> str:
    """Drop a block of ``>``-quoted lines at the end (bottom-quoting without a marker)."""
    lines = text.split("\n")
    end = len(lines)
    while end > 0 and (lines[end - 1].startswith(">") or not lines[end - 1].strip()):
        end -= 1
    return "\n".join(lines[:end])
