"""Teach a brand's volume detectors its stored history (after importing its past mentions).

python manage.py detection_backfill --brand acme [--days 28]
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from agency.exceptions import StormdeskError
from clients import tenancy
from clients.services import client_get
from monitoring.services.detection import detection_backfill
from monitoring.services.processing import mentions_process_pending


class Command(BaseCommand):
    help = "Replay a brand's stored mentions into its volume detectors, so they know its usual."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--brand", required=True, help="The brand's slug.")
        parser.add_argument("--days", type=int, default=28, help="How far back (1-90 days).")

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"]
        if not 1 <= days <= 90:
            raise CommandError("--days must be between 1 and 90.")
        try:
            client = client_get(slug=options["brand"])
        except StormdeskError as exc:
            raise CommandError(exc.message) from exc
        with tenancy.tenant_context(client):
            # Mentions not yet enriched would count without their sentiment.
            processed = mentions_process_pending(client=client)
            with transaction.atomic():
                bins = detection_backfill(client=client, days=days)
        self.stdout.write(
            f"{client.name}: {processed} mentions processed first; detectors read {bins} bins "
            f"of the last {days} days."
        )
