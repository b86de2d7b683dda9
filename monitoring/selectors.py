"""Reads of monitoring state. Every function here runs inside a brand's schema."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Count, F, OuterRef, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils import timezone

from clients import tenancy
from monitoring.health import Health, source_health
from monitoring.models import (
    Alert,
    BrandSettings,
    DeadLetter,
    DeadLetterStatus,
    Mention,
    Source,
    VolumeBin,
    Wave,
)
from monitoring.textsearch import match_sql

if TYPE_CHECKING:
    from clients.models import Client

# A source's usual rate, when not configured, is learned over this window.
RATE_WINDOW = timedelta(days=7)
# A mention posted longer than this before it was received came as history (an import, a
# back-fill), not live: it says nothing of the source's health now.
LIVE_LAG = timedelta(days=1)


def brand_settings_get(*, client: Client) -> BrandSettings:
    tenancy.require_tenant(client)
    return BrandSettings.objects.get(singleton=True)


def sources_with_stats(*, client: Client) -> QuerySet[Source]:
    """Sources annotated with what their health needs, in one query."""
    tenancy.require_tenant(client)
    now = timezone.now()

    # Correlated subqueries, each served by the (source, -received_at) index: a join with
    # GROUP BY would read every mention a source ever had.
    # What arrived live: posted at most LIVE_LAG before it was received. An import or a
    # back-fill of past mentions is history, not a sign that the source is alive now.
    live = Mention.objects.filter(source=OuterRef("pk"), posted_at__gte=F("received_at") - LIVE_LAG)

    def count_since(moment: datetime) -> Any:
        return Coalesce(
            Subquery(
                live.filter(received_at__gte=moment)
                .order_by()
                .values("source")
                .annotate(n=Count("pk"))
                .values("n")
            ),
            0,
        )

    return Source.objects.annotate(
        last_received_at=Subquery(live.order_by("-received_at").values("received_at")[:1]),
        mentions_last_hour=count_since(now - timedelta(hours=1)),
        mentions_in_window=count_since(now - RATE_WINDOW),
        # What reached the source but could not be stored, waiting for a person: nothing a
        # door or a connector could not read is dropped without showing here.
        dead_letters_open=Coalesce(
            Subquery(
                DeadLetter.objects.filter(source=OuterRef("pk"), status=DeadLetterStatus.OPEN)
                .order_by()
                .values("source")
                .annotate(n=Count("pk"))
                .values("n")
            ),
            0,
        ),
    )


def source_health_of(source: Any, *, now: datetime | None = None) -> Health:
    """Health of a source from `sources_with_stats`."""
    now = now or timezone.now()
    expected = source.expected_per_hour
    if expected is None:
        window_hours = min(RATE_WINDOW, now - source.created_at).total_seconds() / 3600
        # Learn only from a day of history or more: a new source is not yet judged.
        if window_hours >= 24 and source.mentions_in_window:
            expected = source.mentions_in_window / window_hours
    return source_health(
        now=now,
        last_received_at=source.last_received_at,
        last_posted_at=source.last_posted_at,
        mentions_last_hour=source.mentions_last_hour,
        expected_per_hour=expected,
        active_since=source.created_at,
    )


def mentions_filter(
    *,
    client: Client,
    platform: str | None = None,
    source_id: int | None = None,
    author: str | None = None,
    language: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    q: str | None = None,
    sentiment: str | None = None,
    wave_id: int | None = None,
    multipliers_only: bool = False,
    deleted: bool | None = None,
    reposts: bool | None = None,
) -> QuerySet[Mention]:
    """Mentions matching the filters; `q` is full-text search in each mention's language.
    `deleted` and `reposts` (None: both ways) keep only the posts the platform says were
    deleted, or not, and only the shares of other posts, or only the posts themselves."""
    tenancy.require_tenant(client)
    mentions = Mention.objects.select_related("author", "source")
    if platform:
        mentions = mentions.filter(platform=platform)
    if source_id:
        mentions = mentions.filter(source_id=source_id)
    if author:
        mentions = mentions.filter(author__handle__iexact=author.lstrip("@"))
    if language:
        mentions = mentions.filter(language=language)
    if since:
        mentions = mentions.filter(posted_at__gte=since)
    if until:
        mentions = mentions.filter(posted_at__lt=until)
    if sentiment:
        mentions = mentions.filter(sentiment=sentiment)
    if wave_id:
        mentions = mentions.filter(wave_id=wave_id)
    if multipliers_only:
        mentions = mentions.filter(is_multiplier=True)
    if deleted is not None:
        mentions = mentions.filter(deleted_at__isnull=not deleted)
    if reposts is not None:
        mentions = mentions.exclude(repost_of="") if reposts else mentions.filter(repost_of="")
    if q:
        sql, times = match_sql()
        # The SQL is built from constants (textsearch.TS_CONFIGS); `q` is a parameter.
        mentions = mentions.filter(pk__in=RawSQL(sql, [q] * times))  # noqa: S611
    return mentions


def alerts_filter(
    *, client: Client, level: str | None = None, status: str | None = None
) -> QuerySet[Alert]:
    """The brand's alerts, newest first, with their waves."""
    tenancy.require_tenant(client)
    alerts = Alert.objects.select_related("wave").order_by("-opened_at", "-id")
    if level:
        alerts = alerts.filter(level=level)
    if status:
        alerts = alerts.filter(status=status)
    return alerts


def wave_timeline(*, client: Client, wave: Wave) -> tuple[list[datetime], dict[str, list[int]]]:
    """The wave's mentions per platform and bin, as the detectors counted them (VolumeBin,
    not the mention table): the bin starts, and each platform's counts over them."""
    tenancy.require_tenant(client)
    end = wave.ended_at or wave.last_activity_at
    bins = (
        VolumeBin.objects.filter(start__gte=wave.started_at - timedelta(minutes=30), start__lte=end)
        .exclude(key__contains=":")
        .exclude(key="all")
        .order_by("start")
        .values_list("key", "start", "count")
    )
    starts = sorted({start for _, start, _ in bins})
    place = {start: n for n, start in enumerate(starts)}
    series: dict[str, list[int]] = {}
    for key, start, count in bins:
        series.setdefault(key, [0] * len(starts))[place[start]] = count
    return starts, series


def wave_mentions_by_reach(*, client: Client, wave: Wave, limit: int = 50) -> QuerySet[Mention]:
    """The wave's live mentions, the widest reach first."""
    tenancy.require_tenant(client)
    return (
        Mention.objects.filter(wave=wave, deleted_at__isnull=True)
        .select_related("author")
        .order_by(F("author__followers").desc(nulls_last=True), "-posted_at")[:limit]
    )
