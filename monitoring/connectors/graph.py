"""Meta's Graph API as Stormdesk reads it, for Facebook Pages and Instagram alike.

Pure, no Django. Shared by the Instagram pull connector (monitoring.connectors.instagram) and
by the completion of Meta webhook events that name a mention by ids only
(monitoring.services.completion):

- Requests: `graph_get` sends the token in the Authorization header (never in a URL, which gets
  logged) and, given the app secret, the `appsecret_proof` that apps set to "Require App
  Secret" need. Graph says a spent rate limit, an expired token and a deleted object all with
  a 400 or 403, so its error body decides (`_refusal`): `RateLimited` (codes 4, 17, 32, 613,
  80001, 80002, or a 429: it waits the estimated_time_to_regain_access of the usage headers, or
  RATE_WAIT), `AuthFailed` (190 and 102, a refused token; 10 and 200-299, a missing
  permission), `Gone` (100/33 where the caller can pass over a deleted object),
  `TemporaryError` (transient, 1, 2, 5xx), a `ConnectorError` for the rest (such as a 31st
  hashtag in a week).
- Usage: `usage_wait` and `usage_percent` read Meta's X-App-Usage, X-Page-Usage and
  X-Business-Use-Case-Usage headers.
- Listings: `listing_data` and `embedded_data` (the entries of an edge, and of one embedded in
  an object), `next_after` (Graph's `after` cursor; never the `paging.next` link, which carries
  the access token).
- Mapping: `comment_item` and `media_item` turn Instagram comments, replies and media into the
  ingestion shape; `epoch`, `iso`, `text_id` and `as_object` read Graph's times and ids.
- Completing webhook events: `mention_details` (an Instagram `mentions` event: the comment or
  caption that mentions the account) and `page_post_details` (a Facebook Page `mention` event:
  the post, or given its `comment_id` the comment, that tags the Page). Each returns the item
  under the external_id, thread_id and parent_id monitoring.connectors.meta gives the event, so
  that ingestion's fill-in path completes the stored mention instead of adding one; an answer
  without the mention is an Invalid, a refusal raises.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any, cast
from urllib.parse import parse_qs, urlparse

import httpx

from monitoring.connectors.base import (
    AuthFailed,
    ConnectorError,
    Http,
    Item,
    RateLimited,
    TemporaryError,
    json_or_none,
    retry_after_seconds,
)
from monitoring.payloads import Invalid

GRAPH_URL = "https://graph.facebook.com/v21.0"
MENTIONED_COMMENT_FIELDS = "id,text,timestamp,like_count,username,media{id,permalink}"
MENTIONED_MEDIA_FIELDS = (
    "id,caption,timestamp,like_count,comments_count,username,permalink,media_type"
)
PAGE_POST_FIELDS = "id,message,created_time,permalink_url,from{id,name}"
PAGE_COMMENT_FIELDS = "id,message,created_time,permalink_url,from{id,name},parent{id}"

RATE_WAIT = 900.0  # Meta's windows roll over an hour; without an estimate, a quarter of it
USAGE_HEADERS = ("x-business-use-case-usage", "x-app-usage", "x-page-usage")

RATE_CODES = frozenset({4, 17, 32, 613, 80001, 80002})
TOKEN_CODES = frozenset({190, 102})
TEMPORARY_CODES = frozenset({1, 2})
# Meta does not document the refusal of a 31st hashtag; these and its words are matched.
HASHTAG_LIMIT_CODES = frozenset({24})
HASHTAG_LIMIT_SUBCODES = frozenset({2207024})


class Gone(ConnectorError):
    """The media or comment was deleted between listing it and reading it."""


# -- Graph's errors and requests -------------------------------------------------------------


@dataclass(frozen=True)
class GraphError:
    """Graph's error body: {"error": {"message", "type", "code", "error_subcode",
    "is_transient", "error_user_msg", "fbtrace_id"}}."""

    message: str
    kind: str = ""
    code: int | None = None
    subcode: int | None = None
    transient: bool = False
    user_message: str = ""
    trace: str = ""

    @property
    def words(self) -> str:
        words = self.message.strip().rstrip(".") or "no reason given"
        return f"{words} (fbtrace_id {self.trace})" if self.trace else words

    @property
    def codes(self) -> str:
        return f"code {self.code}" + (f", subcode {self.subcode}" if self.subcode else "")


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def graph_error(response: httpx.Response) -> GraphError | None:
    body = json_or_none(response)
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None
    return GraphError(
        message=str(error.get("message") or ""),
        kind=str(error.get("type") or ""),
        code=_int(error.get("code")),
        subcode=_int(error.get("error_subcode")),
        transient=error.get("is_transient") is True,
        user_message=str(error.get("error_user_msg") or ""),
        trace=str(error.get("fbtrace_id") or ""),
    )


def _usage_entries(headers: httpx.Headers) -> list[dict[str, Any]]:
    """The entries of Meta's usage headers: X-App-Usage and X-Page-Usage are one object,
    X-Business-Use-Case-Usage a list of them per business object id."""
    entries: list[dict[str, Any]] = []
    for name in USAGE_HEADERS:
        try:
            value = json.loads(headers.get(name) or "null")
        except ValueError:
            continue
        if not isinstance(value, dict):
            continue
        if any(not isinstance(v, list) for v in value.values()):
            entries.append(value)
            continue
        entries += [e for v in value.values() for e in v if isinstance(e, dict)]
    return entries


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def usage_wait(headers: httpx.Headers) -> float | None:
    """Seconds until Meta says access returns (estimated_time_to_regain_access, in minutes, of
    the usage headers), or None when it says nothing."""
    minutes = max(
        (_number(e.get("estimated_time_to_regain_access")) for e in _usage_entries(headers)),
        default=0.0,
    )
    return minutes * 60 if minutes > 0 else None


def usage_percent(headers: httpx.Headers) -> float:
    """The highest share of a limit the usage headers say is used, in percent."""
    return max(
        (
            _number(e.get(key))
            for e in _usage_entries(headers)
            for key in ("call_count", "total_cputime", "total_time")
        ),
        default=0.0,
    )


def _hashtag_limit(error: GraphError) -> bool:
    words = f"{error.message} {error.user_message}".lower()
    return (
        error.code in HASHTAG_LIMIT_CODES
        or error.subcode in HASHTAG_LIMIT_SUBCODES
        or ("hashtag" in words and ("limit" in words or "30" in words))
    )


def _refusal(
    name: str, response: httpx.Response, *, gone: bool = False, hashtag_search: bool = False
) -> ConnectorError | None:
    """What Graph's error body means: Http maps by status only, and Graph says a spent rate
    limit, an expired token and a deleted object all with a 400 or 403."""
    status = response.status_code
    error = graph_error(response)
    if error is None:
        if status == 429:
            wait = usage_wait(response.headers) or retry_after_seconds(
                response.headers, default=RATE_WAIT
            )
            return RateLimited(
                f"{name} rate limit reached (429) (retry after {wait:.0f} s).", retry_after=wait
            )
        return None  # Http maps it by status (an HTML error page, an empty body)
    if error.code in RATE_CODES or status == 429:
        estimate = usage_wait(response.headers)
        wait = estimate or retry_after_seconds(response.headers, default=RATE_WAIT)
        when = (
            f"Meta estimates access returns in {wait / 60:.0f} min"
            if estimate
            else f"Meta gave no estimate; polling resumes in {wait / 60:.0f} min"
        )
        return RateLimited(
            f"{name} rate limit reached ({error.codes}): {error.words}. {when}.",
            retry_after=wait,
            status=status,
        )
    if hashtag_search and _hashtag_limit(error):
        return ConnectorError(
            f"{name} refused the hashtag search ({error.codes}): {error.words}. An account may "
            "search at most 30 different hashtags in 7 days (a hashtag counts for 7 days from "
            "its first search); this one can be searched once older ones drop out, or from "
            "another account.",
            status=status,
        )
    if error.code in TOKEN_CODES or (error.kind == "OAuthException" and status == 401):
        return AuthFailed(
            f"{name} refused the access token ({error.codes}): {error.words}. Set a new access "
            "token on the source.",
            status=status,
        )
    if error.code == 10 or (error.code is not None and 200 <= error.code <= 299):
        return AuthFailed(
            f"{name} refused access ({error.codes}): {error.words}. The token lacks a "
            "permission this needs (instagram_basic, instagram_manage_comments, "
            "pages_read_engagement; hashtags also need Instagram Public Content Access): set "
            "a token that has it on the source.",
            status=status,
        )
    if error.code == 100 and error.subcode == 33:
        # "Object with ID ... does not exist, cannot be loaded due to missing permissions"
        if gone:
            return Gone(f"{name}: {error.words}.", status=status)
        return ConnectorError(
            f"{name} cannot read this ({error.codes}): {error.words}. Check the source's "
            "account_id and that the token's user has a task on the account's Page.",
            status=status,
        )
    if error.transient or error.code in TEMPORARY_CODES or status >= 500:
        return TemporaryError(
            f"{name} is having trouble ({status}, {error.codes}): {error.words}.", status=status
        )
    return ConnectorError(
        f"{name} refused the request ({status}, {error.codes}): {error.words}.", status=status
    )


def appsecret_proof(app_secret: str, access_token: str) -> str:
    return hmac.new(app_secret.encode(), access_token.encode(), hashlib.sha256).hexdigest()


def graph_get(
    http: Http,
    *,
    name: str,
    base_url: str,
    path: str,
    params: dict[str, Any],
    access_token: str,
    app_secret: str | None = None,
    gone: bool = False,
    hashtag_search: bool = False,
) -> tuple[dict[str, Any], httpx.Headers]:
    """GET a Graph path with the token in the Authorization header (not the URL, which gets
    logged), Graph's error body read (see `_refusal`); the body and the response's headers."""
    query = {k: v for k, v in params.items() if v not in (None, "")}
    if app_secret:
        query["appsecret_proof"] = appsecret_proof(app_secret, access_token)
    response = http.get(
        f"{base_url.rstrip('/')}/{path}",
        params=query,
        headers={"Authorization": f"Bearer {access_token}"},
        refusal=partial(_refusal, name, gone=gone, hashtag_search=hashtag_search),
    )
    body = http.json(response)
    if not isinstance(body, dict):
        raise TemporaryError(f"{name} answered with something that is not an object.")
    return body, response.headers


def listing_data(name: str, body: dict[str, Any]) -> list[Any]:
    """The entries of a listing; an answer without its `data` list is not one."""
    data = body.get("data")
    if not isinstance(data, list):
        raise TemporaryError(f"{name} answered a listing without its data.")
    return data


def embedded_data(value: Any) -> list[Any]:
    """The entries of an embedded edge (a comment's replies): none when it is absent."""
    data = value.get("data") if isinstance(value, dict) else None
    return data if isinstance(data, list) else []


def next_after(listing: Any) -> str | None:
    """Graph's position of the next page (paging.cursors.after), when paging.next says there is
    one; from the next link's query when the cursors are missing. Never the link itself: it
    carries the access token."""
    paging = listing.get("paging") if isinstance(listing, dict) else None
    if not isinstance(paging, dict) or not paging.get("next"):
        return None
    cursors = paging.get("cursors")
    after = cursors.get("after") if isinstance(cursors, dict) else None
    if after:
        return str(after)
    found = parse_qs(urlparse(str(paging["next"])).query).get("after")
    return found[0] if found else None


# -- mapping ----------------------------------------------------------------------------------


def epoch(value: Any) -> float | None:
    """Seconds since the epoch of Graph's time ("2026-03-03T18:40:00+0000"); None when it is
    not one."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def iso(at: float) -> str:
    return datetime.fromtimestamp(at, tz=UTC).isoformat()


def text_id(value: Any) -> str:
    """An id as text (Graph sends strings; a number is taken too); empty when there is none."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return ""
    return str(value).strip()


def as_object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _author(entry: dict[str, Any]) -> dict[str, str] | None:
    """The username (`username`, or `from.username`); no author when neither names one."""
    sender = as_object(entry.get("from"))
    handle = text_id(entry.get("username")) or text_id(sender.get("username"))
    return {"handle": handle[:200]} if handle else None


def _counts(item: Item, entry: dict[str, Any], **fields: str) -> Item:
    # A count Graph did not give is left out, not stated as 0; one that is not a number is
    # passed on for validation to name.
    for key, name in fields.items():
        if entry.get(name) is not None:
            item[key] = entry[name]
    return item


def _unusable(entry: Any, what: str) -> Invalid | None:
    if not isinstance(entry, dict):
        return Invalid(entry, f"an Instagram {what} must be an object")
    if not text_id(entry.get("id")):
        return Invalid(entry, f"an Instagram {what} without an id")
    if epoch(entry.get("timestamp")) is None:
        return Invalid(entry, f"an Instagram {what} without a timestamp")
    return None


def comment_item(entry: Any, *, media_id: str, permalink: str, parent: str = "") -> Item | Invalid:
    """A comment (or, with `parent`, a reply) on the media `media_id` in the ingestion shape."""
    problem = _unusable(entry, "reply" if parent else "comment")
    if problem is not None:
        return problem
    item: Item = {
        "external_id": text_id(entry["id"]),
        "posted_at": iso(cast(float, epoch(entry["timestamp"]))),
        "text": str(entry.get("text") or ""),
        "author": _author(entry),
        "platform": "instagram",
        "thread_id": media_id,
    }
    if permalink:
        item["url"] = permalink  # Instagram gives comments no address of their own
    parent_id = text_id(entry.get("parent_id")) or parent
    if parent_id:
        item["parent_id"] = parent_id
    return _counts(item, entry, likes="like_count")


def media_item(entry: Any) -> Item | Invalid:
    """A media (tagged, with the hashtag, or mentioning the brand) in the ingestion shape;
    hashtag media name no author."""
    problem = _unusable(entry, "media")
    if problem is not None:
        return problem
    media_id = text_id(entry["id"])
    item: Item = {
        "external_id": media_id,
        "posted_at": iso(cast(float, epoch(entry["timestamp"]))),
        "text": str(entry.get("caption") or ""),
        "author": _author(entry),
        "platform": "instagram",
        "thread_id": media_id,
    }
    if entry.get("permalink"):
        item["url"] = str(entry["permalink"])
    return _counts(item, entry, likes="like_count", comments="comments_count")


# -- completing webhook events --------------------------------------------------------------


def mention_details(
    *,
    http: Http,
    base_url: str,
    access_token: str,
    account_id: str,
    media_id: str,
    comment_id: str | None,
    app_secret: str | None = None,
) -> Item | Invalid:
    """The mention an Instagram `mentions` webhook event names by ids only ({media_id,
    comment_id}): the comment that mentions the account, or without a comment id the media
    whose caption does. Its external_id and thread_id are the ones monitoring.connectors.meta
    gives the event (the comment id, else the media id; the media id), so the details complete
    the stored mention. An answer without the mention is an Invalid; a refusal raises."""
    media_id = text_id(media_id)
    comment = text_id(comment_id)
    if comment:
        fields = f"mentioned_comment.comment_id({comment}){{{MENTIONED_COMMENT_FIELDS}}}"
        key = "mentioned_comment"
    else:
        fields = f"mentioned_media.media_id({media_id}){{{MENTIONED_MEDIA_FIELDS}}}"
        key = "mentioned_media"
    body, _ = graph_get(
        http,
        name="Instagram",
        base_url=base_url,
        path=text_id(account_id),
        params={"fields": fields},
        access_token=access_token,
        app_secret=app_secret,
    )
    found = body.get(key)
    if not isinstance(found, dict):
        return Invalid(body, f"Instagram's answer has no {key}")
    if not comment:
        return media_item(found | {"id": media_id})
    media = as_object(found.get("media"))
    return comment_item(
        found | {"id": comment}, media_id=media_id, permalink=str(media.get("permalink") or "")
    )


def page_post_details(
    *,
    http: Http,
    base_url: str,
    access_token: str,
    post_id: str,
    comment_id: str | None = None,
    app_secret: str | None = None,
) -> Item | Invalid:
    """What a Facebook Page `mention` webhook event names by ids (often without its message):
    the post ({post_id}), or, given the event's `comment_id` (its item is "comment"), the
    comment on that post. The item has the ids monitoring.connectors.meta gives the event:
    external_id the comment id, else the post id; thread_id the post id; for a comment,
    parent_id the comment it answers (Graph's `parent`; empty for a comment on the post itself,
    for which the event names no parent). The author's id is its handle, the name its display
    name. An answer without a created_time is an Invalid; a refusal raises."""
    post, comment = text_id(post_id), text_id(comment_id)
    body, _ = graph_get(
        http,
        name="Facebook",
        base_url=base_url,
        path=comment or post,
        params={"fields": PAGE_COMMENT_FIELDS if comment else PAGE_POST_FIELDS},
        access_token=access_token,
        app_secret=app_secret,
    )
    at = epoch(body.get("created_time"))
    if at is None:
        what = "comment" if comment else "post"
        return Invalid(body, f"a Facebook {what} without a created_time")
    sender = as_object(body.get("from"))
    handle, name = text_id(sender.get("id")), str(sender.get("name") or "")
    external_id = comment or post
    item: Item = {
        "external_id": external_id,
        "posted_at": iso(at),
        "text": str(body.get("message") or ""),
        "url": str(body.get("permalink_url") or f"https://www.facebook.com/{external_id}"),
        "author": {"handle": handle or "unknown", "display_name": name[:300]}
        if handle or name
        else None,
        "platform": "facebook",
        "thread_id": post,
    }
    if comment:
        parent = text_id(as_object(body.get("parent")).get("id"))
        item["parent_id"] = "" if parent == comment else parent
    return item
