"""Onboard a brand: manage.py onboard_brand "Acme Coffee" --slug acme --timezone Europe/Amsterdam"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from agency.exceptions import StormdeskError
from clients.services import client_onboard


class Command(BaseCommand):
    help = "Onboard a client brand: its schema, host and defaults, in one transaction."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help='The brand\'s name, e.g. "Acme Coffee".')
        parser.add_argument("--slug", required=True, help="Host name part: <slug>.<BASE_DOMAIN>.")
        parser.add_argument(
            "--timezone", default="UTC", help="IANA time zone, e.g. Europe/Amsterdam."
        )
        parser.add_argument("--language", default="en", help="Main language: en, nl, sv, de or fr.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            client = client_onboard(
                name=options["name"],
                slug=options["slug"],
                timezone_name=options["timezone"],
                language=options["language"],
            )
        except StormdeskError as exc:
            field = f" ({exc.field})" if exc.field else ""
            raise CommandError(f"{exc.message}{field}") from exc
        self.stdout.write(
            self.style.SUCCESS(f"Onboarded {client.name}: {client.get_absolute_url()}")
        )
