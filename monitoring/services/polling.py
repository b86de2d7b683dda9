"""Polling the platforms' APIs: pull sources, their cursors, backoff and rate budgets.

`source_poll` asks the source's connector (monitoring.connectors) for pages of new mentions and
stores each page through the ingestion service together with the cursor after it, in one
transaction: a worker killed between pages resumes after the last stored page, with no gap and
no duplicate. It behaves as a good citizen of each platform:

- a 429 waits what the platform's Retry-After says;
- other failures back off exponentially per source (interval x 2^failures, at most 6 hours);
- a refused token is a health error a person can act on ("set new credentials"), not a crash,
  and polling of that source waits an hour or until its credentials change;
- each platform's rate budget (requests per window, per brand, since each brand brings its own
  credentials) is counted in the brand's cache; a poll that would exceed it waits for the next
  window.

Runs in the brand's schema (asserted). Safe to run twice: a per-source lock in the cache lets
one poll run at a time, and ingestion drops what is stored already.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from clients import tenancy
from monitoring.connectors import connector_class
from monitoring.connectors.base import (
    AuthFailed,
    Check,
    ConnectorError,
    Http,
    PullConnector,
    RateLimited,
)
from monitoring.exceptions import SourceError
from monitoring.models import Channel, Source
from monitoring.services.ingestion import mentions_ingest, source_record_error
from monitoring.services.sources import source_credentials
from monitoring.services.status import brand_status_refresh_on_commit

if TYPE_CHECKING:
    from clients.models import Client

logger = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=6)
AUTH_RETRY = timedelta(hours=1)
MAX_PAGES = 10
LOCK_SECONDS = 300


@dataclass
class PollResult:
    source_id: int
    pages: int = 0
    accepted: int = 0
    updated: int = 0
    duplicates: int = 0
    rejected: int = 0
    error: str = ""
    skipped: str = ""
    next_poll_at: datetime | None = None
    details: dict[str, int] = field(default_factory=dict)


def connector_for(source: Source) -> PullConnector:
    cls = connector_class(platform=source.platform, kind=source.kind)
    if cls is None:
        raise SourceError(
            f"{source.get_platform_display()} sources of this kind are not polled.", field="pull"
        )
    bases: dict[str, str] = getattr(django_settings, "CONNECTOR_BASE_URLS", {})
    return cls(base_url=bases.get(cls.__name__.lower()))


def sources_due(*, client: Client, now: datetime | None = None) -> list[int]:
    """Active pull sources whose next poll is due, most overdue first."""
    tenancy.require_tenant(client)
    now = now or timezone.now()
    return list(
        Source.objects.filter(pull=True, is_active=True)
        .filter(Q(next_poll_at__isnull=True) | Q(next_poll_at__lte=now))
        .order_by("next_poll_at", "pk")
        .values_list("pk", flat=True)
    )


def budget_take(connector: PullConnector, now: float) -> float | None:
    """Count one request against the platform's budget; None if allowed, else the seconds
    until the window that has room. Keyed by platform in the brand's cache."""
    limit, window = connector.budget
    slot = int(now // window)
    key = f"poll-budget:{type(connector).__name__}:{slot}"
    cache.add(key, 0, timeout=window + 60)
    used = cache.incr(key)
    if used > limit:
        return (slot + 1) * window - now
    return None


def _backoff(connector: PullConnector, failures: int) -> timedelta:
    return min(timedelta(seconds=connector.interval * 2**failures), MAX_BACKOFF)


def _http_for(connector: PullConnector) -> Http:
    return Http(connector.name)


def source_poll(
    *, client: Client, source_id: int, http: Http | None = None, max_pages: int = MAX_PAGES
) -> PollResult:
    """Poll one source for new mentions, page by page; see the module docstring."""
    tenancy.require_tenant(client)
    result = PollResult(source_id=source_id)
    lock = f"poll-lock:{source_id}"
    if not cache.add(lock, 1, timeout=LOCK_SECONDS):
        result.skipped = "another poll of this source is running"
        return result
    try:
        result = _poll(client, source_id, http, max_pages, result)
    finally:
        cache.delete(lock)
    if result.error:  # the desk shows a failing source at once (recoveries: at the next tick)
        brand_status_refresh_on_commit(client=client)
    return result


def _poll(
    client: Client, source_id: int, http: Http | None, max_pages: int, result: PollResult
) -> PollResult:
    source = Source.objects.filter(pk=source_id, pull=True, is_active=True).first()
    if source is None:
        result.skipped = "not an active pull source"
        return result
    connector = connector_for(source)
    credentials = source_credentials(source=source)
    missing = connector.missing(source.settings, credentials)
    if missing:
        result.error = f"{connector.name} cannot be polled: missing {', '.join(missing)}."
        _failed(source, connector, result, AUTH_RETRY)
        return result
    http = http or _http_for(connector)
    try:
        while result.pages < max_pages:
            wait = budget_take(connector, time.time())
            if wait is not None:
                result.skipped = f"{connector.name} budget for this window is spent"
                _schedule(source, timezone.now() + timedelta(seconds=wait))
                result.next_poll_at = source.next_poll_at
                return result
            try:
                page = connector.fetch(
                    settings=source.settings,
                    credentials=credentials,
                    cursor=source.poll_cursor,
                    http=http,
                )
            except RateLimited as exc:
                result.error = exc.message
                _failed(source, connector, result, timedelta(seconds=exc.retry_after))
                return result
            except AuthFailed as exc:
                result.error = exc.message
                _failed(source, connector, result, AUTH_RETRY)
                return result
            except ConnectorError as exc:
                result.error = exc.message
                _failed(source, connector, result, _backoff(connector, source.poll_failures))
                return result
            with transaction.atomic():
                stored = mentions_ingest(
                    client=client,
                    source=source,
                    items=page.items,
                    raws=page.raws,
                    channel=Channel.POLL,
                )
                source.poll_cursor = page.cursor
                source.poll_failures = 0
                source.last_polled_at = timezone.now()
                Source.objects.filter(pk=source.pk).update(
                    poll_cursor=page.cursor,
                    poll_failures=0,
                    last_polled_at=source.last_polled_at,
                )
            result.pages += 1
            result.accepted += stored.accepted
            result.updated += stored.updated
            result.duplicates += stored.duplicates
            result.rejected += len(stored.rejected)
            if not page.more:
                break
    finally:
        if http is not None:
            http.close()
    _schedule(source, timezone.now() + timedelta(seconds=connector.interval))
    result.next_poll_at = source.next_poll_at
    return result


def _schedule(source: Source, at: datetime) -> None:
    source.next_poll_at = at
    Source.objects.filter(pk=source.pk).update(next_poll_at=at)


def _failed(source: Source, connector: PullConnector, result: PollResult, wait: timedelta) -> None:
    """A failure on the source's health, in the platform's words, and the next try later."""
    logger.warning("source %s (%s): %s", source.pk, connector.name, result.error)
    source_record_error(source=source, message=result.error)
    source.poll_failures += 1
    next_at = timezone.now() + wait
    Source.objects.filter(pk=source.pk).update(
        poll_failures=source.poll_failures, next_poll_at=next_at, last_polled_at=timezone.now()
    )
    source.next_poll_at = result.next_poll_at = next_at


def source_test_connection(*, client: Client, source: Source, http: Http | None = None) -> Check:
    """One real request with the source's settings and credentials; says what is wrong in
    words a person can act on. Stores nothing."""
    tenancy.require_tenant(client)
    connector = connector_for(source)
    credentials = source_credentials(source=source)
    missing = connector.missing(source.settings, credentials)
    if missing:
        return Check(ok=False, message=f"Missing {', '.join(missing)}.")
    http = http or _http_for(connector)
    try:
        return connector.check(settings=source.settings, credentials=credentials, http=http)
    except ConnectorError as exc:
        return Check(ok=False, message=exc.message, details={"kind": exc.kind})
    finally:
        http.close()
