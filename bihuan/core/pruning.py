"""Finished work is kept a while for ``bihuan jobs status`` and the admin, then deleted.

Events are never deleted here: only the finished reactions and due items (parked ones stay
until someone retries or deletes them).
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from bihuan.core.due_work import due_work, every
from bihuan.core.models import DueItem, Reaction, WorkState

KEEP_FINISHED = timedelta(days=7)


def prune_finished_work(*, older_than: timedelta = KEEP_FINISHED, chunk: int = 5000) -> int:
    """Delete done reactions and done or cancelled due items finished before the cut-off."""
    cut = timezone.now() - older_than
    deleted = 0
    for model, states in (
        (Reaction, [WorkState.DONE]),
        (DueItem, [WorkState.DONE, WorkState.CANCELLED]),
    ):
        while True:
            ids = list(
                model.objects.filter(state__in=states, finished_at__lt=cut).values_list(
                    "pk", flat=True
                )[:chunk]
            )
            if not ids:
                break
            with transaction.atomic():
                deleted += model.objects.filter(pk__in=ids).delete()[0]
    return deleted


@due_work("core.prune_finished_work", atomic=False, repeat=every(timedelta(hours=6)))
def prune(item: DueItem) -> None:
    prune_finished_work()
