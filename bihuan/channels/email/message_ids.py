"""Our outbound Message-IDs: they name the ticket and carry an HMAC, checked in constant time.

A reply that quotes one of our Message-IDs in ``In-Reply-To`` or ``References`` finds its ticket
even if the subject was rewritten, and a forged id (a guessed ticket number) is not believed.
"""

from __future__ import annotations

import re
import secrets

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

_SALT = "bihuan.channels.email.message-id"
_OURS = re.compile(
    r"^<bihuan\.(?P<ticket>\d{1,18})\.(?P<nonce>[0-9a-f]{8,32})\.(?P<mac>[0-9a-f]{24})@"
)


def _mac(ticket_id: int, nonce: str) -> str:
    return salted_hmac(_SALT, f"{ticket_id}.{nonce}", algorithm="sha256").hexdigest()[:24]


def make_message_id(ticket_id: int, *, domain: str | None = None) -> str:
    """A new, unique Message-ID for a mail about ticket ``ticket_id``."""
    nonce = secrets.token_hex(8)
    host = domain or getattr(settings, "BIHUAN_MAIL_DOMAIN", "bihuan.localhost")
    return f"<bihuan.{ticket_id}.{nonce}.{_mac(ticket_id, nonce)}@{host}>"


def ticket_of_message_id(message_id: str) -> int | None:
    """The ticket one of our own Message-IDs names, or None (not ours, or the HMAC is wrong)."""
    match = _OURS.match(message_id.strip())
    if match is None:
        return None
    ticket_id = int(match.group("ticket"))
    if not constant_time_compare(match.group("mac"), _mac(ticket_id, match.group("nonce"))):
        return None
    return ticket_id
