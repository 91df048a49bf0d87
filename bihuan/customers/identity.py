"""Normalising phone numbers and email addresses so the same person is matched everywhere.

Phones are stored in E.164 (``+8613800138000``), parsed by ``phonenumbers`` with China as
the region a number without a country code belongs to; emails in lower case with an ASCII
(IDNA) domain. Rows written before these rules (``13800138000``, ``张三@例子.中国``) are
converted by a migration, but a number that two customers held in different spellings stays
in its old spelling on one of them: lookups therefore ask for every spelling a value may
have been stored in (``phone_spellings``, ``email_spellings``).
"""

from __future__ import annotations

import contextlib
import re
import unicodedata

import idna
import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from bihuan.core.digits import ascii_digits
from bihuan.core.errors import ValidationFailed
from bihuan.core.masking import mask_email, mask_phone
from bihuan.customers.choices import IdentityKind

DEFAULT_REGION = "CN"
_PHONE_CHARS = re.compile(r"[\s\-().]")
_CN_PREFIX = "+86"


def _phone_digits(raw: str) -> str:
    """The number as typed without separators (full-width digits made ASCII)."""
    return _PHONE_CHARS.sub("", unicodedata.normalize("NFKC", raw).strip())


def normalize_phone(raw: str) -> str:
    """The number in E.164 (``+8613800138000``) or ValidationFailed.

    A number without a country code is Chinese (``138 0013 8000``, ``(021) 6234 5678``);
    ``+86``, ``0086`` and ``86`` prefixes are understood. Only digits and the separators
    people type (spaces, ``-``, ``.``, brackets) are accepted: ``phonenumbers`` would read
    letters as a keypad word, which nobody means in a customer's phone number.
    """
    value = _phone_digits(raw)
    candidate = value[1:] if value.startswith("+") else value
    error = ValidationFailed(
        _("“%(value)s” is not a valid phone number."), code="invalid_phone", value=raw[:50]
    )
    if not ascii_digits(candidate) or not 5 <= len(candidate) <= 17:
        raise error
    try:
        number = phonenumbers.parse(value, DEFAULT_REGION)
    except phonenumbers.NumberParseException as exc:
        raise error from exc
    if not phonenumbers.is_valid_number(number):
        raise error
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_spellings(e164: str) -> list[str]:
    """Every spelling a stored phone may have: E.164 and the digits the rules before E.164
    stored (``13800138000``; ``02162345678`` and ``2162345678`` for a landline; digits
    without ``+`` for a number abroad)."""
    spellings = [e164, e164.lstrip("+")]
    if e164.startswith(_CN_PREFIX):
        national = e164[len(_CN_PREFIX) :]
        spellings += [national, f"0{national}"]
    return list(dict.fromkeys(spellings))


def display_phone(value: str) -> str:
    """How people in China write a stored phone: a Chinese number as dialled at home
    (``13800138000``, ``02162345678``), a number abroad in E.164. Values in an old spelling
    are shown as stored."""
    if not value.startswith("+"):
        return value
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return value
    if number.country_code == 86:
        national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        return _phone_digits(national)
    return value


def format_phone(value: str) -> str:
    """A stored phone for reading on the full record (``+86 138 0013 8000``)."""
    if not value.startswith("+"):
        return value
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return value
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _ascii_domain(domain: str) -> str:
    if domain.isascii():
        return domain
    return idna.encode(domain, uts46=True).decode("ascii")


def normalize_email(raw: str) -> str:
    """The address in lower case with an ASCII domain (IDNA: ``例子.中国`` is stored as
    ``xn--fsqu00a.xn--fiqs8s``), surrounding white space and full-width forms removed."""
    value = unicodedata.normalize("NFKC", raw).strip().lower()
    local, at, domain = value.rpartition("@")
    error = ValidationFailed(
        _("“%(value)s” is not a valid email address."), code="invalid_email", value=raw[:80]
    )
    if not at or not local or not domain:
        raise error
    try:
        value = f"{local}@{_ascii_domain(domain)}"
        validate_email(value)
    except (ValidationError, idna.IDNAError, UnicodeError) as exc:
        raise error from exc
    return value


def email_spellings(email: str) -> list[str]:
    """The normalised address and its spelling with a Unicode domain (as stored before)."""
    local, _at, domain = email.rpartition("@")
    spellings = [email]
    if "xn--" in domain:
        with contextlib.suppress(idna.IDNAError, UnicodeError):
            spellings.append(f"{local}@{idna.decode(domain)}")
    return spellings


def spellings(kind: str, value: str) -> list[str]:
    """Every spelling an identity of ``kind`` with the normalised ``value`` may be stored in."""
    if kind == IdentityKind.PHONE:
        return phone_spellings(value)
    if kind == IdentityKind.EMAIL:
        return email_spellings(value)
    return [value]


def display_value(kind: str, value: str) -> str:
    """A stored identity as people read it (a Chinese phone as dialled at home)."""
    return display_phone(value) if kind == IdentityKind.PHONE else value


def masked_value(kind: str, value: str) -> str:
    """A stored identity masked for lists: 138****5678, z***@example.com."""
    if kind == IdentityKind.EMAIL:
        return mask_email(value)
    return mask_phone(display_value(kind, value))


def looks_like_phone(text: str) -> bool:
    candidate = _phone_digits(text).lstrip("+")
    return ascii_digits(candidate) and 7 <= len(candidate) <= 17


def looks_like_email(text: str) -> bool:
    return "@" in text and " " not in text.strip()
