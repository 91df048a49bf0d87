"""``bihuan jobs status``: reactions and due work at a glance; ``bihuan jobs retry``: parked
rows back in the queue."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from bihuan.core import services
from bihuan.core.jobs_status import jobs_status


def _seconds(value: float | None) -> str:
    if value is None:
        return "—"
    if value < 1:
        return f"{value * 1000:.0f}ms"
    if value < 120:
        return f"{value:.1f}s"
    return f"{value / 60:.0f}min"


class Command(BaseCommand):
    help = "Show background work (status) or put parked work back in the queue (retry)."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="command", required=True)
        commands.add_parser("status", help="Pending, lag over the last hour, parked, progress.")
        retry = commands.add_parser("retry", help="Retry parked reactions and due items.")
        retry.add_argument("--reaction", type=int, action="append", default=[])
        retry.add_argument("--due-item", type=int, action="append", default=[])
        retry.add_argument("--all", action="store_true", help="Every parked row.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["command"] == "retry":
            count = services.retry_parked_work(
                reaction_ids=options["reaction"],
                due_item_ids=options["due_item"],
                everything=options["all"],
            )
            self.stdout.write(f"{count} parked rows back in the queue")
            return
        status = jobs_status()
        header = (
            f"{'':9} {'name':34} {'pending':>8} {'due now':>8} {'running':>8} {'parked':>7}"
            f" {'done/h':>7} {'lag p50':>8} {'p95':>8} {'max':>8}"
        )
        self.stdout.write(header)
        for line in status.lines:
            self.stdout.write(
                f"{line.source:9} {line.name[:34]:34} {line.pending:>8} {line.claimable:>8}"
                f" {line.running:>8} {line.parked:>7} {line.done_last_hour:>7}"
                f" {_seconds(line.lag_p50):>8} {_seconds(line.lag_p95):>8}"
                f" {_seconds(line.lag_max):>8}"
            )
        if status.parked:
            self.stdout.write("\nparked (retry: bihuan jobs retry --reaction ID / --due-item ID)")
            for row in status.parked:
                self.stdout.write(
                    f"  {row.source} #{row.pk} {row.name}, {row.attempts} attempts: {row.error}"
                )
        for work in status.long_work:
            done, total = work.progress.get("done"), work.progress.get("total")
            note = work.progress.get("note", "")
            self.stdout.write(f"\nin progress: {work.kind} #{work.pk} {done}/{total} {note}")
