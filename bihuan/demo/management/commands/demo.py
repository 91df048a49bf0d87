"""``bihuan demo``: load the Chinese demo data set (see ``bihuan.demo.generate``)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from bihuan.demo.generate import DemoRefused, SignIn, delete_demo, load_demo


class Command(BaseCommand):
    help = (
        "Load a demo data set: a Chinese e-commerce customer-service team with 500 customers "
        "and 2,000 tickets over the last 90 days. Running it again changes nothing."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--reset", action="store_true", help="delete the demo data, then load it again"
        )
        parser.add_argument("--delete", action="store_true", help="only delete the demo data")
        parser.add_argument(
            "--force",
            action="store_true",
            help="load even though the database already has tickets of its own",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["delete"]:
            if delete_demo():
                self.stdout.write(self.style.SUCCESS("Demo data deleted."))
            else:
                self.stdout.write("No demo data to delete.")
            return
        try:
            result = load_demo(reset=options["reset"], force=options["force"])
        except DemoRefused as exc:
            raise CommandError(str(exc)) from exc
        if not result.loaded:
            self.stdout.write(
                "The demo data is already loaded; nothing changed "
                "(use --reset to delete and load it again)."
            )
        else:
            counts = ", ".join(f"{value} {name}" for name, value in result.counts.items())
            self.stdout.write(
                self.style.SUCCESS(f"Demo data loaded in {result.seconds:.1f} s: {counts}.")
            )
        self._print_sign_ins(result.sign_ins)

    def _print_sign_ins(self, sign_ins: list[SignIn]) -> None:
        rows = [("username", "name", "role", "password")] + [
            (s.username, s.display_name, s.role, s.password or "(existing account, unchanged)")
            for s in sign_ins
        ]
        widths = [max(_width(row[i]) for row in rows) for i in range(4)]
        self.stdout.write("\nDemo sign-ins:")
        for index, row in enumerate(rows):
            cells = [cell + " " * (widths[i] - _width(cell)) for i, cell in enumerate(row)]
            self.stdout.write("  " + "  ".join(cells).rstrip())
            if index == 0:
                self.stdout.write("  " + "  ".join("-" * w for w in widths))


def _width(text: str) -> int:
    """Columns a string takes in a terminal: CJK characters are two wide."""
    return sum(
        2 if "\u2e80" <= char <= "\u9fff" or "\uff00" <= char <= "\uffef" else 1 for char in text
    )
