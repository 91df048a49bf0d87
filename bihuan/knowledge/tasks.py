"""Review deadlines as due work (``core.due_work``): 24 hours after a policy change flags an
article, its review task turns overdue if nobody reviewed it. Safe to run twice."""

from __future__ import annotations

from bihuan.core.due_work import due_work
from bihuan.core.models import DueItem
from bihuan.knowledge import services


@due_work(services.REVIEW_OVERDUE)
def review_overdue(item: DueItem) -> None:
    services.mark_review_overdue(int(item.data.get("task", 0)))
