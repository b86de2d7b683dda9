"""The shape of one incoming mention, validated with pydantic (no Django here).

Every connector, webhook, import and the batch API produces dicts of this shape; `validate_item`
turns one into a `MentionIn` or a list of (field, message) errors a person can act on.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
)

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


class AuthorIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, coerce_numbers_to_str=True)

    handle: Annotated[str, Field(min_length=1, max_length=200)]
    display_name: Annotated[str, Field(max_length=300), AfterValidator(_no_nul)] = ""
    followers: Count | None = None


class MentionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, coerce_numbers_to_str=True)

    external_id: ExternalId
    posted_at: AwareDatetime
    text: Annotated[str, Field(max_length=MAX_TEXT), AfterValidator(_no_nul)] = ""
    url: Annotated[str, Field(max_length=1000), AfterValidator(_url)] = ""
    author: AuthorIn | None = None
    language: Annotated[str, Field(max_length=16), AfterValidator(_language)] = ""
    platform: Annotated[str, AfterValidator(_platform)] | None = None
    thread_id: OptionalId = ""
    parent_id: OptionalId = ""
    likes: Count = 0
    shares: Count = 0
    comments: Count = 0
    views: Count = 0


FieldError = tuple[str, str]


def _field_name(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "item"


def validate_item(item: Any) -> MentionIn | list[FieldError]:
    """One item: the validated mention, or its errors as (field, message) pairs."""
    if not isinstance(item, dict):
        return [("item", f"expected a JSON object, got {type(item).__name__}")]
    try:
        return MentionIn.model_validate(item)
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
