"""Exports of other listening tools (Brandwatch, Meltwater, Talkwalker, or any similar CSV/JSON)
mapped to the ingestion shape. Pure: no Django.

Columns are matched by name, case and spacing ignored, against the synonyms each tool uses
("Full Text", "Hit Sentence", "content" are all the text). Rows already in the ingestion shape
(JSON with `external_id`, `posted_at`) pass through unchanged.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

from dateutil import parser as dateparser

from monitoring.payloads import Invalid, Unreadable, read_batch, read_item

# A post's text may be long (up to monitoring.schemas.MAX_TEXT, more in an export's other
# columns): the csv module's default field limit (128 KiB) would stop the file at that row.
csv.field_size_limit(16 * 1024 * 1024)

SYNONYMS: dict[str, tuple[str, ...]] = {
    "external_id": (
        "external_id",
        "id",
        "mention id",
        "resource id",
        "document id",
        "post id",
        "tweet id",
        "guid",
        "article id",
    ),
    "posted_at": (
        "posted_at",
        "date",
        "published",
        "published date",
        "publish date",
        "created_at",
        "created at",
        "timestamp",
        "date published",
    ),
    "time": ("time",),
    "text": (
        "text",
        "full text",
        "content",
        "hit sentence",
        "opening text",
        "snippet",
        "message",
        "body",
        "title",
        "headline",
    ),
    "url": ("url", "link", "permalink", "article url"),
    "author": (
        "author_handle",
        "author handle",
        "author",
        "influencer",
        "username",
        "screen name",
        "extra_author_attributes.short_name",
        "handle",
    ),
    "author_name": (
        "author_name",
        "author name",
        "full name",
        "extra_author_attributes.name",
        "display name",
    ),
    "followers": (
        "followers",
        "twitter followers",
        "author followers",
        "followers count",
        "article_extended_attributes.twitter_followers",
        "reach",
        "potential reach",
        "audience",
    ),
    "language": ("language", "lang"),
    "platform": (
        "platform",
        "page type",
        "source type",
        "content source",
        "media type",
        "source_type",
        "source",
    ),
    "thread_id": ("thread_id", "thread id", "conversation id", "conversation_id"),
    "parent_id": ("parent_id", "parent id", "in reply to", "reply to id"),
    "likes": ("likes", "favorites", "favourites", "reactions", "like count"),
    "shares": ("shares", "retweets", "twitter retweets", "reposts", "share count"),
    "comments": ("comments", "replies", "reply count", "comment count"),
    "views": ("views", "impressions", "view count"),
}
PLATFORM_NAMES = {
    "twitter": "x",
    "x": "x",
    "facebook": "facebook",
    "instagram": "instagram",
    "linkedin": "linkedin",
    "whatsapp": "whatsapp",
    "tiktok": "tiktok",
    "youtube": "youtube",
    "reddit": "reddit",
    "mastodon": "mastodon",
    "bluesky": "bluesky",
    "news": "news",
    "online news": "news",
    "rss": "news",
    "print": "news",
    "reviews": "reviews",
    "review": "reviews",
    "review sites": "reviews",
}
COUNTS = ("likes", "shares", "comments", "views")


def _key(name: str) -> str:
    return re.sub(r"[\s_]+", " ", name.strip().lower())


def column_map(header: list[str]) -> dict[str, str]:
    """Field -> the column it is read from, for this file's header."""
    by_key = {_key(column): column for column in header}
    mapping = {}
    for field, names in SYNONYMS.items():
        for name in names:
            if _key(name) in by_key:
                mapping[field] = by_key[_key(name)]
                break
    if "external_id" not in mapping and "url" in mapping:
        mapping["external_id"] = mapping["url"]  # the post's address is its identity
    return mapping


def _timestamp(value: str, tz: tzinfo) -> str:
    value = value.strip()
    if re.fullmatch(r"\d{10}(\d{3})?", value):
        seconds = int(value) / (1000 if len(value) == 13 else 1)
        return datetime.fromtimestamp(seconds, tz=UTC).isoformat()
    try:
        parsed = dateparser.parse(value)
    except (ValueError, OverflowError, TypeError):
        return value  # left as it came: validation names the field
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed.isoformat()


def _count(value: str) -> int | str:
    cleaned = value.strip().replace(",", "").replace(" ", "")
    if not cleaned:
        return 0
    try:
        return int(float(cleaned))
    except (ValueError, OverflowError):  # "abc", "nan"; "1e400" is infinite
        return value


def map_row(row: dict[str, Any], mapping: dict[str, str], tz: tzinfo) -> dict[str, Any]:
    """One exported row in the ingestion shape."""
    if "external_id" in row and "posted_at" in row and not mapping.get("time"):
        native = {k: v for k, v in row.items() if v not in ("", None)}
        if native.keys() <= set(SYNONYMS) - {"time", "author_name", "followers"} | {"author"}:
            return native

    def get(field: str) -> str:
        column = mapping.get(field)
        value = row.get(column, "") if column else ""
        return "" if value is None else str(value)

    item: dict[str, Any] = {"external_id": get("external_id").strip()}
    posted = get("posted_at")
    if get("time"):
        posted = f"{posted} {get('time')}"
    item["posted_at"] = _timestamp(posted, tz) if posted.strip() else ""
    for field in ("text", "url", "language", "thread_id", "parent_id"):
        if get(field).strip():
            item[field] = get(field)
    platform = _key(get("platform"))
    if platform:
        item["platform"] = PLATFORM_NAMES.get(platform, "other")
    if get("author").strip():
        author: dict[str, Any] = {"handle": get("author").strip().lstrip("@")}
        if get("author_name").strip():
            author["display_name"] = get("author_name").strip()
        if get("followers").strip():
            author["followers"] = _count(get("followers"))
        item["author"] = author
    for field in COUNTS:
        if get(field).strip():
            item[field] = _count(get(field))
    return {k: v for k, v in item.items() if v != ""}


def file_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".json":
        return "json"
    return "csv"


def read_rows(path: Path, fmt: str) -> Iterator[Any]:
    """Rows of an export, streamed (a JSON array is read whole). A row that cannot be read is
    an `Unreadable` (its bytes and why) or an `Invalid` (not an object), never an exception,
    so one bad row costs only itself."""
    if fmt == "jsonl":
        with path.open("rb") as handle:
            for number, line in enumerate(handle, 1):
                if number == 1:
                    line = line.removeprefix(b"\xef\xbb\xbf")
                if line.strip():
                    yield _object_row(read_item(line.strip()), f"line {number}")
        return
    if fmt == "json":
        batch = read_batch(path.read_bytes().removeprefix(b"\xef\xbb\xbf"))
        if batch.error:
            raise ValueError(f"A JSON import holds a list of mentions: {batch.error}")
        for number, row in enumerate(batch.items, 1):
            yield _object_row(row, f"item {number}")
        return
    # Bytes that are not UTF-8 come through as lone surrogates, which validation names: the
    # rest of the row, and of the file, is read as usual.
    with path.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
        sample = handle.read(64_000)
        handle.seek(0)
        try:
            dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        yield from csv.DictReader(handle, dialect=dialect)


def _object_row(row: Any, where: str) -> Any:
    if isinstance(row, Unreadable):
        return Unreadable(raw=row.raw, reason=f"{where}: {row.reason}")
    if not isinstance(row, dict):
        return Invalid(row, f"{where}: a row must be a JSON object, not {type(row).__name__}")
    return row


def header_of(path: Path, fmt: str) -> list[str]:
    if fmt != "csv":
        return []
    first = next(read_rows(path, fmt), None)
    return list(first.keys()) if first else []


def count_rows(path: Path, fmt: str) -> int:
    return sum(1 for _ in read_rows(path, fmt))


def describe_field(field: str, mapping: dict[str, str]) -> str:
    """An error's field named as the user knows it: by its column in their file."""
    top = field.split(".")[0]
    source = {"author": "author", "posted_at": "posted_at"}.get(top, top)
    if field == "author.followers":
        source = "followers"
    elif field == "author.display_name":
        source = "author_name"
    column = mapping.get(source)
    return f"{field} (column '{column}')" if column else field


def unreadable(row: Any) -> str | None:
    """Why a row could not be read at all, or None for a row to map and validate."""
    return row.reason if isinstance(row, Unreadable | Invalid) else None


def chunked(rows: Iterator[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def rows_from(rows: Iterator[Any], start: int) -> Iterator[Any]:
    for index, row in enumerate(rows):
        if index >= start:
            yield row
