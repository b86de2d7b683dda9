"""Posts first known by their ids alone, read in full from the platform's API.

Meta's webhooks name some mentions by ids only: an Instagram `mentions` event gives
{media_id, comment_id}, and a Page `mention` (the brand tagged in someone's post or comment)
often comes without its message. The webhook stores them as they come, so the brand being
named is never lost, and `mentions_complete` reads each in full through the Graph API with the
source's token (monitoring.connectors.graph), then updates the stored mention through
ingestion's fill-in path: text, link, author, counts; processing then reads it like any other
mention.

Run after the webhook's commit for the source concerned, and swept periodically for what a lost
message or a failing API left, for COMPLETE_WITHIN after the mention arrived. The Graph calls
count against the same hourly budget as the source's polling. A refused token is the source's
health error, in the platform's words; a rate limit or a platform failure stops the run (the
next sweep goes on); a post the API refuses or answers without (deleted since, not readable
with this token) is tried COMPLETE_TRIES times while the others go on.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings as django_settings
from django.core.cache import cache
from django.db.models import Q, QuerySet
from django.utils import timezone

from clients import tenancy
from monitoring.connectors.base import (
    AuthFailed,
    ConnectorError,
    Http,
    RateLimited,
    TemporaryError,
)
from monitoring.connectors.graph import mention_details, page_post_details
from monitoring.connectors.instagram import InstagramGraph
from monitoring.models import Channel, Mention, Source
from monitoring.payloads import Invalid
from monitoring.services.ingestion import mentions_ingest, source_record_error
from monitoring.services.polling import budget_take
from monitoring.services.sources import source_credentials

if TYPE_CHECKING:
    from clients.models import Client

logger = logging.getLogger(__name__)

COMPLETE_WITHIN = timedelta(days=7)
COMPLETE_TRIES = 5
BATCH = 50  # mentions per run and source
TRIES_KEY = "complete-tries:{pk}"  # the cache key carries the brand's schema
QUEUED_KEY = "complete-queued:{pk}"
NEEDS_TOKEN = (
    "{platform} sends some mentions by their ids only: set the credential 'access_token' "
    "(a Page access token{extra}) so that they are read in full."
)


@dataclass
class CompletionResult:
    source_id: int
    wanted: int = 0
    completed: int = 0
    failed: int = 0
    error: str = ""


def mentions_to_complete(*, client: Client, source: Source | None = None) -> QuerySet[Mention]:
    """The brand's mentions a Meta webhook gave by ids only, still without text, oldest first."""
    tenancy.require_tenant(client)
    by_ids_only = Q(platform="instagram", raw__change__field="mentions") | Q(
        platform="facebook", raw__change__field="mention"
    )
    mentions = Mention.objects.filter(
        by_ids_only,
        text="",
        deleted_at__isnull=True,
        received_at__gte=timezone.now() - COMPLETE_WITHIN,
    )
    if source is not None:
        mentions = mentions.filter(source=source)
    return mentions.order_by("received_at", "pk")


def _ids(mention: Mention) -> dict[str, str]:
    value = (mention.raw.get("change") or {}).get("value") or {}
    return {k: str(v) for k, v in value.items() if isinstance(v, str | int) and k.endswith("_id")}


def _details(
    http: Http, base_url: str, credentials: dict[str, Any], source: Source, mention: Mention
) -> dict[str, Any] | Invalid:
    token = str(credentials.get("access_token") or "")
    secret = credentials.get("app_secret") or None
    ids = _ids(mention)
    if mention.platform == "instagram":
        return mention_details(
            http=http,
            base_url=base_url,
            access_token=token,
            account_id=str(source.settings.get("account_id") or ""),
            media_id=ids.get("media_id", mention.thread_id),
            comment_id=ids.get("comment_id") or None,
            app_secret=secret,
        )
    return page_post_details(
        http=http,
        base_url=base_url,
        access_token=token,
        post_id=ids.get("post_id") or mention.external_id,
        # a mention in a comment (item "comment"): the comment is read, not its post
        comment_id=ids.get("comment_id") or None,
        app_secret=secret,
    )


def _missing(source: Source, credentials: dict[str, Any]) -> str:
    if not credentials.get("access_token"):
        extra = " and the setting 'account_id'" if source.platform == "instagram" else ""
        return NEEDS_TOKEN.format(platform=source.get_platform_display(), extra=extra)
    if source.platform == "instagram" and not source.settings.get("account_id"):
        return NEEDS_TOKEN.format(platform="Instagram", extra=" and the setting 'account_id'")
    return ""


def mentions_complete(
    *, client: Client, source_id: int, http: Http | None = None, limit: int = BATCH
) -> CompletionResult:
    """Read the source's mentions known by ids only in full; see the module docstring."""
    tenancy.require_tenant(client)
    cache.delete(QUEUED_KEY.format(pk=source_id))
    result = CompletionResult(source_id=source_id)
    source = Source.objects.filter(pk=source_id, is_active=True).first()
    if source is None:
        return result
    wanted = [
        m
        for m in mentions_to_complete(client=client, source=source)[: limit * 2]
        if (cache.get(TRIES_KEY.format(pk=m.pk)) or 0) < COMPLETE_TRIES
    ][:limit]
    result.wanted = len(wanted)
    if not wanted:
        return result
    credentials = source_credentials(source=source)
    if missing := _missing(source, credentials):
        result.error = missing
        source_record_error(source=source, message=missing)
        return result
    bases: dict[str, str] = getattr(django_settings, "CONNECTOR_BASE_URLS", {})
    connector = InstagramGraph(base_url=bases.get(InstagramGraph.__name__.lower()))
    http = http or Http(source.get_platform_display())
    items: list[Any] = []
    asked: list[Mention] = []
    for mention in wanted:
        if budget_take(connector, time.time()) is not None:
            break  # the hour's Graph calls are spent: the next sweep goes on
        try:
            found = _details(http, connector.base_url, credentials, source, mention)
        except AuthFailed as exc:
            result.error = exc.message
            source_record_error(source=source, message=exc.message)
            break
        except (RateLimited, TemporaryError) as exc:
            # Rate limits, platform failures: try again at the next sweep.
            result.error = exc.message
            logger.info("source %s: completion stopped: %s", source.pk, exc.message)
            break
        except ConnectorError as exc:
            # This post's own refusal (deleted since, or not readable with this token): the
            # others go on; it is tried again at later sweeps, COMPLETE_TRIES times in all.
            _tried(mention, exc.message)
            result.failed += 1
            continue
        if isinstance(found, Invalid):
            _tried(mention, found.reason)
            result.failed += 1
            continue
        found.setdefault("posted_at", mention.posted_at.isoformat())
        items.append(found)
        asked.append(mention)
    if items:
        stored = mentions_ingest(
            client=client, source=source, items=items, channel=Channel.WEBHOOK, keep_rejects=False
        )
        result.completed = stored.updated
        for rejection in stored.rejected:
            _tried(asked[rejection.index], "; ".join(f"{f}: {m}" for f, m in rejection.errors))
        result.failed += len(stored.rejected)
    return result


def _tried(mention: Mention, reason: str) -> None:
    """Count a failed read of `mention`; after COMPLETE_TRIES it is left as it was stored."""
    key = TRIES_KEY.format(pk=mention.pk)
    tries = (cache.get(key) or 0) + 1
    cache.set(key, tries, timeout=int(COMPLETE_WITHIN.total_seconds()))
    log = logger.warning if tries >= COMPLETE_TRIES else logger.info
    log("mention %s not read in full (try %d): %s", mention.pk, tries, reason)


def mentions_queue_completion(*, schema_name: str, source_id: int) -> None:
    """After a webhook stored mentions by ids only: one completion run on its way per source."""
    from monitoring.tasks import mentions_complete as task

    with tenancy.schema_context(schema_name):
        first = cache.add(QUEUED_KEY.format(pk=source_id), 1, timeout=300)
    if first:
        task.delay(schema_name=schema_name, source_id=source_id)


def sources_to_complete(*, client: Client) -> list[int]:
    """The sources with mentions still known by ids only (for the periodic sweep)."""
    return sorted(set(mentions_to_complete(client=client).values_list("source_id", flat=True)))
