"""Article bodies: Markdown to HTML, sanitised on output.

markdown-it-py renders CommonMark (plus tables and strikethrough) with raw HTML disabled; nh3
then keeps only a fixed set of tags and attributes, so neither a ``<script>`` typed into an
article nor a ``javascript:`` link ever reaches a page.
"""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt

_renderer = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(
    ["table", "strikethrough"]
)
_TAGS = {
    "p", "br", "hr", "strong", "em", "del", "code", "pre", "blockquote", "ul", "ol", "li",
    "h1", "h2", "h3", "h4", "h5", "h6", "a", "table", "thead", "tbody", "tr", "th", "td", "img",
}  # fmt: skip
_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"}}
_MARKUP = re.compile(r"[*_`#>|~]+|!?\[([^\]]*)\]\([^)]*\)")


def render_markdown(text: str) -> str:
    """Sanitised HTML of ``text`` (safe to mark safe in a template)."""
    return nh3.clean(
        _renderer.render(text),
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def plain_text(text: str) -> str:
    """The words of a Markdown text without its markup (for replies and snippets)."""
    lines = []
    for line in text.splitlines():
        line = _MARKUP.sub(lambda m: m.group(1) or "", line).strip()
        line = re.sub(r"^[-+]\s+", "· ", line)
        lines.append(line)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
