"""Apps that hold customer foreign keys take part in a customer merge, without customers
importing them.

customers does not know tickets (tickets depend on customers). An app whose rows point at a
customer registers, from its ``AppConfig.ready``::

    register_merge_participant("tickets", move=move_tickets, undo=undo_tickets)

``move(merged, survivor)`` re-points the app's rows from ``merged`` to ``survivor`` and
answers the ids it moved; ``undo(merged, survivor, ids)`` points exactly those rows back.
Both run inside the merge's (or the undo's) one transaction, after both customers are
locked, and must not start their own side effects (the merge event is the record).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from bihuan.customers.models import Customer

Move = Callable[[Customer, Customer], list[int]]
Undo = Callable[[Customer, Customer, list[int]], None]
# Names customers itself keeps in a merge record: a participant may not take them.
RESERVED = frozenset({"identities", "demoted", "events", "tags", "organisation", "advisor"})


@dataclass(frozen=True)
class MergeParticipant:
    """How one app moves its rows to the survivor of a merge, and back."""

    name: str
    move: Move
    undo: Undo


_participants: dict[str, MergeParticipant] = {}


def register_merge_participant(name: str, *, move: Move, undo: Undo) -> None:
    """Take part in every customer merge as ``name`` (registering again replaces)."""
    if name in RESERVED:
        raise ValueError(f"{name!r} is kept by customers itself")
    _participants[name] = MergeParticipant(name=name, move=move, undo=undo)


def merge_participants() -> list[MergeParticipant]:
    """The registered participants, in registration order."""
    return list(_participants.values())


def chunked(ids: list[int], size: int = 500) -> Iterator[list[int]]:
    """``ids`` in slices small enough for one ``IN (…)`` on every database."""
    for start in range(0, len(ids), size):
        yield ids[start : start + size]
