"""Background work of monitoring. Brand tasks carry `schema_name`; periodic ones fan out."""

from __future__ import annotations

import logging
from dataclasses import asdict

from celery import shared_task
from django.core.cache import cache
from django.db import transaction

from clients import tenancy
from clients.tenancy import current_client
from monitoring.services.detection import waves_detect
from monitoring.services.ingestion import PENDING_KEY, mentions_queue_processing
from monitoring.services.processing import REQUEUE_AFTER, mentions_unprocessed_ids
from monitoring.services.processing import mentions_process_pending as process_pending
from monitoring.services.status import brand_status_refresh_on_commit

logger = logging.getLogger(__name__)


@shared_task(base=tenancy.TenantTask, acks_late=True)
def mentions_process_pending(*, schema_name: str) -> int:
    """Process all of the brand's unprocessed mentions. Safe to run twice, or concurrently."""
    cache.delete(PENDING_KEY)  # mentions committed from now on get a run of their own
    return process_pending(client=current_client())


@shared_task(base=tenancy.TenantTask, acks_late=True)
def mentions_requeue_unprocessed(*, schema_name: str) -> int:
    # One id is enough to know a run is owed; the run itself reads them all.
    late = mentions_unprocessed_ids(client=current_client(), older_than=REQUEUE_AFTER, limit=1)
    if late:
        logger.warning("%s: mentions waited too long for processing; run queued", schema_name)
        mentions_queue_processing(schema_name)
    return len(late)


@shared_task
def mentions_requeue_unprocessed_all() -> int:
    """Periodic, in public: one requeue task per brand."""
    return tenancy.for_each_brand(mentions_requeue_unprocessed)


@shared_task(base=tenancy.TenantTask, acks_late=True)
def import_run(*, schema_name: str, import_id: int) -> str:
    """Ingest an uploaded file in committed chunks; a rerun resumes after the last chunk."""
    from monitoring.services.imports import import_job_run

    return import_job_run(client=current_client(), import_id=import_id)


@shared_task(base=tenancy.TenantTask, acks_late=True)
def waves_tick(*, schema_name: str) -> str:
    """Read the bins that closed and close the waves that went quiet, also when no mention
    comes in (a quiet brand's wave must end, and its detectors learn the quiet). Returns the
    open wave's level, '' for none. Safe to run twice: the second run reads no new bin."""
    client = current_client()
    with transaction.atomic():
        wave = waves_detect(client=client)
        # Also what only time changes: a source falling silent, an alert growing old.
        brand_status_refresh_on_commit(client=client)
    return wave.level if wave else ""


@shared_task
def waves_tick_all() -> int:
    """Periodic, in public: one tick per brand."""
    return tenancy.for_each_brand(waves_tick)


@shared_task(base=tenancy.TenantTask, acks_late=True)
def source_poll(*, schema_name: str, source_id: int) -> dict[str, object]:
    """Poll one pull source. Safe to run twice: a lock lets one poll run at a time and
    ingestion drops what is stored already."""
    from monitoring.services.polling import source_poll as poll

    result = poll(client=current_client(), source_id=source_id)
    return {"pages": result.pages, "accepted": result.accepted, "error": result.error}


@shared_task(base=tenancy.TenantTask, acks_late=True)
def sources_poll_due(*, schema_name: str) -> int:
    """Queue a poll of each of the brand's pull sources that is due."""
    from monitoring.services.polling import sources_due

    due = sources_due(client=current_client())
    for source_id in due:
        source_poll.delay(schema_name=schema_name, source_id=source_id)
    return len(due)


@shared_task
def sources_poll_due_all() -> int:
    """Periodic, in public: one due-sources check per brand."""
    return tenancy.for_each_brand(sources_poll_due)


@shared_task(base=tenancy.TenantTask, acks_late=True)
def mentions_complete(*, schema_name: str, source_id: int) -> dict[str, object]:
    """Read the source's mentions known by ids only in full (Meta's webhooks)."""
    from monitoring.services.completion import mentions_complete as complete

    return asdict(complete(client=current_client(), source_id=source_id))


@shared_task(base=tenancy.TenantTask, acks_late=True)
def mentions_complete_due(*, schema_name: str) -> int:
    from monitoring.services.completion import mentions_complete as complete
    from monitoring.services.completion import sources_to_complete

    client = current_client()
    sources = sources_to_complete(client=client)
    for source_id in sources:
        complete(client=client, source_id=source_id)
    return len(sources)


@shared_task
def mentions_complete_all() -> int:
    """Periodic, in public: one completion sweep per brand."""
    return tenancy.for_each_brand(mentions_complete_due)


@shared_task(base=tenancy.TenantTask, acks_late=True)
def escalation_step(*, schema_name: str, escalation_id: int, token: str) -> str:
    """Run an escalation's step if `token` is still its token (a duplicate finds it used)."""
    from monitoring.services.escalation import escalation_step_run

    return escalation_step_run(client=current_client(), escalation_id=escalation_id, token=token)


@shared_task(base=tenancy.TenantTask, acks_late=True)
def escalations_audit(*, schema_name: str) -> dict[str, int]:
    """Resume late escalation steps and start the escalations of alerts that have none."""
    from monitoring.services.escalation import escalations_audit as audit

    return audit(client=current_client())


@shared_task
def escalations_audit_all() -> int:
    """Periodic, in public: one escalation audit per brand."""
    return tenancy.for_each_brand(escalations_audit)


@shared_task(base=tenancy.TenantTask, acks_late=True)
def watch_reminders(*, schema_name: str) -> list[str]:
    """Remind the person on duty of a missed check, then the backup. Safe to run twice."""
    from monitoring.services.watch import watch_reminders_send

    return watch_reminders_send(client=current_client())


@shared_task
def watch_reminders_all() -> int:
    """Periodic, in public: one missed-check reminder run per brand."""
    return tenancy.for_each_brand(watch_reminders)
