"""Domain errors: raised by services before they write anything.

A ``DomainError`` carries a stable machine code, a translatable message and the HTTP status the
API and the pages map it to. Views never build error answers themselves.
"""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise


class DomainError(Exception):
    """A rule of the domain refused the request; nothing was changed."""

    status = 400
    code = "invalid"

    def __init__(self, message: str | Promise, *, code: str | None = None, **params: Any) -> None:
        self.message = message
        self.params = params
        if code is not None:
            self.code = code
        super().__init__(str(message))

    def __str__(self) -> str:
        text = str(self.message)
        return text % self.params if self.params else text


class NotFound(DomainError):
    """The object does not exist or is outside the viewer's scope (never reveal which)."""

    status = 404
    code = "not_found"


class PermissionDenied(DomainError):
    """The viewer may see the object but not perform this action on it."""

    status = 403
    code = "forbidden"


class Conflict(DomainError):
    """The request contradicts the current state (e.g. a forbidden status transition)."""

    status = 409
    code = "conflict"


class PreconditionFailed(DomainError):
    """The object changed since the caller read it (``If-Match`` / the page's version)."""

    status = 412
    code = "precondition_failed"


class ValidationFailed(DomainError):
    """The request is well-formed but its values break a rule."""

    status = 422
    code = "validation_failed"
