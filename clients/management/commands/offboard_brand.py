"""python manage.py offboard_brand acme --yes"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from agency.exceptions import StormdeskError
from clients.services import client_get, client_offboard


class Command(BaseCommand):
    help = "Offboard a brand: write and verify an archive of its data, then drop its schema."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument(
            "--yes", action="store_true", help="Confirm; nothing happens without it."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["yes"]:
            raise CommandError("Offboarding drops the brand's schema. Add --yes to confirm.")
        try:
            export = client_offboard(client=client_get(slug=options["slug"]))
        except StormdeskError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Offboarded {options['slug']}. Archive: {export.path} "
                f"({export.size_bytes} bytes, sha256 {export.sha256})"
            )
        )
