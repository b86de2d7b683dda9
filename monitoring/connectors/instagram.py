"""Instagram Graph API (Instagram API with Facebook Login): comments on the brand's media, media
the brand is tagged in, and public media with a hashtag.

Settings: `account_id`, the brand's Instagram professional account (its IG user id, 1784...);
`hashtag` (without '#') makes the source a hashtag search instead; optional `since` (ISO 8601,
where the first reading starts; default LOOKBACK ago) and `recent_media` (how many of the
account's latest media to watch for comments, default 20, at most 100). Credentials: an
`access_token` (a Facebook user or Page token of someone with a task on the Page connected to
the account: instagram_basic, instagram_manage_comments, pages_read_engagement; hashtags also
need the Instagram Public Content Access feature). With an `app_secret` (the one the source's
Meta webhook is signed with) every request carries its appsecret_proof, which apps set to
"Require App Secret" need. The token goes in the Authorization header, never in a URL or the
cursor (Graph's `paging.next` links carry it: only `paging.cursors.after` is kept).

This module is the walk and its cursor; the requests, Graph's error bodies and usage headers,
and the mapping of comments and media into items are monitoring.connectors.graph's, which the
completion of webhook events shares.

Owned account (no `hashtag`): a walk lists the account's latest media (`/{account}/media`),
reads the comments of each (`/{media}/comments` with the replies embedded; a comment whose
replies run past the embedded page has them read with `/{comment}/replies` before the next
page of comments), then the media the account is tagged in (`/{account}/tags`). A comment or
reply is a mention with the media as its thread and the comment it answers as its parent; its
url is the media's permalink (Instagram gives comments none). The account's own replies are
its answers, not mentions, and are left out. A tagged media is a mention (its caption the
text). Hashtag: `/ig_hashtag_search` once (its id is kept in the cursor: each hashtag searched
counts against Instagram's 30 unique hashtags per account per 7 days), then its
`/recent_media` (the last 24 hours), which names no author.

Cursor: per listing (each media's comments, the tags, the hashtag's media) `since`, the newest
time a finished read saw, and `seen`, the ids handed over within OVERLAP of it or during the
read in progress; and the `walk` in progress: its step, Graph's `after` of the next page, the
media still to read, the newest time the current read saw. Every page is stored with the
cursor after it, so a worker that dies between pages resumes at the saved `after` and hands
over nothing twice; only a finished read moves `since`.

Graph does not document the order of a media's comments, so a read handles whole pages and
keeps whatever is at or after `since` less OVERLAP and not seen. A media is read when its
comments_count changed since its last finished read, and in full at least every REREAD (a
deleted comment and a new one leave the count as it was). A read stops before the last page
only at a page with nothing at or after that time and once it found as many new comments as
the count grew by; the first read of a media and the hourly one read to the end. Tags and
hashtag media end at the first page with nothing at or after the time. An entry that cannot be
a mention (not an object, no id, no timestamp) is an Invalid on the page, remembered by a
digest (`bad`) so that it is dead-lettered once, not every walk.

Limits: Meta limits an app's calls per user and hour (200) and an Instagram account's by its
reach (business use case); a refusal (codes 4, 17, 32, 613, 80001, 80002) waits the
estimated_time_to_regain_access of the usage headers, or graph.RATE_WAIT. A walk costs one
request per 50 media listed, one per 50 comments of each media read (media whose count did not
change cost nothing until REREAD), and one for the tags; `budget` keeps a brand to 200 an hour.
Usage headers above USAGE_PAUSE percent end a poll early; the next one resumes where it stopped.

What the API does not give: comments on media older than the latest `recent_media`, on stories
or ads (those are the Marketing API's); a comment listed only after `since` passed it by more
than OVERLAP (held for review); commenters' names and follower counts; captions that mention
the brand without a tag (Meta's `mentions` webhook: see graph.mention_details); hashtag media
older than 24 hours, or their authors.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, cast

from monitoring.connectors.base import (
    Check,
    ConnectorError,
    Http,
    Item,
    Page,
    PullConnector,
    setting_time,
    utcnow,
)
from monitoring.connectors.graph import (
    GRAPH_URL,
    Gone,
    as_object,
    comment_item,
    embedded_data,
    epoch,
    graph_get,
    listing_data,
    media_item,
    next_after,
    text_id,
    usage_percent,
)
from monitoring.payloads import Invalid

logger = logging.getLogger(__name__)

MEDIA_FIELDS = "id,caption,permalink,timestamp,comments_count,like_count,username"
REPLY_FIELDS = "id,text,timestamp,username,like_count,from{id,username}"
COMMENT_FIELDS = (
    f"id,text,timestamp,username,like_count,from{{id,username}},parent_id,replies{{{REPLY_FIELDS}}}"
)
TAG_FIELDS = "id,caption,permalink,timestamp,username,like_count,comments_count,media_type"
HASHTAG_FIELDS = "id,caption,permalink,timestamp,like_count,comments_count,media_type"

PAGE = 50  # Graph's largest page for these edges
RECENT_MEDIA = 20
MAX_MEDIA = 100
LOOKBACK = timedelta(days=3)
COMMENT_OVERLAP = 900.0  # seconds: a comment may be listed a little after its time
MEDIA_OVERLAP = 3600.0  # tagged and hashtag media reach their listings later
REREAD = 3600.0  # a media whose count did not change is still read in full this often
MEDIA_KEEP = 200
SEEN_KEEP = 2000
BAD_KEEP = 200
USAGE_PAUSE = 95.0  # percent of a usage header at which a poll stops paging


def _digest(raw: Any) -> str:
    text = json.dumps(raw, sort_keys=True, default=str)
    return "bad:" + hashlib.sha256(text.encode()).hexdigest()[:24]


def _newest(values: dict[str, float], keep: int) -> dict[str, float]:
    if len(values) <= keep:
        return values
    return dict(sorted(values.items(), key=lambda kv: kv[1], reverse=True)[:keep])


# -- reading a listing ------------------------------------------------------------------------


@dataclass
class _Reader:
    """What one page of a listing hands over, given the listing's state ({"since", "seen"}):
    the entries at or after `since` less the overlap that are not in `seen`, in order, and the
    unmappable ones not dead-lettered before."""

    state: dict[str, Any]
    overlap: float
    top: float | None
    bad: dict[str, float]
    now: float
    items: list[Item | Invalid] = field(default_factory=list)
    raws: list[Any] = field(default_factory=list)
    newer: bool = False  # something on this page is at or after the cut
    fresh: int = 0  # entries not seen before, handed over or not

    def __post_init__(self) -> None:
        self.seen: dict[str, float] = dict(self.state.get("seen") or {})
        self.cut = float(self.state["since"]) - self.overlap

    def take(self, item: Item | Invalid, raw: Any, *, keep: bool = True) -> None:
        if isinstance(item, Invalid):
            key = _digest(raw)
            if key not in self.bad:
                self.bad[key] = self.now
                self.items.append(item)
                self.raws.append(raw)
            return
        at = cast(float, epoch(item["posted_at"]))
        if at < self.cut:
            return
        self.newer = True
        self.top = at if self.top is None else max(self.top, at)
        if item["external_id"] in self.seen:
            return
        self.seen[item["external_id"]] = at
        self.fresh += 1
        if keep:
            self.items.append(item)
            self.raws.append(raw)

    def ongoing(self) -> dict[str, Any]:
        """The state mid-read: `since` as it was, what was handed over remembered."""
        return self.state | {"seen": _newest(self.seen, SEEN_KEEP)}

    def finished(self, **extra: Any) -> dict[str, Any]:
        """The state after a finished read: `since` moved up to the newest time it saw."""
        since = float(self.state["since"])
        since = max(since, self.top) if self.top is not None else since
        seen = {k: t for k, t in self.seen.items() if t >= since - self.overlap}
        return self.state | {"since": since, "seen": _newest(seen, SEEN_KEEP)} | extra


@dataclass
class _Cursor:
    """The source's cursor, as read at the start of a fetch and written with its page."""

    floor: float
    listings: dict[str, Any]
    bad: dict[str, float]
    walk: dict[str, Any]

    @classmethod
    def load(cls, cursor: dict[str, Any], floor: float) -> _Cursor:
        copied = json.loads(json.dumps(cursor))  # never change the stored cursor in place
        return cls(
            floor=float(copied.pop("floor", None) or floor),
            bad=dict(copied.pop("bad", None) or {}),
            walk=dict(copied.pop("walk", None) or {}),
            listings=copied,
        )

    def state(self, key: str) -> dict[str, Any]:
        return dict(self.listings.get(key) or {"since": self.floor, "seen": {}})

    def page(self, items: list[Item | Invalid], raws: list[Any], *, more: bool) -> Page:
        cursor: dict[str, Any] = {"floor": self.floor, **self.listings}
        if self.bad:
            cursor["bad"] = _newest(self.bad, BAD_KEEP)
        if self.walk:
            cursor["walk"] = self.walk
        return Page(items=items, raws=raws, cursor=cursor, more=more)


def _recent(settings: dict[str, Any]) -> int:
    try:
        count = int(settings.get("recent_media") or RECENT_MEDIA)
    except (TypeError, ValueError):
        count = RECENT_MEDIA
    return max(1, min(count, MAX_MEDIA))


def _hashtag_name(settings: dict[str, Any]) -> str:
    return str(settings.get("hashtag") or "").strip().lstrip("#").strip().lower()


def _needs_read(state: dict[str, Any] | None, count: int | None, now: float) -> bool:
    """Whether a media's comments are read this walk: its count changed since the last
    finished read (a media without comments has none to read), or REREAD passed."""
    if count == 0:
        return False
    if state is None or count is None:
        return True
    return count != state.get("n") or now - float(state.get("read") or 0) >= REREAD


class InstagramGraph(PullConnector):
    name = "Instagram"
    platform = "instagram"
    settings_needed = (
        ("account_id", "the brand's Instagram professional account id (IG user id, 1784...)"),
    )
    credentials_needed = (
        (
            "access_token",
            "a Facebook user or Page access token with instagram_basic, "
            "instagram_manage_comments and pages_read_engagement",
        ),
    )
    default_base_url = GRAPH_URL
    interval = 300
    budget = (200, 3600)  # Meta's app limit: 200 calls per user and hour

    def __init__(self, base_url: str | None = None) -> None:
        super().__init__(base_url)
        self._pause = False  # a usage header says the limit is nearly spent

    def _get(
        self,
        http: Http,
        credentials: dict[str, Any],
        path: str,
        params: dict[str, Any],
        *,
        gone: bool = False,
        hashtag_search: bool = False,
    ) -> dict[str, Any]:
        body, headers = graph_get(
            http,
            name=self.name,
            base_url=self.base_url,
            path=path,
            params=params,
            access_token=str(credentials.get("access_token") or ""),
            app_secret=credentials.get("app_secret") or None,
            gone=gone,
            hashtag_search=hashtag_search,
        )
        if usage_percent(headers) >= USAGE_PAUSE:
            logger.info("instagram: usage at %.0f%%, paging paused", usage_percent(headers))
            self._pause = True
        return body

    def fetch(
        self,
        *,
        settings: dict[str, Any],
        credentials: dict[str, Any],
        cursor: dict[str, Any],
        http: Http,
    ) -> Page:
        now = utcnow()
        start = (setting_time(settings) or now - LOOKBACK).timestamp()
        state = _Cursor.load(cursor, start)
        account = str(settings["account_id"]).strip()
        if _hashtag_name(settings):
            page = self._hashtag_page(http, settings, credentials, state, account, now.timestamp())
        else:
            page = self._owned(http, settings, credentials, state, account, now.timestamp())
        page.more = page.more and not self._pause
        return page

    # -- the owned account -------------------------------------------------------------------

    def _owned(
        self,
        http: Http,
        settings: dict[str, Any],
        credentials: dict[str, Any],
        cur: _Cursor,
        account: str,
        now: float,
    ) -> Page:
        """One request of the walk: a page of media, of a media's comments, of a comment's
        replies, or of tags. Media with nothing to read are passed without a request."""
        media: dict[str, Any] = cur.listings.setdefault("media", {})
        while True:
            step = cur.walk.get("step") or "media"
            if step not in ("media", "comments", "replies", "tags"):
                cur.walk = {}  # a hashtag's walk, from before the source's settings changed
                continue
            if step == "media":
                return self._media_page(http, settings, credentials, cur, account)
            if step == "tags":
                return self._tags_page(http, credentials, cur, account, now)
            queue = cur.walk.get("queue") or []
            if step == "comments" and "found" not in cur.walk:
                while queue and not _needs_read(media.get(queue[0][0]), queue[0][2], now):
                    queue.pop(0)
                if not queue:
                    cur.walk = {"step": "tags"}
                    continue
                known = media.get(queue[0][0])
                count = queue[0][2]
                # a first read, or the hourly one of an unchanged count, reads to the end
                cur.walk["full"] = known is None or count is None or count == known.get("n")
                cur.walk["found"] = 0
            if step == "replies":
                return self._replies_page(http, credentials, cur, account, now)
            return self._comments_page(http, credentials, cur, account, now)

    def _media_page(
        self,
        http: Http,
        settings: dict[str, Any],
        credentials: dict[str, Any],
        cur: _Cursor,
        account: str,
    ) -> Page:
        recent = _recent(settings)
        queue: list[list[Any]] = list(cur.walk.get("queue") or [])
        owner = cur.walk.get("owner")
        body = self._get(
            http,
            credentials,
            f"{account}/media",
            {
                "fields": MEDIA_FIELDS,
                "limit": min(PAGE, recent - len(queue)),
                "after": cur.walk.get("after"),
            },
        )
        for entry in listing_data(self.name, body):
            if len(queue) >= recent:
                break
            if not isinstance(entry, dict) or not text_id(entry.get("id")):
                # The brand's own post, not a mention: nothing to dead-letter, but its comments
                # cannot be read.
                logger.warning("instagram %s: a media without an id in the listing", account)
                continue
            count = entry.get("comments_count")
            queue.append(
                [
                    text_id(entry["id"]),
                    str(entry.get("permalink") or ""),
                    count if isinstance(count, int) and not isinstance(count, bool) else None,
                ]
            )
            owner = owner or text_id(entry.get("username")) or None
        after = next_after(body)
        if after and len(queue) < recent:
            cur.walk = {"step": "media", "after": after, "queue": queue, "owner": owner}
            return cur.page([], [], more=True)
        # the listed media's states first; older ones kept while there is room, in case a
        # comment on one brings it back
        states: dict[str, Any] = cur.listings.get("media") or {}
        kept = {q[0]: states[q[0]] for q in queue if q[0] in states}
        for key, value in states.items():
            if len(kept) >= MEDIA_KEEP:
                break
            kept.setdefault(key, value)
        cur.listings["media"] = kept
        cur.walk = {"step": "comments", "queue": queue, "owner": owner}
        return cur.page([], [], more=True)

    @staticmethod
    def _own(account: str, owner: str | None) -> Callable[[Any], bool]:
        """Whether an entry is the account's own (its replies to comments)."""

        def own(entry: Any) -> bool:
            if not isinstance(entry, dict):
                return False
            sender = as_object(entry.get("from"))
            return text_id(sender.get("id")) == account or bool(
                owner and text_id(entry.get("username") or sender.get("username")) == owner
            )

        return own

    def _comments_page(
        self, http: Http, credentials: dict[str, Any], cur: _Cursor, account: str, now: float
    ) -> Page:
        walk = cur.walk
        media_id, permalink, count = walk["queue"][0]
        media: dict[str, Any] = cur.listings["media"]
        state = media.get(media_id) or {"since": cur.floor, "seen": {}}
        try:
            body = self._get(
                http,
                credentials,
                f"{media_id}/comments",
                {"fields": COMMENT_FIELDS, "limit": PAGE, "after": walk.get("after")},
                gone=True,
            )
        except Gone as exc:
            logger.info("instagram media %s skipped: %s", media_id, exc.message)
            media.pop(media_id, None)
            self._next_media(cur)
            return cur.page([], [], more=True)
        reader = _Reader(state, COMMENT_OVERLAP, walk.get("top"), cur.bad, now)
        own = self._own(account, walk.get("owner"))
        expand: list[dict[str, Any]] = []
        for entry in listing_data(self.name, body):
            item = comment_item(entry, media_id=media_id, permalink=permalink)
            raw = (
                {k: v for k, v in entry.items() if k != "replies"}
                if isinstance(entry, dict)
                else entry
            )
            reader.take(item, raw, keep=not own(entry))
            if isinstance(item, Invalid):
                continue
            replies = entry.get("replies")
            for reply in embedded_data(replies):
                mapped = comment_item(
                    reply, media_id=media_id, permalink=permalink, parent=item["external_id"]
                )
                reader.take(mapped, reply, keep=not own(reply))
            if next_after(replies):
                expand.append({"comment": item["external_id"]})
        found = int(walk.get("found") or 0) + reader.fresh
        after = next_after(body)
        if after and not walk.get("full") and not reader.newer:
            delta = count - int(state.get("n") or 0) if isinstance(count, int) else None
            if delta is not None and found >= delta:
                after = None  # every new comment found, and this page is older: the rest too
        walk.update(found=found, top=reader.top)
        walk.pop("after", None)
        if after:
            walk["after"] = after
        if expand:
            walk.update(step="replies", expand=expand)
        return self._read(cur, reader, pending=bool(expand or after), now=now)

    def _replies_page(
        self, http: Http, credentials: dict[str, Any], cur: _Cursor, account: str, now: float
    ) -> Page:
        """A page of the replies of the first comment in the walk's `expand` (more than Graph
        embedded in its comment), then back to the media's next page of comments."""
        walk = cur.walk
        media_id, permalink, _ = walk["queue"][0]
        state = cur.listings["media"].get(media_id) or {"since": cur.floor, "seen": {}}
        expand: list[dict[str, Any]] = [dict(e) for e in walk["expand"]]
        current = expand[0]
        reader = _Reader(state, COMMENT_OVERLAP, walk.get("top"), cur.bad, now)
        try:
            body = self._get(
                http,
                credentials,
                f"{current['comment']}/replies",
                {
                    "fields": f"{REPLY_FIELDS},parent_id",
                    "limit": PAGE,
                    "after": current.get("after"),
                },
                gone=True,
            )
        except Gone as exc:
            logger.info("instagram comment %s skipped: %s", current["comment"], exc.message)
            body = None
        own = self._own(account, walk.get("owner"))
        after = None
        if body is not None:
            for reply in listing_data(self.name, body):
                mapped = comment_item(
                    reply, media_id=media_id, permalink=permalink, parent=current["comment"]
                )
                reader.take(mapped, reply, keep=not own(reply))
            after = next_after(body)
        if after:
            current["after"] = after
        else:
            expand.pop(0)
        walk.update(found=int(walk.get("found") or 0) + reader.fresh, top=reader.top)
        if expand:
            walk["expand"] = expand
        else:
            walk.pop("expand", None)
            walk["step"] = "comments"
        return self._read(cur, reader, pending=bool(expand or walk.get("after")), now=now)

    @staticmethod
    def _read(cur: _Cursor, reader: _Reader, *, pending: bool, now: float) -> Page:
        """The page of a media's read: mid-read (`pending`: replies or comments still to read)
        its `seen` kept; at its end `since` moved, the comment count it read noted, and the
        walk on to the next media."""
        media_id, _, count = cur.walk["queue"][0]
        if pending:
            cur.listings["media"][media_id] = reader.ongoing()
        else:
            cur.listings["media"][media_id] = reader.finished(n=count, read=now)
            InstagramGraph._next_media(cur)
        return cur.page(reader.items, reader.raws, more=True)

    @staticmethod
    def _next_media(cur: _Cursor) -> None:
        queue = list(cur.walk["queue"][1:])
        owner = cur.walk.get("owner")
        cur.walk = (
            {"step": "comments", "queue": queue, "owner": owner} if queue else {"step": "tags"}
        )

    def _tags_page(
        self, http: Http, credentials: dict[str, Any], cur: _Cursor, account: str, now: float
    ) -> Page:
        state = cur.state("tags")
        body = self._get(
            http,
            credentials,
            f"{account}/tags",
            {"fields": TAG_FIELDS, "limit": PAGE, "after": cur.walk.get("after")},
        )
        return self._media_listing(body, cur, "tags", state, now)

    def _media_listing(
        self, body: dict[str, Any], cur: _Cursor, key: str, state: dict[str, Any], now: float
    ) -> Page:
        """A page of tagged or hashtag media: the walk goes on while a page has something at or
        after the cut; at its end, the listing's `since` moves and the walk is done."""
        reader = _Reader(state, MEDIA_OVERLAP, cur.walk.get("top"), cur.bad, now)
        for entry in listing_data(self.name, body):
            reader.take(media_item(entry), entry)
        after = next_after(body) if reader.newer else None
        if after:
            cur.listings[key] = reader.ongoing()
            cur.walk = {"step": cur.walk.get("step") or key, "after": after, "top": reader.top}
            return cur.page(reader.items, reader.raws, more=True)
        cur.listings[key] = reader.finished()
        cur.walk = {}
        return cur.page(reader.items, reader.raws, more=False)

    # -- a hashtag ------------------------------------------------------------------------

    def _hashtag_page(
        self,
        http: Http,
        settings: dict[str, Any],
        credentials: dict[str, Any],
        cur: _Cursor,
        account: str,
        now: float,
    ) -> Page:
        name = _hashtag_name(settings)
        tag = cur.listings.get("hashtag") or {}
        if cur.walk.get("step") != "recent":
            cur.walk = {}  # the account's walk, from before the source's settings changed
        if tag.get("name") != name or not tag.get("id"):
            # A new hashtag: its id (static and global), once; its media from the start.
            body = self._get(
                http,
                credentials,
                "ig_hashtag_search",
                {"user_id": account, "q": name},
                hashtag_search=True,
            )
            found = [
                text_id(e.get("id"))
                for e in listing_data(self.name, body)
                if isinstance(e, dict) and text_id(e.get("id"))
            ]
            if not found:
                raise ConnectorError(
                    f"{self.name} has no hashtag #{name} (a hashtag Instagram deems sensitive "
                    "is not found either)."
                )
            cur.listings = {"hashtag": {"name": name, "id": found[0]}}
            cur.walk = {}
            return cur.page([], [], more=True)
        body = self._get(
            http,
            credentials,
            f"{tag['id']}/recent_media",
            {
                "user_id": account,
                "fields": HASHTAG_FIELDS,
                "limit": PAGE,
                "after": cur.walk.get("after"),
            },
        )
        cur.walk["step"] = "recent"
        return self._media_listing(body, cur, "recent", cur.state("recent"), now)

    # -- test connection --------------------------------------------------------------------

    def check(self, *, settings: dict[str, Any], credentials: dict[str, Any], http: Http) -> Check:
        """One request: the account, which needs the token and its permission on the account
        (a hashtag search is not made: each new hashtag counts against 30 a week)."""
        account = str(settings["account_id"]).strip()
        body = self._get(http, credentials, account, {"fields": "id,username,name"})
        username = text_id(body.get("username"))
        if not username:
            return Check(ok=False, message=f"{self.name} answered without the account's username.")
        what = (
            f"media with #{_hashtag_name(settings)} are searched on its behalf"
            if _hashtag_name(settings)
            else "the comments on its media and the media it is tagged in are readable"
        )
        return Check(
            ok=True,
            message=f"{self.name} answered: the account @{username} is readable; {what}.",
            details={"username": username, "name": str(body.get("name") or "")},
        )
