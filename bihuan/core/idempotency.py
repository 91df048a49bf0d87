"""Idempotent creation: the same ``Idempotency-Key`` sent twice gets one object, one answer.

The key row is inserted in the same transaction as the object it answers for. Two concurrent
requests with one key race on the unique constraint: the loser's whole transaction (its
object included) rolls back, and it returns the winner's stored answer.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bihuan.core.errors import Conflict, ValidationFailed
from bihuan.core.models import IdempotencyKey

MAX_KEY_LENGTH = 255


def _hash(payload: Any) -> str:
    raw = json.dumps(payload, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()


def _replay(row: IdempotencyKey, request_hash: str) -> tuple[int, Any]:
    if row.request_hash != request_hash:
        raise Conflict(
            _("This Idempotency-Key was already used for a different request."),
            code="idempotency_key_reused",
        )
    return row.response_status, row.response_body


def run_idempotent(
    *,
    user: Any,
    scope: str,
    key: str | None,
    payload: Any,
    produce: Callable[[], tuple[int, Any]],
) -> tuple[int, Any]:
    """Run ``produce`` once per (user, scope, key); later calls replay its stored answer."""
    if key is None:
        return produce()
    if not key.strip() or len(key) > MAX_KEY_LENGTH:
        raise ValidationFailed(
            _("The Idempotency-Key header must be 1–255 characters."),
            code="invalid_idempotency_key",
        )
    request_hash = _hash(payload)
    existing = IdempotencyKey.objects.filter(user=user, scope=scope, key=key).first()
    if existing is not None:
        return _replay(existing, request_hash)
    try:
        with transaction.atomic():
            status, body = produce()
            IdempotencyKey.objects.create(
                user=user,
                scope=scope,
                key=key,
                request_hash=request_hash,
                response_status=status,
                response_body=body,
                created_at=timezone.now(),
            )
    except IntegrityError:
        winner = IdempotencyKey.objects.filter(user=user, scope=scope, key=key).first()
        if winner is None:
            raise
        return _replay(winner, request_hash)
    return status, body
