"""Secrets kept in the database (mailbox passwords), encrypted at rest with Fernet.

The key is derived from Django's ``SECRET_KEY`` (``BIHUAN_SECRET_KEY``) with HKDF under a
purpose label of its own, so the database alone never yields a password and the secret key
itself is never used directly as an encryption key. Keys derived from ``SECRET_KEY_FALLBACKS``
still decrypt (``MultiFernet``): rotate the secret key by moving the old one to the
fallbacks, run ``bihuan mail rekey``, then drop the fallback.

``EncryptedCharField`` encrypts on every write and decrypts on every read, so no code path
(admin, services, fixtures) can store a password in plain text by accident.
"""

from __future__ import annotations

import base64
import logging
from typing import TYPE_CHECKING, Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

logger = logging.getLogger(__name__)

_PURPOSE = b"bihuan.channels mailbox passwords v1"


def _derive(secret: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_PURPOSE).derive(
        secret.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def _fernet() -> MultiFernet:
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([_derive(str(secret)) for secret in secrets])


def encrypt(plain: str) -> str:
    """The Fernet token of ``plain`` (empty stays empty: no password set)."""
    if not plain:
        return ""
    return _fernet().encrypt(plain.encode()).decode("ascii")


def decrypt(token: str) -> str:
    """The plain text of ``token``; raises ``InvalidToken`` when no key opens it."""
    if not token:
        return ""
    return _fernet().decrypt(token.encode("ascii")).decode()


def rotate(token: str) -> str:
    """``token`` re-encrypted under the current key (after a secret-key rotation)."""
    if not token:
        return ""
    return _fernet().rotate(token.encode("ascii")).decode("ascii")


# django-stubs makes the fields generic; at run time they are not subscriptable.
if TYPE_CHECKING:
    _CharField = models.CharField[str, str]
else:
    _CharField = models.CharField


class EncryptedCharField(_CharField):
    """A text column that holds only the Fernet token of its value.

    Python code sees the plain value; the database sees ``encrypt(value)``. A token that no
    key opens any more (the secret key changed without a fallback) reads as "" and is logged:
    the mailbox's login then fails with a clear error and the admin re-enters the password.
    """

    def from_db_value(
        self, value: str | None, expression: Any, connection: BaseDatabaseWrapper
    ) -> str | None:
        if value is None:
            return value
        try:
            return decrypt(value)
        except (InvalidToken, UnicodeError, ValueError):
            logger.error("a stored %s cannot be decrypted with the current secret key", self.name)
            return ""

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None:
            return value
        return encrypt(str(value))
