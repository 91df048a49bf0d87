"""``bihuan token create USERNAME [--name NAME]`` prints a new API token for the user."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bihuan.accounts.models import User
from bihuan.accounts.services import create_api_token
from bihuan.core.errors import DomainError


class Command(BaseCommand):
    help = "Manage personal API tokens."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a token and print it (shown once).")
        create.add_argument("username")
        create.add_argument("--name", default="cli", help="A label to recognise the token by.")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"], is_active=True).first()
        if user is None:
            raise CommandError(f"No active user named {options['username']!r}.")
        try:
            _token, plaintext = create_api_token(user, name=options["name"], actor=user)
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(plaintext)
