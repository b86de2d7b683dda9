"""The shape of one incoming mention, validated with pydantic (no Django here).

Every connector, webhook, import and the batch API produces dicts of this shape; `validate_item`
turns one into a checked `MentionIn` or a list of (field, message) errors a person can act on.

The shapes are TypedDicts, not models: a bulk import validates tens of thousands of items a
second, and checked dicts cost half what model objects do. Optional fields may be absent from a
checked dict; `MENTION_DEFAULTS` gives their values.
"""

from __future__ import annotations

import re
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


def _language(value: str) -> str:
    value = value.strip().lower().replace("_", "-")
    if value and not LANGUAGE_TAG.match(value):
        raise ValueError("is not a language code such as 'en', 'nl' or 'pt-br'")
    return value.split("-")[0]


def _no_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL characters; they carry no meaning in a post.
    return value.replace("\x00", "")


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
ExternalId = Annotated[str, Field(min_length=1, max_length=200)]
OptionalId = Annotated[str, Field(max_length=200)]
Count = Annotated[int, Field(ge=0, le=10**15)]


_CONFIG = ConfigDict(extra="forbid", str_strip_whitespace=True, coerce_numbers_to_str=True)


@with_config(_CONFIG)
class AuthorIn(TypedDict):
    handle: Annotated[str, Field(min_length=1, max_length=200)]
    display_name: NotRequired[Annotated[str, Field(max_length=300), AfterValidator(_no_nul)]]
    followers: NotRequired[Count | None]


@with_config(_CONFIG)
class MentionIn(TypedDict):
    external_id: ExternalId
    posted_at: AwareDatetime
    text: NotRequired[Annotated[str, Field(max_length=MAX_TEXT), AfterValidator(_no_nul)]]
    url: NotRequired[Annotated[str, Field(max_length=1000), AfterValidator(_url)]]
    author: NotRequired[AuthorIn | None]
    language: NotRequired[Annotated[str, Field(max_length=16), AfterValidator(_language)]]
    platform: NotRequired[Annotated[str, AfterValidator(_platform)] | None]
    thread_id: NotRequired[OptionalId]
    parent_id: NotRequired[OptionalId]
    likes: NotRequired[Count]
    shares: NotRequired[Count]
    comments: NotRequired[Count]
    views: NotRequired[Count]


# The value of each optional field a checked MentionIn may lack.
MENTION_DEFAULTS: dict[str, Any] = {
    "text": "",
    "url": "",
    "author": None,
    "language": "",
    "platform": None,
    "thread_id": "",
    "parent_id": "",
    "likes": 0,
    "shares": 0,
    "comments": 0,
    "views": 0,
}
MENTION = TypeAdapter(MentionIn)
MENTIONS = TypeAdapter(list[MentionIn])


FieldError = tuple[str, str]


def _field_name(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "item"


def validate_item(item: Any) -> MentionIn | list[FieldError]:
    """One item: the checked mention (a dict), or its errors as (field, message) pairs."""
    if not isinstance(item, dict):
        return [("item", f"expected a JSON object, got {type(item).__name__}")]
    try:
        return MENTION.validate_python(item)
    except ValidationError as exc:
        errors = []
        for error in exc.errors(include_url=False, include_input=False):
            message = error["msg"]
            if error["type"] == "extra_forbidden":
                message = "unknown field"
            elif error["type"] == "timezone_aware":
                message = "needs a time zone (e.g. 2026-03-01T12:00:00Z)"
            elif message.startswith("Value error, "):
                message = message.removeprefix("Value error, ")
            errors.append((_field_name(error["loc"]), message))
        return errors
