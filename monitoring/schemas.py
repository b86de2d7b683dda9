"""The shape of one incoming mention, validated with pydantic (no Django here).

Every connector, webhook, import and the batch API produces dicts of this shape; `validate_item`
turns one into a checked `MentionIn` or a list of (field, message) errors a person can act on.

The shapes are TypedDicts, not models: a bulk import validates tens of thousands of items a
second, and checked dicts cost half what model objects do. Optional fields may be absent from a
checked dict; `MENTION_DEFAULTS` gives their values.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, NotRequired

from pydantic import (
    AfterValidator,
    AwareDatetime,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    with_config,
)
from typing_extensions import TypedDict  # pydantic needs this one before Python 3.12

from monitoring.payloads import Invalid, Unreadable, safe_text

PLATFORMS = frozenset(
    {
        "x",
        "facebook",
        "instagram",
        "linkedin",
        "whatsapp",
        "tiktok",
        "youtube",
        "reddit",
        "mastodon",
        "bluesky",
        "news",
        "reviews",
        "other",
    }
)
LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")
MAX_TEXT = 100_000
# Posts older than this are not social-media posts (and epoch-zero dates are a sender's bug);
# posts dated later than now plus this are clock errors or forgeries. Either would poison a
# brand's figures, and dates beyond year 9999 in UTC cannot even be read back.
EARLIEST_POST = datetime(2000, 1, 1, tzinfo=UTC)
FUTURE_TOLERANCE = timedelta(days=1)


def _language(value: str) -> str:
    value = value.strip().lower().replace("_", "-")
    if value and not LANGUAGE_TAG.match(value):
        raise ValueError("is not a language code such as 'en', 'nl' or 'pt-br'")
    return value.split("-")[0]


def _no_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL characters; they carry no meaning in a post.
    return value.replace("\x00", "")


def dates_out_of_range(mention: MentionIn, *, now: datetime | None = None) -> list[FieldError]:
    """The date errors of a checked mention: before EARLIEST_POST or after now plus
    FUTURE_TOLERANCE. Apart from the model's validators, so that a batch reads the clock once
    (a validator per item doubled the bulk path's validation time)."""
    return _date_errors(mention["posted_at"], (now or datetime.now(UTC)) + FUTURE_TOLERANCE)


def _date_errors(posted_at: datetime, latest: datetime) -> list[FieldError]:
    if posted_at < EARLIEST_POST:
        return [("posted_at", "is before 2000-01-01: not a date a post can have")]
    if posted_at > latest:
        return [
            (
                "posted_at",
                f"is more than a day in the future (after {latest:%Y-%m-%dT%H:%M}Z): a clock error",
            )
        ]
    return []


def split_out_of_range(
    checked: list[tuple[int, MentionIn]], *, now: datetime | None = None
) -> tuple[list[tuple[int, MentionIn]], list[tuple[int, list[FieldError]]]]:
    """Checked mentions with dates in range, and (index, errors) of those without."""
    latest = (now or datetime.now(UTC)) + FUTURE_TOLERANCE
    kept: list[tuple[int, MentionIn]] = []
    out: list[tuple[int, list[FieldError]]] = []
    for index, mention in checked:
        posted_at = mention["posted_at"]
        if EARLIEST_POST <= posted_at <= latest:
            kept.append((index, mention))
        else:
            out.append((index, _date_errors(posted_at, latest)))
    return kept, out


def _url(value: str) -> str:
    value = value.strip()
    if value and not re.match(r"^https?://[^\s/$.?#].[^\s]*$", value):
        raise ValueError("is not an http(s) URL")
    return value


def _platform(value: str) -> str:
    value = value.strip().lower()
    if value == "twitter":
        value = "x"
    if value not in PLATFORMS:
        raise ValueError(f"is not one of {', '.join(sorted(PLATFORMS))}")
    return value


# Platforms send ids as numbers or strings; `coerce_numbers_to_str` makes them opaque strings.
# No NUL in ids (PostgreSQL text cannot hold it), checked by pydantic-core's own regex engine.
NO_NUL = r"^[^\x00]*$"
ExternalId = Annotated[str, Field(min_length=1, max_length=200, pattern=NO_NUL)]
OptionalId = Annotated[str, Field(max_length=200, pattern=NO_NUL)]
Count = Annotated[int, Field(ge=0, le=10**15)]


_CONFIG = ConfigDict(extra="forbid", str_strip_whitespace=True, coerce_numbers_to_str=True)


@with_config(_CONFIG)
class AuthorIn(TypedDict):
    handle: Annotated[str, Field(min_length=1, max_length=200, pattern=NO_NUL)]
    display_name: NotRequired[Annotated[str, Field(max_length=300), AfterValidator(_no_nul)]]
    followers: NotRequired[Count | None]


@with_config(_CONFIG)
class MentionIn(TypedDict):
    external_id: ExternalId
    posted_at: AwareDatetime  # in range: see dates_out_of_range
    text: NotRequired[Annotated[str, Field(max_length=MAX_TEXT), AfterValidator(_no_nul)]]
    url: NotRequired[Annotated[str, Field(max_length=1000, pattern=NO_NUL), AfterValidator(_url)]]
    author: NotRequired[AuthorIn | None]
    language: NotRequired[Annotated[str, Field(max_length=16), AfterValidator(_language)]]
    platform: NotRequired[Annotated[str, AfterValidator(_platform)] | None]
    thread_id: NotRequired[OptionalId]
    parent_id: NotRequired[OptionalId]
    # Counts the platform did not give are absent or None: unknown, not zero.
    likes: NotRequired[Count | None]
    shares: NotRequired[Count | None]
    comments: NotRequired[Count | None]
    views: NotRequired[Count | None]
    # Updates of a post stored before (matched by source and external id): the platform says
    # it was deleted or removed, or edited at this time (a later edit replaces text and counts).
    deleted: NotRequired[bool]
    edited_at: NotRequired[AwareDatetime | None]
    # A share of another post (a retweet, a reblog, a crosspost): the original's external id.
    # Counted for reach and spread, not as a voice of its own.
    repost_of: NotRequired[OptionalId]


# The value of each optional field a checked MentionIn may lack.
MENTION_DEFAULTS: dict[str, Any] = {
    "text": "",
    "url": "",
    "author": None,
    "language": "",
    "platform": None,
    "thread_id": "",
    "parent_id": "",
    "likes": None,
    "shares": None,
    "comments": None,
    "views": None,
    "deleted": False,
    "edited_at": None,
    "repost_of": "",
}
MENTION = TypeAdapter(MentionIn)
MENTIONS = TypeAdapter(list[MentionIn])


FieldError = tuple[str, str]


def _field_name(loc: tuple[int | str, ...]) -> str:
    return safe_text(".".join(str(part) for part in loc)) or "item"


def validate_item(item: Any) -> MentionIn | list[FieldError]:
    """One item: the checked mention (a dict), or its errors as (field, message) pairs."""
    if isinstance(item, Unreadable | Invalid):
        return [("item", item.reason)]
    if not isinstance(item, dict):
        return [("item", f"expected a JSON object, got {type(item).__name__}")]
    try:
        checked = MENTION.validate_python(item)
        return dates_out_of_range(checked) or checked
    except (RecursionError, OverflowError, TypeError) as exc:  # what pydantic does not wrap
        return [("item", f"cannot be read: {type(exc).__name__}")]
    except ValidationError as exc:
        errors = []
        for error in exc.errors(include_url=False, include_input=False):
            message = error["msg"]
            if error["type"] == "extra_forbidden":
                message = "unknown field"
            elif error["type"] == "timezone_aware":
                message = "needs a time zone (e.g. 2026-03-01T12:00:00Z)"
            elif error["type"] == "string_pattern_mismatch":
                message = "contains a NUL character"
            elif error["type"] == "string_unicode":
                message = "is not valid Unicode text (it holds a lone surrogate such as \\ud800)"
            elif message.startswith("Value error, "):
                message = message.removeprefix("Value error, ")
            errors.append((_field_name(error["loc"]), message))
        return errors
