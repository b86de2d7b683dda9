"""Imports of other listening tools' exports: stored, counted, then ingested in chunks.

Each chunk is ingested and the job's position (`next_row`) advanced in one transaction, under
a lock on the job row: a worker killed mid-file leaves the job at the end of its last committed
chunk, and the run that takes over (the redelivered task) starts there, so no row is lost and
none is stored twice (the unique external id would drop it anyway).
"""

from __future__ import annotations

import csv
import logging
import uuid
import zoneinfo
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from clients import tenancy
from monitoring.connectors import exports
from monitoring.exceptions import IngestError
from monitoring.models import Channel, ImportJob, ImportStatus, Source
from monitoring.services.ingestion import dead_letter_of_item, mentions_ingest

if TYPE_CHECKING:
    from agency.models import User
    from clients.models import Client

logger = logging.getLogger(__name__)

CHUNK_ROWS: int = settings.IMPORT_CHUNK_ROWS
# The exports an import reads, by their names' ending, and the largest one it keeps (split a
# bigger export: a file this size is already millions of rows).
IMPORT_SUFFIXES = (".csv", ".tsv", ".json", ".jsonl", ".ndjson")
MAX_IMPORT_BYTES = 200 * 1024 * 1024
Progress = Callable[[ImportJob], None]


def import_job_create(
    *,
    client: Client,
    source: Source,
    filename: str,
    chunks: Iterable[bytes],
    acting_user: User | None,
    timezone_name: str = "UTC",
    run_async: bool = True,
) -> ImportJob:
    """Store an uploaded export and create its job; with `run_async`, a worker ingests it.
    A file that is not a CSV or JSON export by its name, or larger than MAX_IMPORT_BYTES, is
    refused and nothing of it kept."""
    tenancy.require_tenant(client)
    if timezone_name not in zoneinfo.available_timezones():
        raise IngestError(f"'{timezone_name}' is not an IANA time zone.", field="timezone")
    safe_name = Path(filename).name or "import.csv"
    if not safe_name.lower().endswith(IMPORT_SUFFIXES):
        raise IngestError(
            f"{safe_name} is not a CSV or JSON export: upload a file ending in "
            f"{', '.join(IMPORT_SUFFIXES)}.",
            field="file",
        )
    folder = Path(settings.IMPORT_ROOT) / client.slug
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}-{safe_name}"
    written = 0
    with path.open("wb") as handle:
        for chunk in chunks:
            written += len(chunk)
            if written > MAX_IMPORT_BYTES:
                break
            handle.write(chunk)
    if written > MAX_IMPORT_BYTES:
        path.unlink()
        raise IngestError(
            f"{safe_name} is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB: split the export.",
            field="file",
        )
    fmt = exports.file_format(path)
    try:
        total = exports.count_rows(path, fmt)
    except (UnicodeDecodeError, ValueError, csv.Error) as exc:
        raise IngestError(
            f"{safe_name} cannot be read as {fmt.upper()}: {exc} (kept at {path.name}).",
            field="file",
        ) from exc
    with transaction.atomic():
        job = ImportJob.objects.create(
            source=source,
            filename=safe_name,
            path=str(path),
            file_format=fmt,
            total_rows=total,
            created_by_id=acting_user.pk if acting_user else None,
            timezone=timezone_name,
        )
        if run_async:
            from monitoring.tasks import import_run

            schema_name = client.schema_name
            transaction.on_commit(
                lambda: import_run.delay(schema_name=schema_name, import_id=job.pk)
            )
    return job


def import_job_run(*, client: Client, import_id: int, progress: Progress | None = None) -> str:
    """Ingest the job's rows from where it stands. Safe to run twice, or in two workers."""
    tenancy.require_tenant(client)
    job = ImportJob.objects.select_related("source").get(pk=import_id)
    if job.status in (ImportStatus.DONE, ImportStatus.FAILED):
        return job.status
    path = Path(job.path)
    zone = zoneinfo.ZoneInfo(job.timezone)
    ImportJob.objects.filter(pk=job.pk, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING
    )
    try:
        mapping = exports.column_map(exports.header_of(path, job.file_format))
        rows = exports.rows_from(exports.read_rows(path, job.file_format), job.next_row)
        position = job.next_row
        for chunk in exports.chunked(rows, CHUNK_ROWS):
            with transaction.atomic():
                locked = ImportJob.objects.select_for_update().get(pk=job.pk)
                if locked.next_row != position:
                    # Another run went ahead; continue from where it is.
                    logger.info("import %s: resuming at %s", job.pk, locked.next_row)
                    return import_job_run(client=client, import_id=import_id, progress=progress)
                _ingest_chunk(client, locked, chunk, mapping, zone)
                position = locked.next_row
            if progress:
                progress(locked)
    except (UnicodeDecodeError, ValueError, OSError, csv.Error) as exc:
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportStatus.FAILED,
            error=f"{type(exc).__name__}: {exc}",
            finished_at=timezone.now(),
        )
        logger.warning("import %s failed: %s", job.pk, exc)
        return ImportStatus.FAILED
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.DONE, finished_at=timezone.now(), total_rows=position
    )
    return ImportStatus.DONE


def _ingest_chunk(
    client: Client,
    job: ImportJob,
    rows: list[Any],
    mapping: dict[str, str],
    zone: zoneinfo.ZoneInfo,
) -> None:
    readable: list[tuple[int, dict]] = []
    unreadable = 0
    for offset, row in enumerate(rows):
        problem = exports.unreadable(row)
        if problem:
            dead_letter_of_item(
                source=job.source,
                channel=Channel.IMPORT,
                errors=[("line", problem)],
                item=row,
                batch_index=job.next_row + offset,
            )
            unreadable += 1
        else:
            readable.append((job.next_row + offset, row))
    # CSV has one header; JSON rows each bring their own keys.
    mappings = [mapping or exports.column_map(list(row)) for _, row in readable]
    items = [exports.map_row(row, m, zone) for (_, row), m in zip(readable, mappings, strict=True)]
    result = mentions_ingest(
        client=client,
        source=job.source,
        items=items,
        raws=[row for _, row in readable],
        channel=Channel.IMPORT,
        # Name the fields as the user knows them (their columns) and the rows by file position.
        field_name=lambda index, field: exports.describe_field(field, mappings[index]),
        positions=[position for position, _ in readable],
    )
    job.next_row += len(rows)
    job.accepted += result.accepted
    job.duplicates += result.duplicates
    job.rejected += len(result.rejected) + unreadable
    job.save(update_fields=["next_row", "accepted", "duplicates", "rejected"])
