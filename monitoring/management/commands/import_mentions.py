"""Import another listening tool's export into a brand's source, with a progress bar.

python manage.py import_mentions export.csv --brand acme --source 3 [--timezone Europe/Amsterdam]
"""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from agency.exceptions import StormdeskError
from clients import tenancy
from clients.services import client_get
from monitoring.models import ImportJob, Source
from monitoring.services.imports import import_job_create, import_job_run


class Command(BaseCommand):
    help = "Import a Brandwatch/Meltwater/Talkwalker-style CSV or JSON export into a source."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--brand", required=True, help="The brand's slug.")
        parser.add_argument("--source", required=True, type=int, help="The source's id.")
        parser.add_argument("--timezone", default="UTC", help="Zone of times without one.")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No file at {path}.")
        try:
            client = client_get(slug=options["brand"])
            with tenancy.tenant_context(client):
                source = Source.objects.filter(pk=options["source"]).first()
                if source is None:
                    raise CommandError(f"{client.name} has no source {options['source']}.")
                with path.open("rb") as handle:
                    job = import_job_create(
                        client=client,
                        source=source,
                        filename=path.name,
                        chunks=iter(lambda: handle.read(1 << 20), b""),
                        acting_user=None,
                        timezone_name=options["timezone"],
                        run_async=False,
                    )
                bar = tqdm(total=job.total_rows, unit="rows", desc=path.name, file=self.stderr)

                def advance(current: ImportJob) -> None:
                    bar.update(current.next_row - bar.n)
                    bar.set_postfix(
                        accepted=current.accepted,
                        duplicates=current.duplicates,
                        rejected=current.rejected,
                    )

                status = import_job_run(client=client, import_id=job.pk, progress=advance)
                bar.close()
                job.refresh_from_db()
        except StormdeskError as exc:
            raise CommandError(
                f"{exc.message} ({exc.field})" if exc.field else exc.message
            ) from exc
        summary = (
            f"Import {job.pk} {status}: {job.accepted} accepted, {job.duplicates} duplicates, "
            f"{job.rejected} rejected of {job.total_rows} rows."
        )
        if status != "done":
            raise CommandError(f"{summary} {job.error}")
        self.stdout.write(self.style.SUCCESS(summary))
        if job.rejected:
            self.stdout.write("Rejected rows are kept as dead letters: GET /api/v1/dead-letters/")
