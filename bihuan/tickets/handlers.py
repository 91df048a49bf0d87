"""Reactions of the tickets domain to events (run after commit, idempotent).

The call-back consumer and its timers live with the closing rules (``closing``).
"""

from bihuan.tickets import closing  # noqa: F401  (registers the consumer and due work)
