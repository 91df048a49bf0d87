"""Reactions of the tickets domain to events (run after commit, idempotent)."""
