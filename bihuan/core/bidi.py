"""Neutralising text-direction controls in text people and channels send.

U+202A–U+202E (embeddings and overrides) and U+2066–U+2069 (isolates) make the text after
them display in another order: "invoice‮fdp.exe" shows as "invoiceexe.pdf". Such controls
are removed from every subject, name and body before it is stored, so that nothing can
display reversed wherever it is later rendered (pages, exports, notifications).
"""

from __future__ import annotations

import re

BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def neutralise_bidi(text: str) -> str:
    """``text`` without direction embeddings, overrides and isolates."""
    return BIDI_CONTROLS.sub("", text)
