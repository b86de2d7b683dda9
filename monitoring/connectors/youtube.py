"""YouTube Data API v3: comments on the brand's videos, and videos that mention the brand.

The source's settings choose the mode:

- comments: `channel_id` (every comment thread on the channel's videos, commentThreads with
  allThreadsRelatedToChannelId) and/or `video_ids` (the threads of those videos). A thread's
  top-level comment and its replies become mentions: thread_id is the video, parent_id the
  top-level comment a reply answers. YouTube embeds at most five replies in a thread; when
  `totalReplyCount` says there are more, comments.list?parentId reads them all (1 unit a page,
  one request a fetch so the budget counts it; the thread's count is kept in `counts`, so a
  thread is read again only when its count changes).
- search: `query` (search.list, type=video, newest first); each video found is a mention.

Credentials: an API key ("api_key", of a Google Cloud project with the YouTube Data API
enabled) or an OAuth "access_token" (youtube.readonly). With both, the token is sent: Google
refuses a key and a token from different projects in one request.

Cursor, per target (the channel, each video, or the search): `since`, the newest publishedAt
of the last finished walk, and `seen`, the ids handed over whose time is within OVERLAP of it;
plus the `walk` in progress: its target, the next pageToken and the newest time it saw. A walk
lists newest first and ends when it reaches `since` - OVERLAP (or the pages end); only then
does `since` move to the walk's newest time. So a worker that dies after page 2 resumes at
page 3's token (no gap, nothing read twice). order=time is only roughly newest first (a pinned
thread, one approved late, heads a page with its old time), so a walk reads every page whole,
keeps what is at or after `since` - OVERLAP, and ends at the first page with nothing newer; a
thread with more replies than embedded puts its replies in the walk's `expand`, read before
the next page of threads. Comments posted during a walk are newer than its newest time and
head the next walk; a comment YouTube lists late (held for review, search
indexing) within OVERLAP is still found, and `seen` keeps it from being handed over twice. A
pageToken YouTube no longer accepts restarts the walk from the top with the same `since`.

Quota: 10,000 units a day per Google Cloud project, reset at midnight Pacific time;
commentThreads.list, channels.list and videos.list cost 1 unit, search.list 100. `budget`
counts requests at 1 unit: 300 an hour is 7,200 units a day, which leaves room for one search
source's walk an hour (2,400 units; a search walk starts at most every SEARCH_EVERY, and its
next pages follow at once). More search sources on one key need a quota increase from Google.
A spent quota (quotaExceeded) is a RateLimited until the reset, not an auth failure.

An entry that cannot be mapped (a thread without a top-level comment with its id and time, a
reply without its id or time, embedded in its thread or listed by comments.list, a search result
without its id.videoId or time) is an Invalid on the page: a dead letter with the reason, never
dropped in silence. Every walk reads back to `since` - OVERLAP and lists such an entry again:
the cursor's `dead` (base.DeadLetterMemory) has it filed once.

What the API does not give: a reply posted to an old thread that YouTube lists on no page the
walk reads, or whose reply count we never noted, is not found; the comments of videos with
comments disabled (skipped, not fatal, when listed in `video_ids`); a commenter's subscriber
count or language; search results are YouTube's relevance-filtered index, not every video that
names the brand.
"""

from __future__ import annotations

import html
import logging
import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from datetime import time as clock_time
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
    utcnow,
)
from monitoring.payloads import Invalid

logger = logging.getLogger(__name__)

API = "/youtube/v3"
LOOKBACK = timedelta(days=3)  # the first walk reads this far back unless settings say `since`
COMMENT_OVERLAP = timedelta(minutes=15)
SEARCH_OVERLAP = timedelta(hours=1)
SEARCH_EVERY = timedelta(hours=1)
SEEN_KEEP = 2000
QUOTA_MARGIN = 60.0  # seconds after the reset, so the first request is not refused again

QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded"})
THROTTLE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded", "RATE_LIMIT_EXCEEDED"})
AUTH_REASONS = frozenset(
    {
        "keyInvalid",
        "keyExpired",
        "API_KEY_INVALID",
        "API_KEY_EXPIRED",
        "authError",
        "accessNotConfigured",
        "SERVICE_DISABLED",
        "API_KEY_SERVICE_BLOCKED",
        "ipRefererBlocked",
        "forbidden",
        "insufficientPermissions",
    }
)
SKIP_REASONS = frozenset({"commentsDisabled", "videoNotFound"})
_TAGS = re.compile(r"<[^>]+>")

PACIFIC: tzinfo
try:
    PACIFIC = ZoneInfo("America/Los_Angeles")
except ZoneInfoNotFoundError:  # no tz database: UTC-8 is never earlier than the real reset
    PACIFIC = timezone(timedelta(hours=-8))


def quota_reset_in(now: datetime) -> float:
    """Seconds until Google resets the daily quota: the next midnight Pacific time."""
    local = now.astimezone(PACIFIC)
    midnight = datetime.combine(local.date() + timedelta(days=1), clock_time(0), tzinfo=PACIFIC)
    return (midnight - now).total_seconds() + QUOTA_MARGIN


class _Skip(ConnectorError):
    """This video's comments cannot be read (disabled, or the video is gone): not fatal."""


class _StaleToken(ConnectorError):
    """YouTube no longer accepts the saved pageToken."""


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def _rfc3339(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _google_error(response: httpx.Response) -> tuple[set[str], str]:
    """The reasons and message of Google's error body: {"error": {"code", "message",
    "errors": [{"reason"}], "status", "details": [{"reason"}]}}."""
    try:
        body = response.json()
    except ValueError:
        return set(), (response.text.strip()[:200] or response.reason_phrase)
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return set(), response.reason_phrase
    reasons = {str(e.get("reason")) for e in error.get("errors") or [] if isinstance(e, dict)}
    reasons |= {str(d.get("reason")) for d in error.get("details") or [] if isinstance(d, dict)}
    if error.get("status"):
        reasons.add(str(error["status"]))
    message = html.unescape(_TAGS.sub("", str(error.get("message") or ""))).strip().rstrip(".")
    return reasons - {"None"}, message or response.reason_phrase


def _refusal(name: str, response: httpx.Response) -> ConnectorError | None:
    """What a refusal means by Google's reasons: Http maps by status only, and YouTube says a
    spent quota, a bad key and disabled comments all with a 403 or 400."""
    status = response.status_code
    if status < 400:
        return None
    reasons, message = _google_error(response)
    if reasons & QUOTA_REASONS:
        wait = quota_reset_in(utcnow())
        return RateLimited(
            f"{name} quota for today is spent ({status}): {message}. Google resets it at "
            f"midnight Pacific time; polling resumes then (in {wait / 3600:.1f} h).",
            retry_after=wait,
            status=status,
        )
    if status == 429 or reasons & THROTTLE_REASONS:
        wait = retry_after_seconds(response.headers)
        return RateLimited(
            f"{name} rate limit reached: {message} (retry after {wait:.0f} s).",
            retry_after=wait,
            status=status,
        )
    if reasons & SKIP_REASONS:
        return _Skip(f"{name}: {message}.", status=status)
    if "invalidPageToken" in reasons:
        return _StaleToken(f"{name}: {message}.", status=status)
    if status in (401, 403) or reasons & AUTH_REASONS:
        return AuthFailed(
            f"{name} refused the credentials ({status}): {message}. "
            "Set new credentials on the source.",
            status=status,
        )
    if status >= 500:
        return TemporaryError(f"{name} is having trouble ({status}): {message}.", status=status)
    return ConnectorError(f"{name} refused the request ({status}): {message}.", status=status)


def _text(snippet: dict[str, Any]) -> str:
    return str(snippet.get("textOriginal") or snippet.get("textDisplay") or "")


def _obj(value: Any) -> dict[str, Any]:
    """A part of an entry that should be an object, or an empty one."""
    return value if isinstance(value, dict) else {}


def _id(value: Any) -> str:
    """A thread's or comment's id: a string in the API; empty when it is not one."""
    return value if isinstance(value, str) and value.strip() else ""


def _channel(snippet: dict[str, Any]) -> str:
    """The commenter's channel id: authorChannelId is an object ({"value": "UC..."}); one given
    as the id itself is read as that."""
    given = snippet.get("authorChannelId")
    value = given.get("value") if isinstance(given, dict) else given
    return value if isinstance(value, str) else ""


def _letter(entry: Any, where: str, *, reply: bool = False) -> tuple[Any, str]:
    """What an unmappable entry is remembered by, and where (base.DeadLetterMemory): its id when
    it has one, since its counts change between listings; a reply is the same whether its
    thread embeds it or comments.list lists it (without its videoId and channelId)."""
    if not isinstance(entry, dict):
        return entry, where
    if _id(entry.get("id")):
        return entry["id"], where
    video = _obj(entry.get("id")).get("videoId")
    if isinstance(video, str) and video:
        return video, where
    snippet = entry.get("snippet")
    if reply and isinstance(snippet, dict):
        snippet = {k: v for k, v in snippet.items() if k not in ("videoId", "channelId")}
        return entry | {"snippet": snippet}, where
    return entry, where


class YouTubeComments(PullConnector):
    name = "YouTube"
    platform = "youtube"
    settings_needed = (
        ("channel_id", "the channel whose videos' comments to read (UC...)"),
        ("video_ids", "a list of video ids whose comments to read"),
        ("query", "words to search videos for (search mode, 100 quota units a page)"),
    )
    credentials_needed = (
        ("api_key", "a Google Cloud API key with the YouTube Data API enabled"),
        ("access_token", "or an OAuth access token with the youtube.readonly scope"),
    )
    default_base_url = "https://www.googleapis.com"
    interval = 300
    budget = (300, 3600)  # requests at 1 quota unit; see the module docstring

    def missing(self, settings: dict[str, Any], credentials: dict[str, Any]) -> list[str]:
        """One mode's settings, and one of the two credentials."""
        lacking = []
        if not (settings.get("channel_id") or settings.get("video_ids") or settings.get("query")):
            lacking.append(
                " or ".join(f"setting '{key}' ({what})" for key, what in self.settings_needed)
            )
        if not (credentials.get("api_key") or credentials.get("access_token")):
            lacking.append(
                " or ".join(f"credential '{key}' ({what})" for key, what in self.credentials_needed)
            )
        return lacking

    # -- requests -------------------------------------------------------------------------

    def _get(
        self, http: Http, path: str, params: dict[str, Any], credentials: dict[str, Any]
    ) -> dict[str, Any]:
        """GET with Google's error body read (see `_refusal`)."""
        query = {k: v for k, v in params.items() if v not in (None, "")}
        headers = {}
        if credentials.get("access_token"):
            headers["Authorization"] = f"Bearer {credentials['access_token']}"
        else:
            query["key"] = credentials.get("api_key", "")
        response = http.get(
            f"{self.base_url}{API}/{path}",
            params=query,
            headers=headers,
            refusal=partial(_refusal, self.name),
        )
        body = http.json(response)
        if not isinstance(body, dict):
            raise TemporaryError(f"{self.name} answered with something that is not an object.")
        return body

    # -- the walk ---------------------------------------------------------------------------

    @staticmethod
    def _targets(settings: dict[str, Any]) -> list[str]:
        if settings.get("query"):
            return ["search"]
        targets = [f"channel:{settings['channel_id']}"] if settings.get("channel_id") else []
        videos = settings.get("video_ids") or []
        if isinstance(videos, str):
            videos = [v.strip() for v in videos.split(",")]
        return targets + [f"video:{v}" for v in videos if v]

    @staticmethod
    def _start(settings: dict[str, Any], now: datetime) -> datetime:
        return setting_time(settings) or now - LOOKBACK

    def fetch(
        self,
        *,
        settings: dict[str, Any],
        credentials: dict[str, Any],
        cursor: dict[str, Any],
        http: Http,
    ) -> Page:
        letters = DeadLetterMemory(cursor)
        page = self._walk(settings, credentials, cursor, http, letters)
        page.cursor = letters.into(page.cursor)
        return page

    def _walk(
        self,
        settings: dict[str, Any],
        credentials: dict[str, Any],
        cursor: dict[str, Any],
        http: Http,
        letters: DeadLetterMemory,
    ) -> Page:
        """One page of the walk (see the module docstring); unmappable entries not filed
        before are on it, and remembered in `letters`."""
        now = utcnow()
        targets = self._targets(settings)
        if not targets:
            raise ConnectorError(f"{self.name} needs a channel_id, video_ids or a query.")
        states: dict[str, Any] = {
            t: s for t, s in (cursor.get("targets") or {}).items() if t in targets
        }
        walk = dict(cursor.get("walk") or {})
        if walk.get("target") not in targets:
            walk = {"target": targets[0]}
        target = str(walk["target"])
        search = target == "search"
        searched_at = cursor.get("searched_at")
        if (
            search
            and not walk.get("token")
            and searched_at
            and now - _when(searched_at) < SEARCH_EVERY
        ):
            return Page(items=[], raws=[], cursor=cursor)  # 100 units a page: a walk an hour
        state = states.get(target) or {"since": self._start(settings, now).isoformat(), "seen": {}}
        since = _when(state["since"])
        overlap = SEARCH_OVERLAP if search else COMMENT_OVERLAP
        floor = since - overlap
        seen: dict[str, str] = dict(state.get("seen") or {})
        next_cursor: dict[str, Any] = {"targets": states}
        if search:
            next_cursor["searched_at"] = now.isoformat() if not walk.get("token") else searched_at
        if walk.get("expand") and not search:
            return self._replies(
                http,
                credentials,
                walk,
                cursor=next_cursor,
                targets=targets,
                state=state,
                seen=seen,
                floor=floor,
                overlap=overlap,
                letters=letters,
            )

        try:
            if search:
                body = self._get(
                    http,
                    "search",
                    {
                        "part": "snippet",
                        "q": settings["query"],
                        "type": "video",
                        "order": "date",
                        "maxResults": 50,
                        "publishedAfter": _rfc3339(floor),
                        "pageToken": walk.get("token"),
                    },
                    credentials,
                )
            else:
                kind, _, ident = target.partition(":")
                body = self._get(
                    http,
                    "commentThreads",
                    {
                        "part": "snippet,replies",
                        "allThreadsRelatedToChannelId" if kind == "channel" else "videoId": ident,
                        "order": "time",
                        "maxResults": 100,
                        "textFormat": "plainText",
                        "pageToken": walk.get("token"),
                    },
                    credentials,
                )
        except _StaleToken:
            # The same `since` from the top: `seen` drops what this walk handed over already.
            logger.info("youtube %s: page token no longer valid, walk restarted", target)
            next_cursor["walk"] = {"target": target}
            next_cursor.pop("searched_at", None)  # a restart, not a new search: no waiting
            return Page(items=[], raws=[], cursor=next_cursor, more=True)
        except _Skip as exc:
            if target.startswith("video:"):
                logger.info("youtube %s skipped: %s", target, exc.message)
                return self._next_target(next_cursor, targets, target)
            raise

        items: list[Item | Invalid] = []
        raws: list[Any] = []
        top = _when(walk["top"]) if walk.get("top") else None
        counts: dict[str, int] = dict(state.get("counts") or {})
        expand: list[dict[str, Any]] = []
        newer = placed = False
        # order=time (and search's order=date) is only roughly newest first: a pinned or
        # late-approved thread heads a page, newer ones follow older ones. So the whole page is
        # read, and only a page with nothing at or after the floor ends the walk.
        listed = body.get("items") or []
        for entry in listed:
            mapped = self._search_item(entry) if search else self._thread_items(entry)
            if isinstance(mapped, Invalid):
                if letters.first(*_letter(entry, "search result" if search else "thread")):
                    items.append(mapped)
                    raws.append(entry)
                continue
            placed = True
            found, broken = mapped
            posted = _when(found[0][0]["posted_at"])
            fresh = [(i, r) for i, r in found if _when(i["posted_at"]) >= floor]
            if posted >= floor:
                top = posted if top is None or posted > top else top
            newer = newer or bool(fresh)
            for item, raw in fresh:
                if item["external_id"] in seen:
                    continue
                seen[item["external_id"]] = item["posted_at"]
                items.append(item)
                raws.append(raw)
            # A reply with no time to place it by: filed whatever the floor, once.
            where = f"reply of {found[0][0]['external_id']}"
            for reply in broken:
                if letters.first(*_letter(reply.value, where, reply=True)):
                    items.append(reply)
                    raws.append(reply.value)
            if not search:
                more_replies = self._more_replies(entry, counts, bool(fresh))
                if more_replies:
                    expand.append(more_replies)

        # A page of dead letters only has no time to end the walk by: the walk goes on.
        token = body.get("nextPageToken") if newer or (listed and not placed) else None
        return self._after(
            items=items,
            raws=raws,
            cursor=next_cursor,
            targets=targets,
            target=target,
            state=state,
            seen=seen,
            counts=counts,
            top=top,
            overlap=overlap,
            token=token,
            expand=expand,
        )

    def _after(
        self,
        *,
        items: list[Item | Invalid],
        raws: list[Any],
        cursor: dict[str, Any],
        targets: list[str],
        target: str,
        state: dict[str, Any],
        seen: dict[str, str],
        counts: dict[str, int],
        top: datetime | None,
        overlap: timedelta,
        token: str | None,
        expand: list[dict[str, Any]],
    ) -> Page:
        """The page with the cursor after it: mid-walk (a next page of threads, or replies still
        to read: `expand`, before the `token`; no token then means the walk ends after them),
        or the walk finished and `since` moved up to its newest time."""
        states: dict[str, Any] = cursor["targets"]
        if token or expand:
            states[target] = _state(state["since"], _bounded(seen), counts)
            walk: dict[str, Any] = {"target": target}
            if token:
                walk["token"] = token
            walk["top"] = top.isoformat() if top else None
            if expand:
                walk["expand"] = expand
            cursor["walk"] = walk
            return Page(items=items, raws=raws, cursor=cursor, more=True)
        since = _when(state["since"])
        newest = max(since, top) if top else since
        keep = newest - overlap
        states[target] = _state(
            newest.isoformat(),
            _bounded({k: v for k, v in seen.items() if _when(v) >= keep}),
            counts,
        )
        page = self._next_target(cursor, targets, target)
        return Page(items=items, raws=raws, cursor=page.cursor, more=page.more)

    @staticmethod
    def _more_replies(
        thread: dict[str, Any], counts: dict[str, int], fresh: bool
    ) -> dict[str, Any] | None:
        """The replies of `thread` to read with comments.list, when YouTube embedded only some
        (at most five) and the thread has something new: a comment at or after the floor, or
        more replies than when its replies were last read in full (`counts`, by thread)."""
        snippet = _obj(thread.get("snippet"))
        first = _obj(snippet.get("topLevelComment"))
        thread_id = _id(first.get("id")) or _id(thread.get("id"))
        total = int(snippet.get("totalReplyCount") or 0)
        embedded = len(_obj(thread.get("replies")).get("comments") or [])
        if not thread_id or total == counts.get(thread_id):
            return None
        if not fresh and thread_id not in counts:
            return None
        if total <= embedded:
            counts.pop(thread_id, None)  # set anew: the newest are kept
            counts[thread_id] = total  # all its replies are on the page
            return None
        video = str(snippet.get("videoId") or _obj(first.get("snippet")).get("videoId") or "")
        return {"thread": thread_id, "video": video, "count": total}

    def _replies(
        self,
        http: Http,
        credentials: dict[str, Any],
        walk: dict[str, Any],
        *,
        cursor: dict[str, Any],
        targets: list[str],
        state: dict[str, Any],
        seen: dict[str, str],
        floor: datetime,
        overlap: timedelta,
        letters: DeadLetterMemory,
    ) -> Page:
        """One page of the replies of the first thread in the walk's `expand` (comments.list
        with parentId, 1 quota unit: one request per fetch, so the polling service's budget
        counts it), the replies at or after the floor handed over, and those that cannot be
        mapped not filed before."""
        expand: list[dict[str, Any]] = [dict(e) for e in walk["expand"]]
        current = expand[0]
        counts: dict[str, int] = dict(state.get("counts") or {})
        items: list[Item | Invalid] = []
        raws: list[Any] = []
        try:
            body = self._get(
                http,
                "comments",
                {
                    "part": "snippet",
                    "parentId": current["thread"],
                    "maxResults": 100,
                    "textFormat": "plainText",
                    "pageToken": current.get("token"),
                },
                credentials,
            )
        except _StaleToken:
            current.pop("token", None)  # its first page again; `seen` drops what was read
            body = None
        except ConnectorError as exc:
            if not isinstance(exc, _Skip) and exc.status != 404:
                raise
            logger.info("youtube replies of %s skipped: %s", current["thread"], exc.message)
            expand.pop(0)  # the thread is gone: nothing more to read of it
            body = None
        if body is not None:
            for reply in body.get("items") or []:
                mapped = self._reply_item(reply, current)
                if isinstance(mapped, Invalid):
                    if letters.first(*_letter(reply, f"reply of {current['thread']}", reply=True)):
                        items.append(mapped)
                        raws.append(reply)
                    continue
                if _when(mapped["posted_at"]) < floor or mapped["external_id"] in seen:
                    continue  # handed over by an earlier walk, or just now with the thread
                seen[mapped["external_id"]] = mapped["posted_at"]
                items.append(mapped)
                raws.append(reply)
            if body.get("nextPageToken"):
                current["token"] = str(body["nextPageToken"])
            else:
                counts.pop(str(current["thread"]), None)
                counts[str(current["thread"])] = int(current.get("count") or 0)
                expand.pop(0)
        top = _when(walk["top"]) if walk.get("top") else None
        return self._after(
            items=items,
            raws=raws,
            cursor=cursor,
            targets=targets,
            target=str(walk["target"]),
            state=state,
            seen=seen,
            counts=counts,
            top=top,
            overlap=overlap,
            token=walk.get("token"),
            expand=expand,
        )

    @staticmethod
    def _next_target(cursor: dict[str, Any], targets: list[str], target: str) -> Page:
        position = targets.index(target) + 1
        if position < len(targets):
            cursor["walk"] = {"target": targets[position]}
            return Page(items=[], raws=[], cursor=cursor, more=True)
        cursor.pop("walk", None)
        return Page(items=[], raws=[], cursor=cursor, more=False)

    # -- mapping ----------------------------------------------------------------------------

    @staticmethod
    def _comment(comment: dict[str, Any], *, video: str = "", replies: int | None = None) -> Item:
        snippet = _obj(comment.get("snippet"))
        channel = _channel(snippet)
        name = str(snippet.get("authorDisplayName") or "")
        # comments.list leaves videoId out of a reply's snippet: the thread's video then
        video = str(snippet.get("videoId") or video)
        item: Item = {
            "external_id": str(comment["id"]),
            "posted_at": _when(snippet["publishedAt"]).isoformat(),
            "text": _text(snippet),
            "url": f"https://www.youtube.com/watch?v={video}&lc={comment['id']}" if video else "",
            "author": {"handle": (channel or name or "unknown")[:200], "display_name": name[:300]},
            "thread_id": video,
            "likes": int(snippet.get("likeCount") or 0),
        }
        if snippet.get("parentId"):
            item["parent_id"] = str(snippet["parentId"])
        if replies is not None:
            item["comments"] = replies
        return item

    def _thread_items(self, thread: Any) -> tuple[list[tuple[Item, Any]], list[Invalid]] | Invalid:
        """The top-level comment first, then the replies YouTube embedded, and an Invalid for
        each embedded reply without its id or time (the thread is still a mention); an Invalid
        when the thread has no top-level comment with an id and a time."""
        if not isinstance(thread, dict):
            return Invalid(thread, "a YouTube comment thread must be an object")
        snippet = _obj(thread.get("snippet"))
        top = snippet.get("topLevelComment")
        if (
            not isinstance(top, dict)
            or not _id(top.get("id"))
            or not _readable_time(_obj(top.get("snippet")).get("publishedAt"))
        ):
            return Invalid(
                thread,
                "a YouTube comment thread needs a topLevelComment with an id and publishedAt",
            )
        video = str(snippet.get("videoId") or "")
        first = self._comment(top, video=video, replies=int(snippet.get("totalReplyCount") or 0))
        mapped: list[tuple[Item, Any]] = [
            (first, {k: v for k, v in thread.items() if k != "replies"})
        ]
        broken: list[Invalid] = []
        replies = _obj(thread.get("replies")).get("comments")
        for reply in replies if isinstance(replies, list) else []:
            item = self._reply_item(reply, {"thread": first["external_id"], "video": video})
            if isinstance(item, Invalid):
                broken.append(item)
            else:
                mapped.append((item, reply))
        return mapped, broken

    def _reply_item(self, reply: Any, thread: dict[str, Any]) -> Item | Invalid:
        """A reply (embedded in a thread, or of comments.list) of `thread` ({"thread": the
        top-level comment's id, "video"})."""
        if (
            not isinstance(reply, dict)
            or not _id(reply.get("id"))
            or not _readable_time(_obj(reply.get("snippet")).get("publishedAt"))
        ):
            return Invalid(reply, "a YouTube reply needs an id and publishedAt")
        item = self._comment(reply, video=str(thread.get("video") or ""))
        item.setdefault("parent_id", str(thread["thread"]))
        return item

    @staticmethod
    def _search_item(result: Any) -> tuple[list[tuple[Item, Any]], list[Invalid]] | Invalid:
        if not isinstance(result, dict):
            return Invalid(result, "a YouTube search result must be an object")
        # A search result's id is an object ({"kind", "videoId"}), unlike a comment's: a bare
        # string does not say what it is the id of.
        video = _obj(result.get("id")).get("videoId")
        snippet = _obj(result.get("snippet"))
        if (
            not isinstance(video, str)
            or not video
            or not _readable_time(snippet.get("publishedAt"))
        ):
            return Invalid(result, "a YouTube search result needs an id.videoId and publishedAt")
        title = html.unescape(str(snippet.get("title") or "")).strip()
        description = html.unescape(str(snippet.get("description") or "")).strip()
        channel = str(snippet.get("channelId") or "")
        item: Item = {
            "external_id": str(video),
            "posted_at": _when(snippet["publishedAt"]).isoformat(),
            "text": f"{title}. {description}" if title and description else title or description,
            "url": f"https://www.youtube.com/watch?v={video}",
            "author": {
                "handle": (channel or "unknown")[:200],
                "display_name": str(snippet.get("channelTitle") or "")[:300],
            },
            "thread_id": str(video),
        }
        return [(item, result)], []

    # -- test connection --------------------------------------------------------------------

    def check(self, *, settings: dict[str, Any], credentials: dict[str, Any], http: Http) -> Check:
        """One 1-unit request: the channel, the videos, or (search mode) that the key works."""
        if settings.get("query"):
            self._get(
                http, "videos", {"part": "id", "chart": "mostPopular", "maxResults": 1}, credentials
            )
            return Check(
                ok=True,
                message=f"{self.name} accepts the credentials. Each search page costs 100 of the "
                "10,000 daily quota units; a search runs at most once an hour.",
            )
        if settings.get("channel_id"):
            body = self._get(
                http, "channels", {"part": "snippet", "id": settings["channel_id"]}, credentials
            )
            found = body.get("items") or []
            if not found:
                return Check(
                    ok=False, message=f"{self.name} has no channel '{settings['channel_id']}'."
                )
            title = (found[0].get("snippet") or {}).get("title", "")
            return Check(
                ok=True,
                message=f"{self.name} answered: the comments on channel '{title}' are readable.",
                details={"channel": title},
            )
        videos = [t.partition(":")[2] for t in self._targets(settings)]
        body = self._get(http, "videos", {"part": "id", "id": ",".join(videos)}, credentials)
        found_ids = {str(v.get("id")) for v in body.get("items") or []}
        lost = [v for v in videos if v not in found_ids]
        if lost:
            return Check(ok=False, message=f"{self.name} has no video {', '.join(lost)}.")
        return Check(
            ok=True, message=f"{self.name} answered: {len(videos)} videos found.", details={}
        )


def _readable_time(value: Any) -> bool:
    try:
        _when(str(value))
    except ValueError:
        return False
    return bool(value)


def _state(since: str, seen: dict[str, str], counts: dict[str, int]) -> dict[str, Any]:
    """A target's state; `counts` (replies read in full, by thread) only once there are any,
    the newest SEEN_KEEP of them (a dict keeps the order they were set in)."""
    state: dict[str, Any] = {"since": since, "seen": seen}
    if counts:
        state["counts"] = dict(list(counts.items())[-SEEN_KEEP:])
    return state


def _bounded(seen: dict[str, str]) -> dict[str, str]:
    if len(seen) <= SEEN_KEEP:
        return seen
    newest = sorted(seen.items(), key=lambda kv: kv[1], reverse=True)[:SEEN_KEEP]
    return dict(newest)
