"""Normalising phone numbers and email addresses so the same person is matched everywhere."""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from bihuan.core.digits import ascii_digits
from bihuan.core.errors import ValidationFailed

_PHONE_CHARS = re.compile(r"[\s\-().]")


def normalize_phone(raw: str) -> str:
    """Digits only, without the +86 / 0086 country prefix; 7–15 digits or ValidationFailed.

    Full-width digits typed with a Chinese input method (１３８…) count as digits.
    """
    value = _PHONE_CHARS.sub("", unicodedata.normalize("NFKC", raw).strip())
    if value.startswith("+86"):
        value = value[3:]
    elif value.startswith("0086"):
        value = value[4:]
    elif value.startswith("+"):
        value = value[1:]
    if not ascii_digits(value) or not 7 <= len(value) <= 15:
        raise ValidationFailed(
            _("“%(value)s” is not a valid phone number."), code="invalid_phone", value=raw
        )
    return value


def normalize_email(raw: str) -> str:
    value = raw.strip().lower()
    try:
        validate_email(value)
    except ValidationError as exc:
        raise ValidationFailed(
            _("“%(value)s” is not a valid email address."), code="invalid_email", value=raw
        ) from exc
    return value


def looks_like_phone(text: str) -> bool:
    candidate = _PHONE_CHARS.sub("", unicodedata.normalize("NFKC", text).strip()).lstrip("+")
    return ascii_digits(candidate) and 7 <= len(candidate) <= 15


def looks_like_email(text: str) -> bool:
    return "@" in text and " " not in text.strip()
