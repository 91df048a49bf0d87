"""Turning the bytes of real-world mail into text, whatever charset it declares.

Chinese and Japanese mail often declares a charset narrower than the one it was written in
(``gb2312`` for GBK text, ``big5`` for Big5-HKSCS, ``shift_jis`` for Windows-31J), declares
none, or declares a wrong one. Each declared charset is widened to its superset first, then the
common charsets are tried strictly; only if none fits is the text decoded with replacement
characters, so decoding never raises and never drops the message.
"""

from __future__ import annotations

import codecs
import re
from email.header import decode_header

# A declared charset → the superset real clients actually write in.
_WIDER = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "cp936": "gb18030",
    "x-gbk": "gb18030",
    "euc-cn": "gb18030",
    "hz-gb-2312": "hz",
    "big5": "big5hkscs",
    "x-big5": "big5hkscs",
    "cn-big5": "big5hkscs",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "ms_kanji": "cp932",
    "iso-2022-jp": "iso2022_jp_ext",
    "euc-kr": "cp949",
    "ks_c_5601-1987": "cp949",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "us-ascii": "utf-8",
    "ascii": "utf-8",
    "unicode-1-1-utf-7": "utf-7",
    "utf8": "utf-8",
}
# Tried in this order when the declared charset does not decode the bytes strictly.
_FALLBACKS = ("utf-8", "gb18030", "big5hkscs", "cp932", "euc-jp", "cp949")
_ENCODED_WORD_GAP = re.compile(r"(\?=)\s+(=\?)")


def codec_for(charset: str | None) -> str | None:
    """The Python codec to decode ``charset`` with, or None if Python knows no such charset."""
    if not charset:
        return None
    name = charset.strip().strip("\"'").lower()
    name = _WIDER.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_bytes(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """Decode ``data``; returns (text, codec used). Never raises."""
    candidates: list[str] = []
    declared_codec = codec_for(declared)
    if declared_codec:
        candidates.append(declared_codec)
    candidates += [c for c in _FALLBACKS if c not in candidates]
    for name in candidates:
        try:
            return data.decode(name), name
        except (UnicodeDecodeError, LookupError):
            continue
    chosen = declared_codec or "utf-8"
    return data.decode(chosen, errors="replace"), chosen


def decode_header_value(value: str, *, fallback: str | None = None) -> str:
    """Decode a raw header value: RFC 2047 encoded words (also malformed ones) and raw 8-bit.

    ``value`` is the header as the parser kept it (8-bit bytes survive as surrogate escapes);
    ``fallback`` is the charset to try first for raw 8-bit bytes (the body's, usually).
    """
    if any("\udc80" <= ch <= "\udcff" for ch in value):
        text, _codec = decode_bytes(value.encode("ascii", "surrogateescape"), fallback)
        value = text
    # Some clients put whitespace between encoded words that belong together, or none at all
    # before the next word; decode_header copes with both once the gaps are uniform.
    value = _ENCODED_WORD_GAP.sub(r"\1\2", value)
    try:
        chunks = decode_header(value)
    except Exception:  # a malformed encoded word: keep the text as it came
        return _clean(value)
    parts: list[str] = []
    for chunk, charset in chunks:
        if isinstance(chunk, str):
            parts.append(chunk)
        else:
            parts.append(decode_bytes(chunk, charset)[0])
    return _clean("".join(parts))


def _clean(text: str) -> str:
    text = text.replace("\r", " ").replace("\n", " ").replace("\x00", "")
    return re.sub(r"[ \t]{2,}", " ", text).strip()
