"""``bihuan knowledge defaults --as USERNAME``: load the default shared reply templates (话术,
Chinese and English, one or more per scenario). Templates that exist by title and language
are kept; running it again adds nothing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bihuan.accounts.models import User
from bihuan.core.errors import DomainError
from bihuan.knowledge.defaults import install_default_templates


class Command(BaseCommand):
    help = "Knowledge base tasks: 'defaults' loads the default shared reply templates."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("subcommand", choices=["defaults"])
        parser.add_argument(
            "--as",
            dest="username",
            required=True,
            help="A supervisor or admin, recorded as the author of the templates.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user {options['username']!r}.")
        try:
            created = install_default_templates(actor=user)
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{created} reply templates added.")
