"""LinkedIn organization pages: the comments on the organization's recent posts, through the
Community Management API (versioned REST: `LinkedIn-Version`, Rest.li protocol 2.0).

A walk lists the organization's latest posts (`/rest/posts?q=author`, newest first, the first
`recent_posts` of them, 10 by default) and then reads every page of each post's comments
(`/rest/socialActions/{post}/comments`). A comment becomes a mention: its URN the external id,
the commenter's person URN the author's handle, the post the thread, `parentComment` the
parent. The organization's own comments are its replies, not mentions, and are left out.

Credentials: a member's OAuth "access_token" with r_organization_social (Community Management
API product, Standard tier), the member being an administrator of the page. Tokens last 60
days; when LinkedIn refuses one (401, serviceErrorCode 65600/65601), the source's health says
to set a new one: a connector cannot store a refreshed token.

Cursor: per post, the newest comment time seen (`t`, ms) and the ids at exactly that time, for
at most POSTS_KEEP posts; plus the `walk` in progress: the posts still to read, the offset in
the current post's comments, the newest time this post's walk saw, and the ids it handed over.
A post's `t` moves only when all its pages were read, so a worker that dies mid-post resumes
at the saved offset and hands over nothing twice; comments posted meanwhile are newer than the
old `t` and are found by this walk or the next. LinkedIn does not document the order of a
post's comments, so every page of each recent post is read each walk (one request per 100
comments) and filtered by time, which holds whatever the order. The first walk reads back to
settings `since`, or LOOKBACK.

A listed post or comment that cannot be read (not an object; a post without its URN, whose
comments cannot be asked for; a comment without its URN or its creation time, which has no
place against `t`) is an `Invalid` on the page with the reason, which the polling service files
as a dead letter. Since every walk lists them again, the cursor's `dead` remembers them
(base.DeadLetterMemory), and each is filed once.

Limits: LinkedIn rate-limits per application and per member per day, reset at midnight UTC,
and does not publish the numbers (the Developer Portal's Analytics tab shows them). A walk
costs 1 + (posts x pages) requests: every 10 minutes with 10 posts, about 1,600 a day; the
budget keeps a brand to 2,500 a day. A 429 without Retry-After waits until midnight UTC.

What the API does not allow: no search of LinkedIn for the brand's name (no keyword search of
posts exists for partners); only the organization's own posts, and only with an admin's token;
mentions of the organization in members' posts are not listed (the social-action
notifications need webhooks); the names and follower counts of commenters (person URNs only,
their profiles need their own consent); replies to comments need one more request per comment
and are not read.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from urllib.parse import quote

import httpx

from monitoring.connectors.base import (
    AuthFailed,
    Check,
    ConnectorError,
    DeadLetterMemory,
    Http,
    Item,
    Page,
    PullConnector,
    RateLimited,
    TemporaryError,
    retry_after_seconds,
    setting_time,
    until_midnight_utc,
    utcnow,
)
from monitoring.payloads import Invalid

logger = logging.getLogger(__name__)

VERSION = "202510"  # LinkedIn-Version (YYYYMM); versions are served about a year
RECENT_POSTS = 10
MAX_POSTS = 50
PAGE = 100
POSTS_KEEP = 100
SENT_KEEP = 1000
LOOKBACK = timedelta(days=3)


class _Gone(ConnectorError):
    """The post was deleted between listing it and reading its comments."""


def _message(response: httpx.Response) -> str:
    """LinkedIn's error body: {"status", "serviceErrorCode", "code", "message"}."""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:200] or response.reason_phrase
    if not isinstance(body, dict):
        return response.reason_phrase
    message = str(body.get("message") or body.get("code") or response.reason_phrase).rstrip(".")
    code = body.get("serviceErrorCode")
    return f"{message} (serviceErrorCode {code})" if code is not None else message


def _refusal(name: str, response: httpx.Response) -> ConnectorError | None:
    """A refusal in LinkedIn's words, with what to do about it (its daily limits reset at
    midnight UTC)."""
    status = response.status_code
    if status < 400:
        return None
    message = _message(response)
    if status == 429:
        wait = retry_after_seconds(response.headers, default=until_midnight_utc(utcnow()))
        return RateLimited(
            f"{name} rate limit reached: {message}. LinkedIn's daily limits reset at midnight "
            f"UTC (retry after {wait:.0f} s).",
            retry_after=wait,
        )
    if status in (401, 403):
        return AuthFailed(
            f"{name} refused the credentials ({status}): {message}. "
            "Set new credentials on the source (a page administrator's token with "
            "r_organization_social).",
            status=status,
        )
    if status == 404:
        return _Gone(f"{name} found nothing there (404): {message}.", status=status)
    if status == 426:
        return ConnectorError(
            f"{name} no longer serves the API version asked for (426): {message}. "
            "Set a current 'api_version' (YYYYMM) on the source.",
            status=status,
        )
    if status >= 500:
        return TemporaryError(f"{name} is having trouble ({status}): {message}.", status=status)
    return ConnectorError(f"{name} refused the request ({status}): {message}.", status=status)


def _org_urn(value: Any) -> str:
    text = str(value).strip()
    return text if text.startswith("urn:li:organization:") else f"urn:li:organization:{text}"


def _has_next(body: dict[str, Any], start: int, received: int) -> bool:
    paging = body.get("paging") or {}
    if not received:
        return False
    if any(link.get("rel") == "next" for link in paging.get("links") or []):
        return True
    total = paging.get("total")
    return isinstance(total, int) and start + received < total


_JSON_KINDS = {type(None): "null", bool: "true or false", str: "a string", list: "a list"}


def _kind(value: Any) -> str:
    return _JSON_KINDS.get(type(value), "a number")


def _obj(value: Any) -> dict[str, Any]:
    """A part of an entry that should be an object, or an empty one."""
    return value if isinstance(value, dict) else {}


def _count(value: Any) -> Any:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return value  # left as it came: validation names the field


def _unreadable_post(element: Any) -> str:
    """Why a listed post cannot be walked, in words; empty when it can."""
    if not isinstance(element, dict):
        return (
            f"a LinkedIn post of the organization must be an object, not {_kind(element)}: "
            "its comments cannot be read"
        )
    if not element.get("id"):
        return (
            "a LinkedIn post of the organization without an id (its share or ugcPost URN): "
            "its comments cannot be read"
        )
    return ""


def _unreadable_comment(element: Any, post: str) -> str:
    """Why a listed comment cannot be a mention, in words; empty when it can."""
    if not isinstance(element, dict):
        return f"a LinkedIn comment on {post} must be an object, not {_kind(element)}"
    if not LinkedInOrganization._comment_id(element):
        return f"a LinkedIn comment on {post} without an id ($URN, commentUrn, or object and id)"
    at = _obj(element.get("created")).get("time")
    try:
        if isinstance(at, bool) or not isinstance(at, int):
            raise TypeError
        datetime.fromtimestamp(at / 1000, tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return (
            f"a LinkedIn comment on {post} without its creation time (created.time, in epoch "
            "milliseconds)"
        )
    return ""


class LinkedInOrganization(PullConnector):
    name = "LinkedIn"
    platform = "linkedin"
    settings_needed = (("organization_id", "the page's organization id or urn:li:organization"),)
    credentials_needed = (
        ("access_token", "a page administrator's OAuth token with r_organization_social"),
    )
    default_base_url = "https://api.linkedin.com"
    interval = 600
    budget = (2500, 86_400)  # LinkedIn's limits are daily (UTC) and unpublished; ours

    def _get(
        self,
        http: Http,
        path: str,
        params: dict[str, Any],
        settings: dict[str, Any],
        credentials: dict[str, Any],
        finder: bool = False,
    ) -> dict[str, Any]:
        """GET with LinkedIn's headers; its error body read for the person who fixes it."""
        headers = {
            "Authorization": f"Bearer {credentials.get('access_token', '')}",
            "LinkedIn-Version": str(settings.get("api_version") or VERSION),
            "X-Restli-Protocol-Version": "2.0.0",
        }
        if finder:
            headers["X-RestLi-Method"] = "FINDER"
        response = http.get(
            f"{self.base_url}{path}",
            params=params,
            headers=headers,
            refusal=partial(_refusal, self.name),
        )
        body = http.json(response)
        if not isinstance(body, dict):
            raise TemporaryError(f"{self.name} answered with something that is not an object.")
        return body

    def _posts(
        self, http: Http, settings: dict[str, Any], credentials: dict[str, Any], count: int
    ) -> dict[str, Any]:
        org = _org_urn(settings["organization_id"])
        params = {"q": "author", "author": org, "count": count, "sortBy": "LAST_MODIFIED"}
        try:
            return self._get(http, "/rest/posts", params, settings, credentials, finder=True)
        except _Gone as exc:
            raise ConnectorError(f"{self.name} has no organization {org}: {exc.message}") from exc

    @staticmethod
    def _floor(settings: dict[str, Any], now: datetime) -> int:
        since = setting_time(settings) or now - LOOKBACK
        return int(since.timestamp() * 1000)

    def fetch(
        self,
        *,
        settings: dict[str, Any],
        credentials: dict[str, Any],
        cursor: dict[str, Any],
        http: Http,
    ) -> Page:
        floor = int(cursor.get("floor") or self._floor(settings, utcnow()))
        posts: dict[str, Any] = dict(cursor.get("posts") or {})
        walk = dict(cursor.get("walk") or {})
        letters = DeadLetterMemory(cursor)
        if not walk.get("queue"):
            return self._start_walk(http, settings, credentials, floor, posts, letters)

        post = str(walk["queue"][0])
        state = posts.get(post) or {"t": floor, "ids": []}
        start = int(walk.get("start") or 0)
        try:
            body = self._get(
                http,
                f"/rest/socialActions/{quote(post, safe='')}/comments",
                {"start": start, "count": PAGE},
                settings,
                credentials,
            )
        except _Gone:
            logger.info("linkedin %s: post gone, skipped", post)
            posts.pop(post, None)
            return self._next_post(floor, posts, walk, letters)

        org = _org_urn(settings["organization_id"])
        elements = body.get("elements") or []
        sent: list[str] = list(walk.get("sent") or [])
        handed = set(sent)
        known_at_t = set(state.get("ids") or [])
        top = walk.get("top")
        top_ids: list[str] = list(walk.get("top_ids") or [])
        items: list[Item | Invalid] = []
        raws: list[Any] = []
        for element in elements:
            problem = _unreadable_comment(element, post)
            if problem:
                if letters.first(element, where=post):
                    items.append(Invalid(element, problem))
                    raws.append(element)
                continue
            at = element["created"]["time"]
            comment_id = self._comment_id(element)
            if top is None or at > top:
                top, top_ids = at, [comment_id]
            elif at == top and comment_id not in top_ids:
                top_ids.append(comment_id)
            if at < state["t"] or (at == state["t"] and comment_id in known_at_t):
                continue  # read by an earlier walk
            if comment_id in handed or element.get("actor") == org:
                continue
            handed.add(comment_id)
            sent.append(comment_id)
            items.append(self._item(element, comment_id, post))
            raws.append(element)

        if _has_next(body, start, len(elements)):
            walk.update(
                start=start + len(elements), top=top, top_ids=top_ids, sent=sent[-SENT_KEEP:]
            )
            next_cursor = letters.into({"floor": floor, "posts": posts, "walk": walk})
            return Page(items=items, raws=raws, cursor=next_cursor, more=True)
        if top is not None and top > state["t"]:
            posts[post] = {"t": top, "ids": top_ids}
        elif top is not None and top == state["t"]:
            posts[post] = {"t": top, "ids": sorted(known_at_t | set(top_ids))}
        else:
            posts[post] = state
        page = self._next_post(floor, posts, walk, letters)
        return Page(items=items, raws=raws, cursor=page.cursor, more=page.more)

    def _start_walk(
        self,
        http: Http,
        settings: dict[str, Any],
        credentials: dict[str, Any],
        floor: int,
        posts: dict[str, Any],
        letters: DeadLetterMemory,
    ) -> Page:
        count = min(int(settings.get("recent_posts") or RECENT_POSTS), MAX_POSTS)
        body = self._posts(http, settings, credentials, count)
        urns: list[str] = []
        items: list[Item | Invalid] = []
        raws: list[Any] = []
        for element in body.get("elements") or []:
            problem = _unreadable_post(element)
            if problem:
                if letters.first(element, where="posts"):
                    items.append(Invalid(element, problem))
                    raws.append(element)
            elif element.get("lifecycleState") in (None, "PUBLISHED"):
                # a draft or a post not yet published has no comments to read
                urns.append(str(element["id"]))
        # the recent posts' states first; older ones kept while there is room, in case an
        # edit brings a post back to the top of the list
        kept = {u: posts[u] for u in urns if u in posts}
        for urn, state in posts.items():
            if len(kept) >= POSTS_KEEP:
                break
            kept.setdefault(urn, state)
        cursor: dict[str, Any] = {"floor": floor, "posts": kept}
        if urns:
            cursor["walk"] = {"queue": urns, "start": 0}
        return Page(items=items, raws=raws, cursor=letters.into(cursor), more=bool(urns))

    @staticmethod
    def _next_post(
        floor: int, posts: dict[str, Any], walk: dict[str, Any], letters: DeadLetterMemory
    ) -> Page:
        queue = list(walk["queue"][1:])
        cursor: dict[str, Any] = {"floor": floor, "posts": posts}
        if queue:
            cursor["walk"] = {"queue": queue, "start": 0}
        return Page(items=[], raws=[], cursor=letters.into(cursor), more=bool(queue))

    @staticmethod
    def _comment_id(element: dict[str, Any]) -> str:
        urn = element.get("$URN") or element.get("commentUrn")
        if urn:
            return str(urn)
        if element.get("object") and element.get("id"):
            return f"urn:li:comment:({element['object']},{element['id']})"
        return ""

    @staticmethod
    def _item(element: dict[str, Any], comment_id: str, post: str) -> Item:
        actor = str(element.get("actor") or element["created"].get("actor") or "")
        likes = _obj(element.get("likesSummary"))
        replies = _obj(element.get("commentsSummary"))
        posted = datetime.fromtimestamp(element["created"]["time"] / 1000, tz=UTC)
        item: Item = {
            "external_id": comment_id,
            "posted_at": posted.isoformat(),
            "text": str(_obj(element.get("message")).get("text") or ""),
            "url": f"https://www.linkedin.com/feed/update/{post}/?commentUrn="
            f"{quote(comment_id, safe='')}",
            "author": {"handle": (actor or "unknown")[:200]},
            "thread_id": post,
            "likes": _count(likes.get("totalLikes") or likes.get("aggregatedTotalLikes")),
            "comments": _count(replies.get("aggregatedTotalComments")),
        }
        if element.get("parentComment"):
            item["parent_id"] = str(element["parentComment"])
        return item

    def check(self, *, settings: dict[str, Any], credentials: dict[str, Any], http: Http) -> Check:
        """One request: the organization's latest post, which needs the token, the
        permission and an admin role on the page."""
        body = self._posts(http, settings, credentials, 1)
        total = (body.get("paging") or {}).get("total")
        org = _org_urn(settings["organization_id"])
        return Check(
            ok=True,
            message=f"{self.name} answered: the posts of {org} are readable"
            + (f" ({total} posts)." if isinstance(total, int) else "."),
            details={"posts": total} if isinstance(total, int) else {},
        )
