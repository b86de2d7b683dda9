"""Enrichment, wave detection, verdicts and alerts: the crisis-detection step of processing.

Runs inside the processing transaction (monitoring.services.processing) in the brand's schema:

1. `mentions_enrich` gives each claimed mention its language (detected when the platform gave
   none), sentiment and tone (monitoring.analysis.text), its author's reach tier, and the
   multiplier and ambassador flags as the author stands now.
2. `waves_detect` feeds the brand's volume detectors (overall, negative, and both per platform;
   monitoring.analysis.waves) every bin that has closed since they last ran, reads the bin still
   open without advancing them, and opens, grows or closes the brand's one open Wave. A wave is
   judged by monitoring.analysis.verdict; at watch or above it has exactly one Alert, raised and
   risen as the wave grows by the alert services (monitoring.services.alerts), which write its
   timeline and audit events and hand each change to routing on commit.

Detection holds a transaction-level advisory lock per brand, so concurrent runs take turns and a
bin is read once; a run that dies rolls back with its mentions, which stay unprocessed for the
next run. Bins are counted by the time a mention was posted: an import of last year's mentions
lands in bins the detectors have long closed and wakes nobody.

A post the platform says was deleted is out of every count from then on (bins not read yet, the
wave's figures, its multipliers). A share of a post (retweet, reblog, crosspost: `repost_of`)
counts for volume and spread, and a multiplier's share is a pick-up; it is not a negative voice
of its own: the negative series, counts and authors leave it out.
"""

from __future__ import annotations

import logging
import zlib
from collections import Counter
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.utils import timezone

from clients import tenancy
from monitoring.analysis.text import texts_analyze
from monitoring.analysis.topic import SAME_TOPIC_COSINE, wave_topic, words
from monitoring.analysis.verdict import (
    Judgement,
    Multiplier,
    Thresholds,
    WaveFigures,
    judge,
    platform_name,
)
from monitoring.analysis.waves import Reading, VolumeDetector, WaveParams
from monitoring.models import (
    LEVEL_ORDER,
    Alert,
    BrandSettings,
    ReachTier,
    SeriesState,
    VolumeBin,
    Wave,
    WaveStatus,
)
from monitoring.services.alerts import alert_raise, alert_rise, alert_update

if TYPE_CHECKING:
    from collections.abc import Sequence

    from clients.models import Client

logger = logging.getLogger(__name__)

# A bin is read once it has been closed this long: mentions posted in its last seconds are
# still arriving (connectors poll, platforms deliver late).
CLOSE_GRACE = timedelta(seconds=60)
# A wave with no sign of activity for this long is over.
WAVE_QUIET = timedelta(hours=2)
# A negative post by a multiplier this recent opens a wave even before the volume shows it.
MULTIPLIER_LOOKBACK = timedelta(hours=6)
# A series that saw nothing for this long starts afresh rather than replaying empty bins.
MAX_CATCH_UP = timedelta(days=7)
# After a change of bin size, the detectors re-learn at most this much of the stored history:
# the two weeks of daily peaks that their bars are made of.
REBASE_HISTORY = timedelta(days=14)
OVERALL = "all"
NEGATIVE = ":neg"


def reach_tier(followers: int | None) -> str:
    if followers is None:
        return ReachTier.UNKNOWN
    if followers < 1_000:
        return ReachTier.NANO
    if followers < 10_000:
        return ReachTier.MICRO
    if followers < 100_000:
        return ReachTier.MID
    if followers < 1_000_000:
        return ReachTier.MACRO
    return ReachTier.MEGA


EnrichmentRow = tuple[int, str, str, int | None, bool | None, bool | None, bool | None]


def enrichment_columns(
    rows: Sequence[EnrichmentRow], *, multiplier_min_followers: int
) -> tuple[list[Any], ...]:
    """The CPU part of enrichment, no database: for rows of (id, text, language, followers,
    ambassador, journalist, influencer), the columns written back (id, language, sentiment,
    score, emotional, reach tier, multiplier, ambassador)."""
    analyses = texts_analyze([row[1] for row in rows], [row[2] or None for row in rows])
    columns: tuple[list[Any], ...] = ([], [], [], [], [], [], [], [])
    ids, langs, sentiments, scores, emotional, tiers, multipliers, ambassadors = columns
    for (pk, _, _, followers, ambassador, journalist, influencer), found in zip(
        rows, analyses, strict=True
    ):
        ids.append(pk)
        langs.append(found.lang)
        sentiments.append(found.sentiment)
        scores.append(round(found.score, 4))
        emotional.append(found.emotional)
        tiers.append(reach_tier(followers))
        multipliers.append(
            bool(journalist or influencer or (followers or 0) >= multiplier_min_followers)
        )
        ambassadors.append(bool(ambassador))
    return columns


def mentions_enrich(*, client: Client, mention_ids: Sequence[int]) -> int:
    """Enrich the given mentions (claimed by the caller's transaction); returns how many."""
    tenancy.require_tenant(client)
    settings = BrandSettings.objects.get()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT m.id, m.text, m.language, a.followers, a.is_ambassador, a.is_journalist,
                   a.is_influencer
            FROM monitoring_mention m LEFT JOIN monitoring_author a ON a.id = m.author_id
            WHERE m.id = ANY(%s)
            """,
            [list(mention_ids)],
        )
        rows = cursor.fetchall()
        if not rows:
            return 0
        columns = enrichment_columns(
            rows, multiplier_min_followers=settings.multiplier_min_followers
        )
        cursor.execute(
            """
            UPDATE monitoring_mention m SET
                language = CASE WHEN m.language = '' THEN e.language ELSE m.language END,
                sentiment = e.sentiment, sentiment_score = e.score, emotional = e.emotional,
                reach_tier = e.tier, is_multiplier = e.multiplier, is_ambassador = e.ambassador
            FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::float8[], %s::bool[],
                        %s::text[], %s::bool[], %s::bool[])
                 AS e(id, language, sentiment, score, emotional, tier, multiplier, ambassador)
            WHERE m.id = e.id
            """,
            list(columns),
        )
    return len(rows)


# --- Volume series ---------------------------------------------------------------------------


def _floor(at: datetime, seconds: int) -> datetime:
    epoch = int(at.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=UTC)


def _bin_counts(since: datetime, until: datetime, seconds: int) -> dict[tuple[str, datetime], int]:
    """Mentions posted in [since, until) per series key and bin start."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT to_timestamp(floor(extract(epoch FROM posted_at) / %s) * %s) AS bin,
                   platform, count(*), count(*) FILTER (WHERE sentiment = 'neg' AND repost_of = '')
            FROM monitoring_mention
            WHERE posted_at >= %s AND posted_at < %s AND deleted_at IS NULL
            GROUP BY 1, 2
            """,
            [seconds, seconds, since, until],
        )
        counts: dict[tuple[str, datetime], int] = {}
        for start, platform, total, negative in cursor.fetchall():
            start = start.astimezone(UTC)
            for key, n in (
                (OVERALL, total),
                (OVERALL + NEGATIVE, negative),
                (platform, total),
                (platform + NEGATIVE, negative),
            ):
                counts[key, start] = counts.get((key, start), 0) + n
    return counts


def _platforms_since(since: datetime) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT platform FROM monitoring_mention WHERE posted_at >= %s", [since]
        )
        return {row[0] for row in cursor.fetchall()}


class _Series:
    def __init__(self, row: SeriesState, seconds: int) -> None:
        self.row = row
        self.detector = (
            VolumeDetector.from_state(row.state)
            if row.state
            else VolumeDetector(bin_seconds=seconds)
        )
        self.readings: list[Reading] = []
        self.open_reading: Reading | None = None


def _series_advance(
    now: datetime, seconds: int, platforms: set[str], begin: datetime | None = None
) -> tuple[dict[str, _Series], list[VolumeBin]]:
    """Feed every series its closed bins since it last ran; read the open bin of each.

    A series with no past starts at `begin` (a backfill), else with the bin that just closed.
    """
    current = _floor(now, seconds)
    last_closed = _floor(now - CLOSE_GRACE, seconds) - timedelta(seconds=seconds)
    rows = {row.key: row for row in SeriesState.objects.all()}
    keys = {OVERALL, OVERALL + NEGATIVE, *platforms, *(p + NEGATIVE for p in platforms), *rows}
    series: dict[str, _Series] = {}
    for key in keys:
        row = rows.get(key) or SeriesState(key=key)
        if row.last_bin is not None and row.last_bin < last_closed - MAX_CATCH_UP:
            row.last_bin = last_closed - MAX_CATCH_UP
        series[key] = _Series(row, seconds)
    fresh = _floor(begin, seconds) if begin else last_closed

    def first_bin(s: _Series) -> datetime:
        return s.row.last_bin + timedelta(seconds=seconds) if s.row.last_bin else fresh

    first = min((first_bin(s) for s in series.values()), default=fresh)
    counts = _bin_counts(first, current + timedelta(seconds=seconds), seconds)
    bins: list[VolumeBin] = []
    for key, s in series.items():
        start = first_bin(s)
        while start <= last_closed:
            reading = s.detector.update(start, counts.get((key, start), 0))
            s.readings.append(reading)
            bins.append(
                VolumeBin(
                    key=key,
                    start=start,
                    count=int(reading.value),
                    expected=round(reading.expected, 4),
                    score=round(reading.score, 4),
                    alert=reading.alert,
                )
            )
            s.row.last_bin = start
            start += timedelta(seconds=seconds)
        # The bins still filling (and one closed less than CLOSE_GRACE ago): judged as they
        # stand, on a copy, without teaching the detector.
        s.row.state = s.detector.to_state()
        peek = VolumeDetector.from_state(s.row.state)
        while start <= current:
            s.open_reading = peek.update(start, counts.get((key, start), 0))
            start += timedelta(seconds=seconds)
    return series, bins


def _state_bin_seconds(row: SeriesState) -> int:
    params = row.state.get("params", {})
    return int(params.get("bin_seconds", WaveParams.bin_seconds))


def _series_rebase(seconds: int) -> int:
    """Re-learn the stored history at a new bin size when the brand's bin_minutes changed.

    A detector's state is tied to its bin size (its ring of bins, its hour shares per bin, its
    anchor on the old grid), so feeding it bins of another size would fail or misread every
    count. Starting the series from nothing would do neither, but would leave the brand blind for
    the day of warm-up, in the middle of a wave perhaps. The mentions are stored, so instead
    every series is rebuilt as if it had watched at the new size all along: from when the old
    detectors started (at most REBASE_HISTORY ago) up to the last bin they had read, reading
    what they read and no more. The replayed bins open no wave and raise no alert: they were
    judged once already. The open wave, its alert and its mentions are left as they are; the
    bins after the replay are judged as usual by the caller, so the wave grows or closes as it
    would have. The brand's stored bins over the replayed span are replaced by bins of the new
    size; older ones stay as they were read, at the old size.

    Runs under the brand's lock, inside waves_detect's transaction: whoever changed the setting
    (the API, the admin), the first detection run after it re-bases, once. Returns the number
    of bins replayed (0 when the detectors already use `seconds`).
    """
    rows = [row for row in SeriesState.objects.all() if row.state]
    if all(_state_bin_seconds(row) == seconds for row in rows):
        return 0
    # The end of the last bin the old detectors read, and when the first of them started.
    read_to = max(
        (
            row.last_bin + timedelta(seconds=_state_bin_seconds(row))
            for row in rows
            if row.last_bin is not None
        ),
        default=None,
    )
    anchors = [row.state["state"].get("anchor") for row in rows]
    started = min((a for a in anchors if a is not None), default=None)
    platforms = {row.key.removesuffix(NEGATIVE) for row in rows} - {OVERALL}
    SeriesState.objects.all().delete()
    logger.info("bin size now %s s: the brand's detectors re-learn their history", seconds)
    if read_to is None or started is None:
        return 0  # they had read nothing: they simply start at the new size
    begin = max(datetime.fromtimestamp(started, tz=UTC), read_to - REBASE_HISTORY)
    VolumeBin.objects.filter(start__gte=_floor(begin, seconds)).delete()
    # As if run at the moment the old detectors had read to: the bins that had closed then.
    series, bins = _series_advance(
        read_to + CLOSE_GRACE, seconds, platforms | _platforms_since(begin), begin=begin
    )
    _series_save(series, bins)
    return len(bins)


def _series_save(series: dict[str, _Series], bins: list[VolumeBin]) -> None:
    # Most runs (one per delivered batch) read no closed bin: only what moved is written.
    for s in series.values():
        if s.readings or s.row.pk is None:
            s.row.save()
    VolumeBin.objects.bulk_create(bins, ignore_conflicts=True, batch_size=1000)


def _active(reading: Reading) -> bool:
    """A detector that has opened a wave (past its warm-up) and still sees more than usual:
    over its bar on any horizon, or elevated within the last hour. (An elevated 4-hour window
    alone is the tail of a burst that has passed.)"""
    return reading.alert or (
        reading.in_wave
        and (
            reading.level == "spike"
            or (reading.level != "normal" and reading.horizon_minutes <= 60)
        )
    )


def _strongest(series: dict[str, _Series]) -> tuple[str, Reading] | None:
    """The reading with the most evidence among the negative series (this run's bins and the
    open one); the overall series when no negative one stands out."""
    best: tuple[str, Reading] | None = None
    for key, s in series.items():
        for reading in [*s.readings[-3:], *([s.open_reading] if s.open_reading else [])]:
            negative = key.endswith(NEGATIVE)
            rank = (negative, reading.evidence)
            if best is None or rank > (best[0].endswith(NEGATIVE), best[1].evidence):
                best = (key, reading)
    return best


# --- Waves -----------------------------------------------------------------------------------


def _brand_lock(schema_name: str) -> None:
    key = zlib.crc32(f"detect:{schema_name}".encode())
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


# A multiplier picks up a negative story when their own post is negative, or when they join a
# thread with negative posts in it without being positive themselves (a journalist's neutral
# "Is this true?" under an angry post spreads it all the same). `{since}` is the wave's start.
PICKED_UP = """
    m.is_multiplier AND m.deleted_at IS NULL AND (
        m.sentiment = 'neg'
        OR (m.sentiment = 'neu' AND m.thread_id <> '' AND EXISTS (
            SELECT 1 FROM monitoring_mention n
            WHERE n.thread_id = m.thread_id AND n.source_id = m.source_id
              AND n.sentiment = 'neg' AND n.id <> m.id AND n.posted_at >= %(since)s
              AND n.deleted_at IS NULL
        ))
    )
"""


def _negative_multipliers(since: datetime) -> list[Multiplier]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT DISTINCT ON (a.id) a.handle, a.platform, a.followers, a.is_journalist,
                   a.is_influencer
            FROM monitoring_mention m JOIN monitoring_author a ON a.id = m.author_id
            WHERE m.posted_at >= %(since)s AND {PICKED_UP}
            ORDER BY a.id
            """,  # noqa: S608  # built from constants
            {"since": since},
        )
        return [Multiplier(*row) for row in cursor.fetchall()]


def _wave_figures(
    wave: Wave,
    now: datetime,
    strongest: tuple[str, Reading] | None,
    tz: ZoneInfo,
    seconds: int,
    brand: str,
) -> WaveFigures:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*),
                   count(*) FILTER (WHERE sentiment = 'neg' AND repost_of = ''),
                   count(DISTINCT coalesce(author_id::text, 'm' || id))
                       FILTER (WHERE sentiment = 'neg' AND repost_of = ''),
                   count(*) FILTER (WHERE sentiment = 'neg' AND emotional AND repost_of = ''),
                   count(*) FILTER (WHERE posted_at >= %s),
                   count(*) FILTER (WHERE posted_at >= %s AND posted_at < %s),
                   count(*) FILTER (WHERE repost_of <> '')
            FROM monitoring_mention
            WHERE posted_at >= %s AND posted_at <= %s AND deleted_at IS NULL
            """,
            [
                now - timedelta(minutes=15),
                now - timedelta(minutes=30),
                now - timedelta(minutes=15),
                wave.started_at,
                now + timedelta(minutes=5),
            ],
        )
        total, negative, authors, emotional, last_15, previous_15, reposts = cursor.fetchone()
        cursor.execute(
            """
            SELECT platform, count(*) FROM monitoring_mention
            WHERE posted_at >= %s AND sentiment = 'neg' AND repost_of = ''
              AND deleted_at IS NULL
            GROUP BY platform
            """,
            [wave.started_at],
        )
        by_platform = dict(cursor.fetchall())
    on_topic, terms = _on_topic_by_platform(wave, now, brand)
    peak = wave.figures.get("peak") or {}
    if strongest is not None:
        key, reading = strongest
        window = {
            "series": key,
            "value": reading.window_value,
            "expected": reading.window_expected,
            "minutes": reading.horizon_minutes,
            "start": (
                reading.timestamp
                - timedelta(minutes=reading.horizon_minutes)
                + timedelta(seconds=seconds)
            ).isoformat(),
            "evidence": reading.evidence,
        }
        if key.endswith(NEGATIVE) and (
            not peak or reading.evidence >= peak.get("evidence", 0) or not peak.get("negative")
        ):
            peak = {**window, "negative": True}
        if _active(reading):
            wave.figures["detector_alert"] = True
    wave.figures["peak"] = peak
    wave.figures["reposts"] = reposts
    start = datetime.fromisoformat(peak["start"]) if peak.get("start") else wave.started_at
    return WaveFigures(
        started_at=wave.started_at.astimezone(tz),
        origin_platform=wave.origin_platform,
        negative_count=negative,
        negative_authors=authors,
        mention_count=total,
        negative_window=peak.get("value", 0.0) if peak.get("negative") else 0.0,
        negative_expected=peak.get("expected", 0.0) if peak.get("negative") else 0.0,
        window_minutes=peak.get("minutes", 5),
        window_start=start.astimezone(tz),
        detector_alert=bool(wave.figures.get("detector_alert")),
        negative_by_platform=by_platform,
        on_topic_by_platform=on_topic,
        topic_terms=terms,
        multipliers=_negative_multipliers(wave.started_at),
        emotional_negative=emotional,
        last_15_min=last_15,
        previous_15_min=previous_15,
        duration_hours=(now - wave.started_at).total_seconds() / 3600,
    )


# How many of a wave's negative posts, and of the brand's mentions before it, the topic
# comparison reads: the latest, enough to tell what a wave is about.
TOPIC_POSTS = 2_000
TOPIC_BACKGROUND = 300


def _on_topic_by_platform(
    wave: Wave, now: datetime, brand: str
) -> tuple[dict[str, int], tuple[str, ...]]:
    """Per platform, the wave's negative posts about what its origin platform's posts are about
    (all of the origin's own), and the words they share; ({}, ()) when the origin has none.
    The brand's own name is in most of them and says nothing of the topic."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT platform, text FROM monitoring_mention
            WHERE posted_at >= %s AND posted_at <= %s AND sentiment = 'neg' AND repost_of = ''
              AND deleted_at IS NULL
            ORDER BY posted_at DESC LIMIT %s
            """,
            [wave.started_at, now + timedelta(minutes=5), TOPIC_POSTS],
        )
        posts = cursor.fetchall()
        cursor.execute(
            """
            SELECT text FROM monitoring_mention
            WHERE posted_at < %s AND posted_at >= %s AND deleted_at IS NULL
            ORDER BY posted_at DESC LIMIT %s
            """,
            [wave.started_at, wave.started_at - timedelta(days=7), TOPIC_BACKGROUND],
        )
        background = [text for (text,) in cursor.fetchall()]
    origin = [text for platform, text in posts if platform == wave.origin_platform]
    if not origin:
        return {}, ()
    others = [(platform, text) for platform, text in posts if platform != wave.origin_platform]
    topic = wave_topic(
        origin, [text for _, text in others], background, ignore=frozenset(words(brand))
    )
    counts = {wave.origin_platform: len(origin)}
    shared: Counter[str] = Counter()
    for platform, text in others:
        tokens = words(text)
        if topic.similarity_of(tokens) >= SAME_TOPIC_COSINE:
            counts[platform] = counts.get(platform, 0) + 1
            shared.update(set(tokens) & topic.centroid.keys())
    return counts, tuple(t for t, _ in shared.most_common(3))


def _origin_platform(since: datetime, fallback: str) -> str:
    """Where the first messages came in: the platform of the wave's earliest negative mention
    (its earliest mention when none is negative yet)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT platform FROM monitoring_mention
            WHERE posted_at >= %s AND deleted_at IS NULL
            ORDER BY (sentiment = 'neg' AND repost_of = '') DESC, posted_at, id LIMIT 1
            """,
            [since],
        )
        row = cursor.fetchone()
    return row[0] if row else fallback


def _thresholds(settings: BrandSettings) -> Thresholds:
    return Thresholds(
        min_negative_authors=settings.wave_min_negative_authors,
        issue_ratio=settings.issue_negative_ratio,
        issue_min_negative=settings.issue_min_negative,
        crisis_ratio=settings.crisis_negative_ratio,
        crisis_min_negative=settings.crisis_min_negative,
        multiplier_followers=settings.multiplier_min_followers,
    )


def _alert_title(wave: Wave, judgement: Judgement) -> str:
    where = platform_name(wave.origin_platform)
    return f"{judgement.level.capitalize()}: {wave.negative_count} negative mentions, from {where}"


def _alert_sync(client: Client, wave: Wave, judgement: Judgement, now: datetime) -> None:
    """The wave's one alert, through its services (monitoring.services.alerts): raised at
    watch, risen as the wave grows (reopened when a wave someone closed rises past the level
    they closed it at), else brought up to the wave's latest counts."""
    if LEVEL_ORDER[wave.peak_level] < LEVEL_ORDER["watch"]:
        return
    alert = Alert.objects.filter(wave=wave).first()
    title = _alert_title(wave, judgement)
    if alert is None:
        alert_raise(client=client, wave=wave, title=title, reasons=judgement.reasons, at=now)
    elif LEVEL_ORDER[wave.peak_level] > LEVEL_ORDER[alert.level]:
        alert_rise(
            client=client,
            alert=alert,
            level=wave.peak_level,
            title=title,
            reasons=judgement.reasons,
            at=now,
        )
    else:
        alert_update(client=client, alert=alert, title=title, reasons=judgement.reasons, at=now)


def detection_backfill(*, client: Client, days: int, now: datetime | None = None) -> int:
    """Teach the brand's detectors its stored history: every series restarts `days` ago and
    reads each bin since, as if it had watched all along (after onboarding a brand with an
    import of its past mentions, so that the first day is not blind). Waves are not opened for
    the past. Returns the number of bins read. Needs a transaction, like waves_detect."""
    tenancy.require_tenant(client)
    now = now or timezone.now()
    _brand_lock(client.schema_name)
    seconds = BrandSettings.objects.get().bin_minutes * 60
    begin = now - timedelta(days=days)
    SeriesState.objects.all().delete()
    VolumeBin.objects.filter(start__gte=_floor(begin, seconds)).delete()
    series, bins = _series_advance(now, seconds, _platforms_since(begin), begin=begin)
    _series_save(series, bins)
    return len(bins)


def _multiplier_posts(since: datetime, until: datetime) -> tuple[datetime | None, datetime | None]:
    """When the story a multiplier picked up began (their negative post, or the first negative
    post of the thread they joined) and when the latest such post came, since `since`, among
    the posts no wave holds yet (a closed wave's posts cannot open the next one)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT min(LEAST(m.posted_at, (
                       -- a thread picked up: the wave starts with its first negative post
                       SELECT min(n.posted_at) FROM monitoring_mention n
                       WHERE m.sentiment <> 'neg' AND n.thread_id = m.thread_id
                         AND n.source_id = m.source_id AND n.sentiment = 'neg'
                         AND n.posted_at >= %(since)s AND n.deleted_at IS NULL))),
                   max(m.posted_at)
            FROM monitoring_mention m
            WHERE m.posted_at >= %(since)s AND m.posted_at <= %(until)s AND m.wave_id IS NULL
              AND {PICKED_UP}
            """,  # noqa: S608  # built from constants
            {"since": since, "until": until},
        )
        first, last = cursor.fetchone()
    return first, last


def _wave_open(
    now: datetime,
    strongest: tuple[str, Reading] | None,
    first_multiplier: datetime | None,
    seconds: int,
    activity: datetime,
) -> Wave:
    """A new wave, from the start of the window that stood out, or from the multiplier's post
    when no volume does yet."""
    if strongest is not None:
        key, reading = strongest
        since = (
            reading.timestamp
            - timedelta(minutes=reading.horizon_minutes)
            + timedelta(seconds=seconds)
        )
        if first_multiplier is not None:
            since = min(since, first_multiplier)
        fallback = key.split(":")[0]
    else:
        since = first_multiplier or now
        fallback = "other"
    since = min(since, now)
    origin = _origin_platform(since, fallback)
    return Wave.objects.create(
        started_at=since,
        last_activity_at=activity,
        origin_platform="other" if origin == OVERALL else origin,
        judged_at=now,
    )


def waves_detect(*, client: Client, now: datetime | None = None) -> Wave | None:
    """Advance the brand's detectors to `now` and bring its open wave up to date; returns the
    open wave, if any. Must run inside a transaction (the advisory lock is transaction-level).
    Idempotent: a second run at the same moment reads no new bin and changes nothing."""
    tenancy.require_tenant(client)
    now = now or timezone.now()
    _brand_lock(client.schema_name)
    settings = BrandSettings.objects.get()
    seconds = settings.bin_minutes * 60
    _series_rebase(seconds)
    # Series seen before keep running; the platforms of the bins to read join them.
    since = _floor(now - CLOSE_GRACE, seconds) - timedelta(seconds=seconds)
    series, bins = _series_advance(now, seconds, _platforms_since(since))
    _series_save(series, bins)

    strongest = _strongest(series)
    step = timedelta(seconds=seconds)
    # Activity: the end of the latest bin a detector found active, or the latest negative post
    # by a multiplier.
    volume_at = max(
        (
            min(r.timestamp + step, now)
            for s in series.values()
            for r in [*s.readings, *([s.open_reading] if s.open_reading else [])]
            if _active(r)
        ),
        default=None,
    )
    wave = Wave.objects.filter(status=WaveStatus.OPEN).select_for_update().first()
    first_multiplier, last_multiplier = _multiplier_posts(
        wave.last_activity_at if wave else now - MULTIPLIER_LOOKBACK, now
    )
    activity = max((at for at in (volume_at, last_multiplier) if at is not None), default=None)
    if wave is None:
        if activity is None:
            return None
        wave = _wave_open(
            now, strongest if volume_at else None, first_multiplier, seconds, activity
        )
    else:
        if activity is not None and activity > wave.last_activity_at:
            wave.last_activity_at = activity
        if now - wave.last_activity_at > WAVE_QUIET:
            wave.status = WaveStatus.CLOSED
            wave.ended_at = wave.last_activity_at
            wave.save(update_fields=["status", "ended_at", "last_activity_at"])
            logger.info("%s: wave %s closed at %s", client.schema_name, wave.pk, wave.level)
            return None

    tz = ZoneInfo(client.timezone or "UTC")
    figures = _wave_figures(wave, now, strongest, tz, seconds, client.name)
    judgement = judge(figures, _thresholds(settings))
    wave.level = judgement.level
    if LEVEL_ORDER[judgement.level] > LEVEL_ORDER[wave.peak_level]:
        wave.peak_level = judgement.level
    wave.reasons = judgement.reasons
    wave.mention_count = figures.mention_count
    wave.negative_count = figures.negative_count
    wave.judged_at = now
    wave.figures = {
        **wave.figures,
        "points": judgement.points,
        "negative_authors": figures.negative_authors,
        "platforms": figures.negative_by_platform,
        "multipliers": [asdict(m) for m in figures.multipliers],
        "emotional_negative": figures.emotional_negative,
    }
    wave.save()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE monitoring_mention SET wave_id = %s WHERE posted_at >= %s AND wave_id IS NULL",
            [wave.pk, wave.started_at],
        )
    _alert_sync(client, wave, judgement, now)
    return wave


__all__ = ["detection_backfill", "mentions_enrich", "reach_tier", "waves_detect"]
