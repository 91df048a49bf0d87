"""Errors of the channels app."""

from __future__ import annotations

from bihuan.core.errors import DomainError


class RateLimited(DomainError):
    """Too many submissions from one address in a short time."""

    status = 429
    code = "rate_limited"
