"""HTML mail: sanitised with nh3 before an agent sees it, and turned into plain text.

Remote images are tracking beacons as often as they are content, so the sanitised HTML keeps
their address in ``data-remote-src`` and loads nothing; the page swaps it into ``src`` only
when the agent asks. Inline images (``cid:``) are rewritten to the stored attachment's URL.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from html.parser import HTMLParser

import nh3

_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd", "del",
    "div", "dl", "dt", "em", "font", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img",
    "ins", "li", "ol", "p", "pre", "q", "s", "small", "span", "strike", "strong", "sub", "sup",
    "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
_ATTRIBUTES = {
    "*": {"align", "dir", "lang", "title"},
    "a": {"href"},
    "img": {"alt", "width", "height", "src", "data-remote-src"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "font": {"color"},
}
_IMG_SRC = re.compile(r"""(<img\b[^>]*?\s)src(\s*=\s*["']?\s*)(https?:|//)""", re.I)


def sanitize_html(
    html: str,
    *,
    inline_images: Mapping[str, str] | None = None,
    allow_remote_images: bool = False,
) -> str:
    """Safe HTML for the agent's page: no script, style, event handler, and no remote load
    unless the agent asked for the remote images (``allow_remote_images``)."""
    inline = {cid.strip("<>"): url for cid, url in (inline_images or {}).items()}
    if not allow_remote_images:
        # Park remote image addresses before sanitising; only cid: images keep a src.
        html = _IMG_SRC.sub(r"\1data-remote-src\2\3", html)

    def keep(element: str, attribute: str, value: str) -> str | None:
        if element == "img" and attribute == "src":
            if value.lower().startswith("cid:"):
                return inline.get(value[4:].strip("<>"))
            if allow_remote_images and value.lower().startswith(("https://", "http://")):
                return value
            return None
        return value

    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        attribute_filter=keep,
        url_schemes={"http", "https", "mailto", "cid"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def has_remote_images(sanitized: str) -> bool:
    return "data-remote-src" in sanitized


class _TextExtractor(HTMLParser):
    _BLOCKS = frozenset({"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6",
                         "blockquote", "table", "hr", "pre"})  # fmt: skip
    _SKIP = frozenset({"script", "style", "head", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self.skipping += 1
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Readable plain text of an HTML body (for search, triage and the folded message)."""
    parser = _TextExtractor()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # HTMLParser is lenient, but never let a page of tag soup lose a mail
        return re.sub(r"<[^>]+>", " ", html)
    text = "".join(parser.parts).replace("\xa0", " ")
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
