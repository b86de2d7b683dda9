"""Find and quarantine rows with out-of-range timestamps, in one brand or all of them.

python manage.py repair_timestamps [--brand acme] [--dry-run]

A brand poisoned before the doors checked dates (a mention dated year 10000, which psycopg
cannot read back) comes back without hand-editing the database: see
monitoring.services.repair.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from agency.exceptions import StormdeskError
from clients import tenancy
from clients.models import Client
from clients.services import client_get
from monitoring.services.repair import timestamps_repair


class Command(BaseCommand):
    help = "Quarantine mentions and author reach with out-of-range timestamps, in every brand."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--brand", help="One brand's slug (default: every brand).")
        parser.add_argument("--dry-run", action="store_true", help="Count, change nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["brand"]:
            try:
                brands = [client_get(slug=options["brand"])]
            except StormdeskError as exc:
                raise CommandError(exc.message) from exc
        else:
            brands = list(Client.objects.brands().order_by("slug"))
        total = 0
        for client in brands:
            with tenancy.tenant_context(client):
                report = timestamps_repair(client=client, dry_run=options["dry_run"])
            total += report.changed
            verb = "would change" if options["dry_run"] else "changed"
            self.stdout.write(f"{client.slug}: {verb} {report.changed} rows")
            for line in report.lines():
                self.stdout.write(f"  {line}")
        self.stdout.write(f"{len(brands)} brands, {total} rows in all.")
