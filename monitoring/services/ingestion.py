"""The one ingestion service: every path (webhook, import, batch API, connectors) ends here.

`mentions_ingest` validates each item, keeps the valid ones even when others in the batch are
bad, drops duplicates (unique per source and external id, in the batch and in the database),
stores mentions and their authors in one transaction, keeps every rejected item in the
dead-letter store with its reasons, and queues the new mentions' processing after commit.

Runs in the brand's schema (asserted). Idempotent: ingesting the same items again stores
nothing new and queues nothing.
"""

from __future__ import annotations

import gc
import json
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

import orjson
import psycopg
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from pydantic import ValidationError

from clients import tenancy
from monitoring.models import Channel, DeadLetter, Source
from monitoring.payloads import Invalid, Unreadable, exact_json, jsonb_safe, readable_text
from monitoring.schemas import (
    MENTIONS,
    FieldError,
    MentionIn,
    split_out_of_range,
    validate_item,
)

if TYPE_CHECKING:
    from clients.models import Client

logger = logging.getLogger(__name__)

PENDING_KEY = "mentions:processing-pending"  # the cache key carries the brand's schema
PENDING_TTL = 60
PENDING_DEBOUNCE_SECONDS = 0.2
# Up to this many rows go inline in one statement; larger batches go through COPY.
SMALL_BATCH = 20
HEALTH_RESOLUTION = timedelta(seconds=10)

MENTION_COLUMNS = (
    "source_id",
    "platform",
    "external_id",
    "url",
    "author_id",
    "text",
    "language",
    "posted_at",
    "received_at",
    "thread_id",
    "parent_id",
    "likes",
    "shares",
    "comments",
    "views",
    "raw",
    "repost_of",
    "deleted_at",
    "edited_at",
)


STAGE_DDL = """
CREATE TEMP TABLE IF NOT EXISTS mention_stage (
    source_id bigint, platform text, external_id text, url text, author_id bigint, text text,
    language text, posted_at timestamptz, received_at timestamptz, thread_id text,
    parent_id text, likes bigint, shares bigint, comments bigint, views bigint, raw jsonb,
    repost_of text, deleted_at timestamptz, edited_at timestamptz
) ON COMMIT DELETE ROWS
"""


AUTHOR_STAGE_DDL = """
CREATE TEMP TABLE IF NOT EXISTS author_stage (
    platform text, handle text, display_name text, followers bigint, observed_at timestamptz
) ON COMMIT DELETE ROWS
"""


def _ensure_staging(cursor: Any, ddl: str) -> None:
    # Temporary tables belong to the database session, not to a schema: one serves every
    # brand. Created on each use (IF NOT EXISTS): a flag would go stale when the transaction
    # that created the table rolls back.
    cursor.execute(ddl)


def _raw_json(item: Any) -> str:
    """The item as jsonb text. orjson is fast but refuses lone surrogates, integers above 64
    bits and deep nesting: such an item is kept as its safe copy (`jsonb_safe`)."""
    try:
        text = orjson.dumps(item, default=str, option=orjson.OPT_NON_STR_KEYS).decode()
    except (TypeError, orjson.JSONEncodeError):
        # (the standard library writes integers of any size, which jsonb's numeric holds)
        text = json.dumps(jsonb_safe(item), ensure_ascii=False)
    # PostgreSQL's jsonb cannot hold NUL characters.
    return text.replace("\\u0000", "\\ufffd") if "\\u0000" in text else text


@dataclass
class Rejection:
    index: int
    errors: list[FieldError]
    dead_letter_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "dead_letter": self.dead_letter_id,
            "errors": [{"field": f, "message": m} for f, m in self.errors],
        }


@dataclass
class IngestResult:
    received: int = 0
    accepted: int = 0
    updated: int = 0  # stored before; deleted, edited or read in full since
    duplicates: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    mention_ids: list[int] = field(default_factory=list)

    @property
    def http_status(self) -> int:
        """200 all stored or duplicates; 207 some rejected (the others stored); 422 all rejected."""
        if not self.rejected:
            return HTTPStatus.OK
        if len(self.rejected) == self.received:
            return HTTPStatus.UNPROCESSABLE_ENTITY
        return HTTPStatus.MULTI_STATUS

    def as_dict(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "accepted": self.accepted,
            "updated": self.updated,
            "duplicates": self.duplicates,
            "rejected": [r.as_dict() for r in self.rejected],
        }


_gc_lock = threading.Lock()
_gc_pausers = 0


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Hold off Python's cyclic garbage collector during a large batch.

    A batch of 10,000 mentions allocates hundreds of thousands of short-lived, acyclic objects
    (reference counting frees them); each allocation burst makes the collector walk every live
    object of the process again, which cost a fifth of the bulk path's time. Counted, so that
    overlapping batches in threads re-enable it only when the last one ends.
    """
    global _gc_pausers
    with _gc_lock:
        if _gc_pausers == 0 and not gc.isenabled():  # someone else turned it off: leave it
            paused = False
        else:
            _gc_pausers += 1
            paused = True
            gc.disable()
    try:
        yield
    finally:
        if paused:
            with _gc_lock:
                _gc_pausers -= 1
                if _gc_pausers == 0:
                    gc.enable()


def _validate(items: Sequence[Any]) -> tuple[list[tuple[int, MentionIn]], list[Rejection]]:
    # Fast path: the whole batch at once; on any error, item by item to keep the good ones.
    try:
        checked = list(enumerate(MENTIONS.validate_python(items)))
    except ValidationError:
        pass
    else:
        valid, out_of_range = split_out_of_range(checked)
        return valid, [Rejection(index=index, errors=errors) for index, errors in out_of_range]
    valid = []
    rejected: list[Rejection] = []
    for index, item in enumerate(items):
        outcome = validate_item(item)
        if isinstance(outcome, dict):
            valid.append((index, outcome))
        else:
            rejected.append(Rejection(index=index, errors=outcome))
    return valid, rejected


def _upsert_authors(
    platform_of: dict[int, str], mentions: list[tuple[int, MentionIn]]
) -> dict[tuple[str, str], int]:
    """Create or refresh the batch's authors; returns (platform, handle) -> id.

    Reach over time: an author's follower count is sampled (AuthorReach) whenever a batch
    brings a count that differs from the one stored, at the time of the post that carried it.
    """
    latest: dict[tuple[str, str], tuple[datetime, str, int | None]] = {}
    for index, mention in mentions:
        author = mention.get("author")
        if author is None:
            continue
        key = (platform_of[index], author["handle"])
        posted_at = mention["posted_at"]
        seen = latest.get(key)
        if seen is None or posted_at >= seen[0]:
            count = author.get("followers")
            if count is None and seen is not None:
                count = seen[2]
            latest[key] = (posted_at, author.get("display_name", ""), count)
    if not latest:
        return {}
    rows = [
        (platform, handle, name, count, posted_at)
        for (platform, handle), (posted_at, name, count) in latest.items()
    ]
    with connection.cursor() as cursor:
        params: list[Any] = []
        if len(rows) <= SMALL_BATCH:
            # A webhook's few authors: inline, one round trip.
            stage = (
                "(VALUES {}) AS s (platform, handle, display_name, followers, observed_at)".format(
                    ", ".join(["(%s, %s, %s, %s::bigint, %s::timestamptz)"] * len(rows))
                )
            )
            params = [value for row in rows for value in row]
        else:
            _ensure_staging(cursor, AUTHOR_STAGE_DDL)
            with cursor.cursor.copy("COPY author_stage FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            stage = "author_stage AS s"
        cursor.execute(  # the SQL is built from constants; values are parameters
            f"""
            WITH stage AS (SELECT * FROM {stage}),
            before AS (
                SELECT a.id, a.followers FROM monitoring_author a
                JOIN stage s USING (platform, handle)
            ), upserted AS (
                INSERT INTO monitoring_author AS a
                    (platform, handle, display_name, followers, followers_updated_at,
                     is_ambassador, is_journalist, is_influencer, first_seen_at)
                SELECT platform, handle, display_name, followers,
                       CASE WHEN followers IS NULL THEN NULL ELSE observed_at END,
                       false, false, false, %s
                FROM stage
                ON CONFLICT (platform, handle) DO UPDATE SET
                    display_name = CASE WHEN EXCLUDED.display_name <> ''
                                        THEN EXCLUDED.display_name ELSE a.display_name END,
                    followers = CASE WHEN EXCLUDED.followers IS NOT NULL AND
                                          (a.followers_updated_at IS NULL OR
                                           EXCLUDED.followers_updated_at >= a.followers_updated_at)
                                     THEN EXCLUDED.followers ELSE a.followers END,
                    followers_updated_at = CASE WHEN EXCLUDED.followers IS NOT NULL AND
                                          (a.followers_updated_at IS NULL OR
                                           EXCLUDED.followers_updated_at >= a.followers_updated_at)
                                     THEN EXCLUDED.followers_updated_at
                                     ELSE a.followers_updated_at END
                RETURNING a.id, a.platform, a.handle, a.followers, a.followers_updated_at
            ), sampled AS (
                INSERT INTO monitoring_authorreach (author_id, followers, observed_at)
                SELECT u.id, u.followers, u.followers_updated_at
                FROM upserted u LEFT JOIN before b ON b.id = u.id
                WHERE u.followers IS NOT NULL AND u.followers IS DISTINCT FROM b.followers
                ON CONFLICT (author_id, observed_at) DO NOTHING
            )
            SELECT id, platform, handle FROM upserted
            """,  # noqa: S608
            [*params, timezone.now()],
        )
        ids = {(platform, handle): pk for pk, platform, handle in cursor.fetchall()}
        if len(rows) > SMALL_BATCH:
            # (not TRUNCATE: its exclusive lock and file swap cost more than deleting rows)
            cursor.execute("DELETE FROM author_stage")
    return ids


def _store(
    source: Source,
    mentions: list[tuple[int, MentionIn]],
    raws: Sequence[Any],
    received_at: datetime,
) -> _Stored:
    """Store the mentions not stored yet; returns the new ones' ids and external ids, and the
    batch's authors.

    Fast path, for the usual batch of new mentions: reserve ids from the table's sequence and
    COPY straight into the mention table. When any of them is stored already (a re-sent batch,
    a concurrent writer), the unique constraint aborts that COPY, inside a savepoint, and the
    batch goes the safe way: COPY into a staging table, INSERT .. ON CONFLICT DO NOTHING.
    """
    fresh = mentions
    platform_of = {index: mention.get("platform") or source.platform for index, mention in fresh}
    authors = _upsert_authors(platform_of, fresh)

    def rows(ids: list[int] | None) -> Iterator[tuple[Any, ...]]:
        for position, (index, m) in enumerate(fresh):
            platform = platform_of[index]
            author = m.get("author")
            get = m.get
            row = (
                source.pk,
                platform,
                m["external_id"],
                get("url", ""),
                authors.get((platform, author["handle"])) if author else None,
                get("text", ""),
                get("language", ""),
                m["posted_at"],
                received_at,
                get("thread_id", ""),
                get("parent_id", ""),
                get("likes"),
                get("shares"),
                get("comments"),
                get("views"),
                _raw_json(raws[index]),
                get("repost_of", ""),
                received_at if get("deleted") else None,
                get("edited_at"),
            )
            yield row if ids is None else (ids[position], *row)

    columns = ", ".join(MENTION_COLUMNS)
    with connection.cursor() as cursor:
        if len(fresh) <= SMALL_BATCH:
            # A webhook's few mentions: one statement, duplicates skipped by the constraint.
            row_sql = "(" + ", ".join(["%s"] * (len(MENTION_COLUMNS) - 4)) + ", %s::jsonb"
            row_sql += ", %s, %s::timestamptz, %s::timestamptz)"
            cursor.execute(
                f"INSERT INTO monitoring_mention ({columns}) VALUES "  # noqa: S608
                + ", ".join([row_sql] * len(fresh))
                + " ON CONFLICT (source_id, external_id) DO NOTHING RETURNING id, external_id",
                [value for row in rows(None) for value in row],
            )
            return _Stored.of(cursor.fetchall(), authors)
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence('monitoring_mention', 'id')) "
            "FROM generate_series(1, %s)",
            [len(fresh)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        try:
            with (
                transaction.atomic(),
                cursor.cursor.copy(f"COPY monitoring_mention (id, {columns}) FROM STDIN") as copy,
            ):
                for row in rows(ids):
                    copy.write_row(row)
            return _Stored(ids, {m["external_id"] for _, m in fresh}, authors)
        except (IntegrityError, psycopg.errors.UniqueViolation):
            logger.info("source %s: concurrent duplicates; taking the staging path", source.pk)
        _ensure_staging(cursor, STAGE_DDL)
        with cursor.cursor.copy(f"COPY mention_stage ({columns}) FROM STDIN") as copy:
            for row in rows(None):
                copy.write_row(row)
        cursor.execute(  # columns are constants
            f"""
            INSERT INTO monitoring_mention ({columns})
            SELECT {columns} FROM mention_stage
            ON CONFLICT (source_id, external_id) DO NOTHING
            RETURNING id, external_id
            """  # noqa: S608
        )
        stored = _Stored.of(cursor.fetchall(), authors)
        cursor.execute("DELETE FROM mention_stage")
    return stored


@dataclass
class _Stored:
    ids: list[int]
    external_ids: set[str]
    authors: dict[tuple[str, str], int]

    @classmethod
    def of(cls, rows: list[tuple[int, str]], authors: dict[tuple[str, str], int]) -> _Stored:
        return cls([pk for pk, _ in rows], {external_id for _, external_id in rows}, authors)


# An item of a post stored before changes it when it says something new: the post was deleted
# (marked, kept for the record, out of the counts), edited later than the stored edit (text,
# link and counts replaced), or read in full for the first time (a webhook that gave only ids,
# completed from the platform's API: text, link, author filled in). A changed mention goes
# back to processing: its sentiment and search document are read again and the brand's open
# wave is judged without it. A re-sent item that says nothing new changes nothing.
REFRESH_SQL = """
WITH v AS (
    SELECT * FROM unnest(
        %(external_id)s::text[], %(deleted)s::bool[], %(edited_at)s::timestamptz[],
        %(text)s::text[], %(url)s::text[], %(language)s::text[], %(author_id)s::bigint[],
        %(likes)s::bigint[], %(shares)s::bigint[], %(comments)s::bigint[], %(views)s::bigint[],
        %(raw)s::text[]
    ) AS v (external_id, deleted, edited_at, text, url, language, author_id, likes, shares,
            comments, views, raw)
), change AS (
    SELECT m.id, v.*,
           v.deleted AND m.deleted_at IS NULL AS deleting,
           NOT v.deleted AND v.edited_at IS NOT NULL
               AND v.edited_at > coalesce(m.edited_at, '-infinity'::timestamptz) AS editing,
           NOT v.deleted AND m.text = '' AND v.text <> '' AS filling
    FROM monitoring_mention m JOIN v ON m.external_id = v.external_id
    WHERE m.source_id = %(source_id)s
)
UPDATE monitoring_mention m SET
    deleted_at = CASE WHEN c.deleting THEN %(at)s ELSE m.deleted_at END,
    edited_at = CASE WHEN c.editing THEN c.edited_at ELSE m.edited_at END,
    text = CASE WHEN c.editing OR c.filling THEN c.text ELSE m.text END,
    url = CASE WHEN (c.editing OR c.filling) AND c.url <> '' THEN c.url ELSE m.url END,
    language = CASE WHEN (c.editing OR c.filling) AND c.language <> '' THEN c.language
                    ELSE m.language END,
    author_id = CASE WHEN c.filling THEN coalesce(m.author_id, c.author_id) ELSE m.author_id END,
    likes = CASE WHEN c.editing OR c.filling THEN coalesce(c.likes, m.likes) ELSE m.likes END,
    shares = CASE WHEN c.editing OR c.filling THEN coalesce(c.shares, m.shares) ELSE m.shares END,
    comments = CASE WHEN c.editing OR c.filling THEN coalesce(c.comments, m.comments)
                    ELSE m.comments END,
    views = CASE WHEN c.editing OR c.filling THEN coalesce(c.views, m.views) ELSE m.views END,
    raw = CASE WHEN c.editing OR c.filling THEN c.raw::jsonb ELSE m.raw END,
    processed_at = NULL
FROM change c
WHERE m.id = c.id AND (c.deleting OR c.editing OR c.filling)
RETURNING m.id
"""


def _news(source: Source, known: list[tuple[int, MentionIn]]) -> list[tuple[int, MentionIn]]:
    """The items of stored posts that may say something new (see REFRESH_SQL): a deletion, an
    edit, or the text of a post stored without one. A re-sent batch is mostly none of these: one
    index lookup finds the few posts stored without text, and the rest costs nothing more."""
    news: list[tuple[int, MentionIn]] = []
    texts: dict[str, tuple[int, MentionIn]] = {}
    for index, mention in known:
        if mention.get("deleted") or mention.get("edited_at"):
            news.append((index, mention))
        elif mention.get("text"):
            texts[mention["external_id"]] = (index, mention)
    if texts:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT external_id FROM monitoring_mention "
                "WHERE source_id = %s AND external_id = ANY(%s) AND text = ''",
                [source.pk, list(texts)],
            )
            news.extend(texts[external_id] for (external_id,) in cursor.fetchall())
    return news


def _refresh(
    source: Source,
    known: list[tuple[int, MentionIn]],
    raws: Sequence[Any],
    stored: _Stored,
    received_at: datetime,
) -> list[int]:
    """Apply what `known` (items of mentions stored before) say that is new; returns the ids
    of the mentions changed. See REFRESH_SQL."""
    columns: dict[str, list[Any]] = {
        name: []
        for name in (
            "external_id", "deleted", "edited_at", "text", "url", "language", "author_id",
            "likes", "shares", "comments", "views", "raw",
        )
    }  # fmt: skip
    for index, m in known:
        author = m.get("author")
        platform = m.get("platform") or source.platform
        values = (
            m["external_id"],
            bool(m.get("deleted")),
            m.get("edited_at"),
            m.get("text", ""),
            m.get("url", ""),
            m.get("language", ""),
            stored.authors.get((platform, author["handle"])) if author else None,
            m.get("likes"),
            m.get("shares"),
            m.get("comments"),
            m.get("views"),
            _raw_json(raws[index]),
        )
        for column, value in zip(columns.values(), values, strict=True):
            column.append(value)
    with connection.cursor() as cursor:
        cursor.execute(REFRESH_SQL, {**columns, "source_id": source.pk, "at": received_at})
        return [row[0] for row in cursor.fetchall()]


def dead_letter_store(
    *,
    source: Source | None,
    channel: str,
    errors: list[FieldError],
    payload: Any = None,
    raw_body: str = "",
    raw_bytes: bytes | None = None,
    batch_index: int | None = None,
) -> DeadLetter:
    """Keep a rejected item as it came, with its reasons, for staff to inspect and replay.

    Whatever the item holds, the letter can be stored and read back: `payload` is kept as its
    jsonb-safe copy, `raw_body` as text PostgreSQL accepts, `raw_bytes` exactly as received.
    """
    return DeadLetter.objects.create(
        source=source,
        channel=channel,
        payload=jsonb_safe(payload),
        raw_body=raw_body.replace("\x00", "\\x00"),
        raw_bytes=raw_bytes,
        errors=[{"field": jsonb_safe(f), "message": jsonb_safe(m)} for f, m in errors],
        batch_index=batch_index,
    )


def dead_letter_of_item(
    *,
    source: Source | None,
    channel: str,
    errors: list[FieldError],
    item: Any,
    raw: Any = None,
    batch_index: int | None = None,
) -> DeadLetter:
    """Keep one rejected item of a batch: an unreadable one as its bytes, a read one as its
    safe copy plus its exact JSON (and the payload it was mapped from, when it was)."""
    item = item.value if isinstance(item, Invalid) else item
    original = item if raw is None else raw.value if isinstance(raw, Invalid) else raw
    if isinstance(original, Unreadable):
        return dead_letter_store(
            source=source,
            channel=channel,
            errors=errors,
            raw_body=readable_text(original.raw),
            raw_bytes=original.raw,
            batch_index=batch_index,
        )
    return dead_letter_store(
        source=source,
        channel=channel,
        errors=errors,
        payload=item,
        raw_body=exact_json(original),
        batch_index=batch_index,
    )


def _later(first: MentionIn, then: MentionIn) -> MentionIn:
    """One post sent twice in a batch: `first`, updated with what `then` says became of it."""
    if then.get("deleted"):
        merged = first.copy()
        merged["deleted"] = True
        return merged
    edited, before = then.get("edited_at"), first.get("edited_at")
    if edited is None or (before is not None and edited <= before):
        return first
    merged = then.copy()
    if first.get("deleted"):
        merged["deleted"] = True
    return merged


def mentions_ingest(
    *,
    client: Client,
    source: Source,
    items: Sequence[Any],
    channel: Channel | str,
    received_at: datetime | None = None,
    raws: Sequence[Any] | None = None,
    keep_rejects: bool = True,
    field_name: Callable[[int, str], str] | None = None,
    positions: Sequence[int] | None = None,
) -> IngestResult:
    """Validate, dedupe and store a batch of mentions for `source`; see the module docstring.

    `raws` are the payloads as they came when `items` were mapped from another format (an
    import row, a platform's webhook); they are kept with the mention and the dead letter.
    `field_name(index, field)` names a rejected item's field as its sender knows it (an import's
    column) and `positions` gives each item's place in what was sent (an import's row), for the
    errors and the dead letters. `keep_rejects=False` (a replay) returns errors without filing
    new dead letters.
    """
    tenancy.require_tenant(client)
    args = (client, source, items, channel, received_at, raws, keep_rejects, field_name, positions)
    if len(items) > SMALL_BATCH:
        with _gc_paused():
            return _ingest(*args)
    return _ingest(*args)


def _ingest(
    client: Client,
    source: Source,
    items: Sequence[Any],
    channel: Channel | str,
    received_at: datetime | None,
    raws: Sequence[Any] | None,
    keep_rejects: bool,
    field_name: Callable[[int, str], str] | None,
    positions: Sequence[int] | None,
) -> IngestResult:
    result = IngestResult(received=len(items))
    received_at = received_at or timezone.now()
    valid, result.rejected = _validate(items)
    if field_name is not None:
        for rejection in result.rejected:
            rejection.errors = [(field_name(rejection.index, f), m) for f, m in rejection.errors]

    unique: list[tuple[int, MentionIn]] = []
    seen: dict[str, int] = {}  # external id -> place in unique
    for index, mention in valid:
        external_id = mention["external_id"]
        place = seen.get(external_id)
        if place is None:
            seen[external_id] = len(unique)
            unique.append((index, mention))
            continue
        result.duplicates += 1
        if mention.get("deleted") or mention.get("edited_at"):
            # A post and what became of it in one batch (Meta sends an add and its remove
            # together): the post, with the later news.
            first_index, first = unique[place]
            unique[place] = (first_index, _later(first, mention))

    with transaction.atomic():
        ids: list[int] = []
        changed: list[int] = []
        if unique:
            stored = _store(source, unique, raws or items, received_at)
            ids = stored.ids
            known = [(i, m) for i, m in unique if m["external_id"] not in stored.external_ids]
            news = _news(source, known)
            if news:
                changed = _refresh(source, news, raws or items, stored, received_at)
        result.accepted = len(ids)
        result.updated = len(changed)
        result.duplicates += len(unique) - len(ids) - len(changed)
        result.mention_ids = ids
        for rejection in result.rejected if keep_rejects else []:
            letter = dead_letter_of_item(
                source=source,
                channel=str(channel),
                errors=rejection.errors,
                item=items[rejection.index],
                raw=raws[rejection.index] if raws else None,
                batch_index=positions[rejection.index] if positions else rejection.index,
            )
            rejection.dead_letter_id = letter.pk
        source_record_success(
            source=source,
            at=received_at,
            newest_post=max((m["posted_at"] for _, m in unique), default=None),
        )
        if ids or changed:
            schema_name = client.schema_name
            transaction.on_commit(lambda: mentions_queue_processing(schema_name))
    if result.rejected:
        logger.info(
            "source %s: %d of %d items rejected", source.pk, len(result.rejected), len(items)
        )
    return result


def source_record_success(*, source: Source, at: datetime, newest_post: datetime | None) -> None:
    """Note a delivery in the source's health, to HEALTH_RESOLUTION.

    A busy source gets a webhook many times a second: writing its row each time would make
    concurrent deliveries queue on that row's lock. The row is written only when its figures
    are more than HEALTH_RESOLUTION behind.
    """
    behind = source.last_success_at is None or source.last_success_at < at - HEALTH_RESOLUTION
    if newest_post is not None:
        behind = behind or (
            source.last_posted_at is None or source.last_posted_at < newest_post - HEALTH_RESOLUTION
        )
    if not behind:  # as loaded: nothing to write, no query
        return
    stale = Q(last_success_at__isnull=True) | Q(last_success_at__lt=at - HEALTH_RESOLUTION)
    changes: dict[str, Any] = {"last_success_at": at}
    if newest_post is not None:
        stale |= Q(last_posted_at__isnull=True) | Q(
            last_posted_at__lt=newest_post - HEALTH_RESOLUTION
        )
        changes["last_posted_at"] = Greatest(
            Coalesce("last_posted_at", Value(newest_post)), Value(newest_post)
        )
    Source.objects.filter(stale, pk=source.pk).update(**changes)


def source_record_error(*, source: Source, message: str) -> None:
    """A failure a person can act on, shown in the source's health."""
    Source.objects.filter(pk=source.pk).update(last_error_at=timezone.now(), last_error=message)


def mentions_queue_processing(schema_name: str) -> None:
    """Make sure a processing run is on its way for the brand in `schema_name`.

    At most one run is pending per brand (a flag in the tenant-keyed cache, set only when
    absent), and it starts PENDING_DEBOUNCE_SECONDS after the first mention that asked for it,
    so a burst of webhooks is processed in a few runs rather than one task each. The run clears
    the flag before it reads, so mentions committed during a run get a run of their own; a lost
    message is made good by the periodic requeue once the flag expires.
    """
    from monitoring.tasks import mentions_process_pending

    # On-commit callbacks may run after the brand's context was left: key the flag explicitly.
    with tenancy.schema_context(schema_name):
        first = cache.add(PENDING_KEY, 1, timeout=PENDING_TTL)
    if first:
        mentions_process_pending.apply_async(
            kwargs={"schema_name": schema_name}, countdown=PENDING_DEBOUNCE_SECONDS
        )
