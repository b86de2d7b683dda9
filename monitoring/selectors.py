"""Reads of monitoring state. Every function here runs inside a brand's schema."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Count, F, Max, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils import timezone

from clients import tenancy
from monitoring import watchtime
from monitoring.health import Health, source_health
from monitoring.models import (
    Alert,
    BrandSettings,
    Channel,
    DeadLetter,
    DeadLetterStatus,
    ImportJob,
    Level,
    Mention,
    MultiplierDay,
    Sentiment,
    Source,
    VolumeBin,
    WatchCheck,
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
        mentions_last_day=count_since(now - timedelta(days=1)),
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


def source_failing(source: Source) -> bool:
    """Whether the source's last poll or test failed after its last success (the desk and the
    sources page say "failing" on this)."""
    return bool(
        source.last_error_at
        and (source.last_success_at is None or source.last_error_at > source.last_success_at)
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


def waves_filter(
    *, client: Client, level: str | None = None, status: str | None = None
) -> QuerySet[Wave]:
    """The brand's waves with their alerts, newest first; `level` is the peak level (as the
    API's wave list filters)."""
    tenancy.require_tenant(client)
    waves = Wave.objects.select_related("alert").order_by("-started_at", "-id")
    if level:
        waves = waves.filter(peak_level=level)
    if status:
        waves = waves.filter(status=status)
    return waves


def source_names(*, client: Client) -> list[tuple[int, str]]:
    """The brand's sources as (id, name), by name: the choices of a filter."""
    tenancy.require_tenant(client)
    return list(Source.objects.order_by("name", "pk").values_list("pk", "name"))


def mention_originals(*, client: Client, mentions: list[Mention]) -> dict[tuple[int, str], Mention]:
    """The stored originals of the shares among `mentions`, by (source id, external id): one
    query on the (source, external_id) unique index."""
    tenancy.require_tenant(client)
    shares = {(m.source_id, m.repost_of) for m in mentions if m.repost_of}
    if not shares:
        return {}
    originals = Mention.objects.filter(
        source_id__in={source for source, _ in shares},
        external_id__in={external for _, external in shares},
    ).select_related("author")
    return {
        (m.source_id, m.external_id): m for m in originals if (m.source_id, m.external_id) in shares
    }


# The dashboard's ranges: how many points of which step, newest last.
DASHBOARD_RANGES = {"hour": 48, "day": 30, "week": 26}


@dataclass(frozen=True)
class Dashboard:
    """A brand's figures over a range, from the rollups (MentionHour, MultiplierDay)."""

    by: str
    starts: list[datetime]  # each point's start, in the brand's zone
    mentions: list[int]
    negative: list[int]
    platforms: list[tuple[str, int]]  # most first
    sentiment: dict[str, int]  # of the mentions that are not shares; "" not analysed
    shares: int
    waves: list[Wave]
    multipliers: list[dict[str, Any]]

    @property
    def total(self) -> int:
        return sum(self.mentions)

    @property
    def end(self) -> datetime:
        return _step(self.starts[-1], self.by, 1)


def _step(moment: datetime, by: str, n: int) -> datetime:
    """`moment` moved n points on: hours as elapsed time; days and weeks on the local calendar
    (a day across a DST change lasts 23 or 25 hours)."""
    if by == "hour":
        return (moment.astimezone(UTC) + timedelta(hours=n)).astimezone(moment.tzinfo)
    days = n * (7 if by == "week" else 1)
    local = moment.replace(tzinfo=None) + timedelta(days=days)
    return local.replace(tzinfo=moment.tzinfo)


def _range_starts(by: str, now: datetime, zone: ZoneInfo) -> list[datetime]:
    local = now.astimezone(zone)
    if by == "hour":
        last = local.replace(minute=0, second=0, microsecond=0)
    else:
        last = local.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
        if by == "week":
            last -= timedelta(days=last.weekday())
        last = last.replace(tzinfo=zone)
    points = DASHBOARD_RANGES[by]
    return [_step(last, by, n) for n in range(1 - points, 1)]


# Per point, platform, sentiment and share: day and week points begin at the brand's local
# midnight (and Monday), hour points at the hour.
_DASHBOARD_SQL = """
SELECT date_trunc(%(unit)s, hour AT TIME ZONE %(zone)s) AS point, platform, sentiment, share,
       sum(mentions)
FROM monitoring_mentionhour
WHERE hour >= %(begin)s AND hour < %(end)s
GROUP BY 1, 2, 3, 4
"""


def brand_dashboard(*, client: Client, by: str = "day", now: datetime | None = None) -> Dashboard:
    """The dashboard over the range `by` (hour: the last 48 hours; day: 30 days; week: 26
    weeks), in three queries over the rollups and the waves, whatever the brand's volume."""
    tenancy.require_tenant(client)
    zone = client.zone
    starts = _range_starts(by, now or timezone.now(), zone)
    begin, end = starts[0], _step(starts[-1], by, 1)
    index = {start.replace(tzinfo=None): n for n, start in enumerate(starts)}
    mentions = [0] * len(starts)
    negative = [0] * len(starts)
    platforms: dict[str, int] = {}
    sentiment: dict[str, int] = {}
    shares = 0
    with connection.cursor() as cursor:
        cursor.execute(_DASHBOARD_SQL, {"unit": by, "zone": zone.key, "begin": begin, "end": end})
        for point, platform, feeling, share, count in cursor.fetchall():
            n = index.get(point)
            if n is None:  # an hour of a DST change outside the range's points
                continue
            mentions[n] += count
            platforms[platform] = platforms.get(platform, 0) + count
            if share:
                shares += count
                continue
            sentiment[feeling] = sentiment.get(feeling, 0) + count
            if feeling == Sentiment.NEGATIVE:
                negative[n] += count
    waves = list(
        Wave.objects.filter(started_at__lt=end)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gte=begin))
        .exclude(peak_level=Level.NOISE)
        .select_related("alert")
        .order_by("started_at")[:50]
    )
    multipliers = list(
        MultiplierDay.objects.filter(day__gte=begin.astimezone(UTC).date())
        .values(
            "author_id",
            "author__platform",
            "author__handle",
            "author__display_name",
            "author__is_journalist",
            "author__is_ambassador",
        )
        .annotate(
            mentions_sum=Sum("mentions"),
            negative_sum=Sum("negative"),
            reach=Max("followers"),
            last_posted=Max("last_posted_at"),
        )
        .order_by(F("reach").desc(nulls_last=True), "-mentions_sum", "author_id")[:10]
    )
    return Dashboard(
        by=by,
        starts=starts,
        mentions=mentions,
        negative=negative,
        platforms=sorted(platforms.items(), key=lambda kv: (-kv[1], kv[0])),
        sentiment=sentiment,
        shares=shares,
        waves=waves,
        multipliers=multipliers,
    )


def dead_letters_filter(
    *,
    client: Client,
    status: str | None = None,
    channel: str | None = None,
    source: int | None = None,
    q: str | None = None,
    job: ImportJob | None = None,
) -> QuerySet[DeadLetter]:
    """The brand's dead letters, newest first, filtered (the API's list by status alone; the
    page by the rest too)."""
    tenancy.require_tenant(client)
    letters = DeadLetter.objects.select_related("source").order_by("-received_at", "-id")
    if status:
        letters = letters.filter(status=status)
    if channel:
        letters = letters.filter(channel=channel)
    if source:
        letters = letters.filter(source_id=source)
    if q:
        letters = letters.filter(errors__icontains=q)
    if job is not None:
        # A letter does not name its import: those of the job's source, by the import door,
        # while the job ran.
        letters = letters.filter(
            channel=Channel.IMPORT, source_id=job.source_id, received_at__gte=job.created_at
        )
        if job.finished_at:
            letters = letters.filter(received_at__lte=job.finished_at)
    return letters


# --- The watch log -------------------------------------------------------------------------------


@dataclass(frozen=True)
class WatchLog:
    """The brand's checks from `since` to `until`, as the client's report states them."""

    since: datetime
    until: datetime
    # The checks of the period, newest first (a queryset: the API pages through it).
    checks: QuerySet[WatchCheck]
    count: int
    # Who checked, most checks first: (e-mail, checks).
    by: list[tuple[str, int]]
    longest: watchtime.Stretch
    # The latest check ever made, and whether the next one is due now.
    last_checked_at: datetime | None
    interval: timedelta
    due: bool


def watch_cadence(settings: BrandSettings) -> watchtime.Cadence:
    return watchtime.Cadence(
        day_minutes=settings.check_every_minutes_day,
        night_minutes=settings.check_every_minutes_night,
        night_starts=settings.night_starts,
        night_ends=settings.night_ends,
    )


def watch_log(
    *, client: Client, since: datetime, until: datetime, now: datetime | None = None
) -> WatchLog:
    """The watch log of the period: its checks, who made them, the longest stretch without a
    check (the period's edges count), and whether a check is due `now` by the interval that
    applies on the brand's clock (day or night, BrandSettings). Three queries at most."""
    tenancy.require_tenant(client)
    now = now or timezone.now()
    cadence = watch_cadence(brand_settings_get(client=client))
    checks = WatchCheck.objects.filter(checked_at__gte=since, checked_at__lte=until)
    rows = list(checks.values_list("checked_at", "by"))
    counts: dict[str, int] = {}
    for _, by in rows:
        counts[by] = counts.get(by, 0) + 1
    if rows and until >= now:
        last: datetime | None = max(at for at, _ in rows)  # nothing is checked after now
    else:
        last = (
            WatchCheck.objects.order_by("-checked_at", "-id")
            .values_list("checked_at", flat=True)
            .first()
        )
    zone = client.zone
    return WatchLog(
        since=since,
        until=until,
        checks=checks.select_related("alert").order_by("-checked_at", "-id"),
        count=len(rows),
        by=sorted(counts.items(), key=lambda item: (-item[1], item[0])),
        longest=watchtime.longest_stretch(since, until, [at for at, _ in rows]),
        last_checked_at=last,
        interval=watchtime.interval_at(now, cadence, zone),
        due=watchtime.check_due(last, now, cadence, zone),
    )


def alert_pages(*, client: Client, alert_id: int) -> list[Any]:
    """The pages sent for an alert (outbox rows, agency.models.Notification) with their delivery
    state, oldest first: what the alert's timeline shows to the agency beside its events. Only
    this brand's rows: the outbox is shared by every brand."""
    from agency.models import Notification

    tenancy.require_tenant(client)
    return list(
        Notification.objects.filter(client_id=client.pk, alert_id=alert_id)
        .select_related("user", "method")
        .order_by("created_at", "id")[:200]
    )
