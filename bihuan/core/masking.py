"""Masking of personal data shown in lists (138****5678, z***@example.com)."""

from __future__ import annotations


def mask_phone(phone: str) -> str:
    digits = phone.strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"


def mask_email(email: str) -> str:
    local, sep, domain = email.partition("@")
    if not sep:
        return mask_phone(email)
    visible = local[:1] if local else ""
    return f"{visible}***@{domain}"


def mask_contact(value: str) -> str:
    return mask_email(value) if "@" in value else mask_phone(value)
