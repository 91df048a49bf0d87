"""The portal's background work: old one-time codes and sessions are deleted."""

from __future__ import annotations

from datetime import timedelta

from bihuan.core.due_work import due_work, every
from bihuan.core.models import DueItem
from bihuan.portal.services import prune_portal_codes


@due_work("portal.prune_codes", repeat=every(timedelta(hours=6)))
def prune_codes(item: DueItem) -> None:
    prune_portal_codes()
