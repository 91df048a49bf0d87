"""Celery tasks of the core: only the wake-up.

Celery carries no work and no timers: work is rows in the database (reactions, due items).
``bihuan worker`` reads wake-up messages straight from the queue; a plain
``celery -A bihuan worker -Q bihuan-wake`` would run this task, which does the same work.
"""

from __future__ import annotations

from celery import shared_task

from bihuan.core.runner import Runner


@shared_task(name="bihuan.core.tasks.wake", ignore_result=True)  # type: ignore[untyped-decorator]
def wake() -> int:
    """Handle whatever is claimable now (reactions and due items)."""
    return Runner("celery").run_until_idle().total
