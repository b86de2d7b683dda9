"""The hand-off from ingestion to detection: each stored mention is processed exactly once.

`mentions_process` claims unprocessed mentions by id (row locks, SKIP LOCKED) and marks them
processed in the same transaction as the work done on them, so a run that dies changes nothing
and a second run of the same ids finds nothing left to do. Today that work is the search
document (stemming, kept off the ingestion path), enrichment (language, sentiment, tone, reach),
wave detection with its verdicts and alerts (monitoring.services.detection), and the
rollups the dashboard reads (monitoring.services.rollups).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db import connection, transaction
from django.utils import timezone

from clients import tenancy
from monitoring.models import Mention
from monitoring.services.detection import mentions_enrich, waves_detect
from monitoring.services.rollups import rollups_refresh
from monitoring.services.status import brand_status_refresh_on_commit
from monitoring.textsearch import document_sql

if TYPE_CHECKING:
    from clients.models import Client

REQUEUE_AFTER = timedelta(minutes=2)
PROCESS_CHUNK = 1000


def mentions_process(
    *, client: Client, mention_ids: Sequence[int], now: datetime | None = None
) -> int:
    """Process the given mentions that are not processed yet; returns how many it processed.
    `now` (default: the clock) is the moment detection judges at."""
    tenancy.require_tenant(client)
    with transaction.atomic():
        claimed = list(
            Mention.objects.select_for_update(skip_locked=True)
            .filter(pk__in=mention_ids, processed_at__isnull=True)
            .values_list("pk", flat=True)
        )
        if claimed:
            mentions_enrich(client=client, mention_ids=claimed)
            with connection.cursor() as cursor:
                cursor.execute(
                    f"""
                    INSERT INTO monitoring_mentionsearch (mention_id, language, document)
                    SELECT id, language, {document_sql("language", "text")}
                    FROM monitoring_mention WHERE id = ANY(%s)
                    ON CONFLICT (mention_id) DO UPDATE
                    SET language = EXCLUDED.language, document = EXCLUDED.document
                    """,  # noqa: S608  # built from constants
                    [claimed],
                )
            Mention.objects.filter(pk__in=claimed).update(processed_at=timezone.now())
            waves_detect(client=client, now=now)
            # Under the lock waves_detect took: runs recounting the same hour take turns.
            rollups_refresh(client=client, mention_ids=claimed)
            brand_status_refresh_on_commit(client=client)
    return len(claimed)


def mentions_unprocessed_ids(
    *, client: Client, older_than: timedelta | None = None, limit: int = 50_000
) -> list[int]:
    """Unprocessed mentions, oldest first; with `older_than`, only those that waited longer
    (their processing message was lost)."""
    tenancy.require_tenant(client)
    mentions = Mention.objects.filter(processed_at__isnull=True)
    if older_than is not None:
        mentions = mentions.filter(received_at__lt=timezone.now() - older_than)
    return list(mentions.order_by("received_at", "pk").values_list("pk", flat=True)[:limit])


def mentions_process_pending(
    *, client: Client, chunk: int = PROCESS_CHUNK, now: datetime | None = None
) -> int:
    """Process every unprocessed mention of the brand, in chunks; returns how many."""
    done = 0
    while ids := mentions_unprocessed_ids(client=client, limit=chunk):
        processed = mentions_process(client=client, mention_ids=ids, now=now)
        if not processed:  # all claimed by a concurrent run
            break
        done += processed
    return done
