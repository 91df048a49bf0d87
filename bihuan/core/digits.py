"""Numbers typed by people: only ASCII digits count as a number."""

from __future__ import annotations


def ascii_digits(text: str) -> bool:
    """True when ``text`` is one or more ASCII digits.

    ``str.isdigit()`` is also true for "²", "①" and other Unicode digits, which ``int()`` or
    the database refuse: an id, a ticket number or a phone number must pass this instead.
    """
    return text.isascii() and text.isdigit()
