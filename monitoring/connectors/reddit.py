"""Reddit search: new posts matching a query, site-wide or in one subreddit.

Pure, no Django. Authentication is Reddit's application-only OAuth (client credentials: the
script or web app's "client_id" and "client_secret"): `POST /api/v1/access_token` on
www.reddit.com gives a bearer token for a day, and the API lives on oauth.reddit.com.

The token is kept in this worker process's memory (base.Tokens) until a minute before it
expires, never in the cursor. A token Reddit refuses before its time is fetched anew once; a
refused client id or secret is a health error ("set new credentials").

Base URLs: `base_url` is the API root (default https://oauth.reddit.com); `auth_url` is the root
of the token endpoint: https://www.reddit.com with the default API root, otherwise the API root
itself (a test server or a proxy that serves both), or whatever is passed.

Cursor: Reddit lists newest first, with `after` (a fullname) for the older rest, and has no
since-parameter that survives a removed post (`before=` a removed post lists nothing): a pass
is a base.NewestFirst over the posts' creation times, with OVERLAP for the lag of Reddit's
search index, and `after` as the position of the next page.

Removed and deleted posts are deletions (`deleted`: a stored mention is marked, out of the
counts; one never stored is kept marked, its title as its text): when the search lists them,
and, since a post is often removed after it was handed over, when a recheck finds them. The
cursor keeps the posts of the last RECHECK_WITHIN (`recent`, at most RECHECK_KEEP); at the end
of a pass, every RECHECK_EVERY, `GET /api/info` reads the newest 100 of them again.

A listed entry that cannot be a mention (not an object, not a post (t3), a post without its
data or without its creation time, which has no place in the newest-first walk) is an
`Invalid` on the page with the reason, kept out of the walk, which goes on with the rest of the
page. Passes list such an entry again: the cursor's `dead` (base.DeadLetterMemory) has it filed
once. A post without an id or name is filed once by the walk's own `seen`.
"""

from __future__ import annotations

import hashlib
import json
import math
from datetime import UTC, datetime
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
    NewestFirst,
    Page,
    PullConnector,
    Tokens,
    utcnow,
    words,
)
from monitoring.payloads import Invalid

AUTH_URL = "https://www.reddit.com"
LIMIT = 100
OVERLAP = 600.0  # seconds: posts can reach Reddit's search some minutes after they are made
SEEN_KEEP = 2000
GONE = frozenset({"[deleted]", "[removed]"})
RECHECK_EVERY = 1800.0  # seconds
RECHECK_WITHIN = 86_400.0
RECHECK_KEEP = 500
INFO_LIMIT = 100  # fullnames per /api/info request

# Access tokens of this process, by token URL, client id and secret.
_TOKENS = Tokens()


def _when(unix: Any) -> str | Any:
    try:
        return datetime.fromtimestamp(float(unix), tz=UTC).isoformat()
    except (TypeError, ValueError, OverflowError):
        return unix  # left as it came: validation names the field


def search_query(settings: dict[str, Any]) -> str:
    """The source's "query" as written (Reddit's search syntax), or its "keywords" OR-ed."""
    query = str(settings.get("query") or "").strip()
    if query:
        return query
    return " OR ".join(f'"{k}"' if " " in k else k for k in words(settings.get("keywords")))


def _fullname(post: dict[str, Any]) -> str:
    """The post's fullname (t3_...), or empty when Reddit gave neither `name` nor `id`."""
    if post.get("name"):
        return str(post["name"])
    return f"t3_{post['id']}" if post.get("id") else ""


def _name(post: dict[str, Any]) -> str:
    """The key a pass remembers a post by: its fullname; for one without, a digest of it, so
    that it is dead-lettered once, not on every pass."""
    name = _fullname(post)
    if name:
        return name
    return "unnamed:" + hashlib.sha256(json.dumps(post, sort_keys=True).encode()).hexdigest()[:16]


def _gone(post: dict[str, Any]) -> bool:
    """Removed by moderators, Reddit or its author: the listing still has its title, but it is
    no longer there to read."""
    return bool(post.get("removed_by_category")) or post.get("selftext") in GONE


def _absolute(url: str) -> str:
    return f"https://www.reddit.com{url}" if url.startswith("/") else url


def _crossposted_from(post: dict[str, Any]) -> str:
    """The fullname of the post this one crossposts, or empty."""
    parent = post.get("crosspost_parent")
    if isinstance(parent, str) and parent:
        return parent
    parents = post.get("crosspost_parent_list")
    if isinstance(parents, list) and parents and isinstance(parents[0], dict):
        return _fullname(parents[0])
    return ""


def _created(post: dict[str, Any]) -> float | None:
    """The post's created_utc in seconds since the epoch; None when it has none to read."""
    value = post.get("created_utc")
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        moment = float(value)
        datetime.fromtimestamp(moment, tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None
    return moment if math.isfinite(moment) and moment > 0 else None


def _unmappable(child: Any) -> str:
    """Why a listing entry cannot be a mention, in words; empty when it can."""
    if not isinstance(child, dict):
        return "a Reddit listing entry must be an object"
    if child.get("kind") != "t3":
        # type=link lists posts (t3) only
        return f"a Reddit listing entry of kind {str(child.get('kind'))[:20]!r}, not a post (t3)"
    if not isinstance(child.get("data"), dict):
        return "a Reddit post (t3) must have its data as an object"
    if _created(child["data"]) is None:
        # time 0 would end the pass there, as if the floor were reached
        return "a Reddit post (t3) without its creation time (created_utc, in epoch seconds)"
    return ""


def _letter(child: Any) -> tuple[Any, str | None]:
    """What an unmappable entry is remembered by, and where (base.DeadLetterMemory): its
    fullname when it has one, since its score and comment count change between listings."""
    data = child.get("data") if isinstance(child, dict) else None
    name = _fullname(data) if isinstance(data, dict) else ""
    return (name, "fullname") if name else (child, None)


def post_item(post: dict[str, Any]) -> Item:
    """One post (a t3 thing of a listing) in the ingestion shape; a removed or deleted one as
    a deletion."""
    name = _name(post)
    crossposted = _crossposted_from(post)
    title = post.get("title") or ""
    body = post.get("selftext") or ""
    body = "" if body in GONE else body
    author = post.get("author")
    permalink = _absolute(str(post.get("permalink") or ""))
    head = title
    linked = _absolute(str(post.get("url") or ""))
    if not post.get("is_self", True) and linked and linked != permalink:
        # A link post is its title and the link: the text keeps what it points to.
        head = f"{title}\n{linked}"
    item: Item = {
        "external_id": name,
        "posted_at": _when(post.get("created_utc")),
        "text": f"{head}\n\n{body}" if body else head,
        "url": permalink,
        # "[deleted]": the account is gone; no author rather than one named "[deleted]".
        "author": {"handle": author} if author and author not in GONE else None,
        "platform": "reddit",
        # A post opens its own thread; a crosspost is a share of the post it crossposts and
        # joins its thread. Comments would name it as their link_id.
        "thread_id": crossposted or name,
        "likes": max(0, int(post.get("score") or 0)),  # a score can be negative
        "shares": post.get("num_crossposts") or 0,
        "comments": post.get("num_comments") or 0,
    }
    if crossposted:
        item["repost_of"] = crossposted
    if _gone(post):
        item["deleted"] = True
    return item


def _newest(recent: dict[str, float]) -> dict[str, float]:
    if len(recent) <= RECHECK_KEEP:
        return recent
    return dict(sorted(recent.items(), key=lambda kv: kv[1], reverse=True)[:RECHECK_KEEP])


def _present(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v}


class RedditSearch(PullConnector):
    name = "Reddit"
    platform = "reddit"
    credentials_needed = (
        ("client_id", "the Reddit app's client id"),
        ("client_secret", "the Reddit app's secret"),
    )
    default_base_url = "https://oauth.reddit.com"
    interval = 180
    # 100 queries per minute per OAuth client, averaged over 10 minutes; a tenth is left for
    # token requests, which the polling service does not count.
    budget = (900, 600)

    def __init__(self, base_url: str | None = None, *, auth_url: str | None = None) -> None:
        super().__init__(base_url)
        self.auth_url = self.second_host(auth_url, AUTH_URL)

    def missing(self, settings: dict[str, Any], credentials: dict[str, Any]) -> list[str]:
        lacking = super().missing(settings, credentials)
        if not search_query(settings):
            lacking.insert(
                0,
                "setting 'query' (a Reddit search, e.g. \"alpha bakery\" OR alphabakery) "
                "or 'keywords'",
            )
        return lacking

    def _token(
        self, http: Http, credentials: dict[str, Any], *, fresh: bool = False
    ) -> tuple[str, bool]:
        """A bearer token, and whether it was just issued."""
        key = Tokens.key(
            self.auth_url, credentials.get("client_id"), credentials.get("client_secret")
        )
        cached = _TOKENS.get(key)
        if cached and not fresh:
            return cached, False
        response = http.post(
            f"{self.auth_url}/api/v1/access_token",
            auth=(str(credentials.get("client_id")), str(credentials.get("client_secret"))),
            data={"grant_type": "client_credentials"},
        )
        body = http.json(response)
        token = body.get("access_token") if isinstance(body, dict) else None
        if not token:
            # Reddit answers some refusals with a 200 and {"error": ...}.
            why = body.get("error") if isinstance(body, dict) else None
            raise AuthFailed(
                f"Reddit refused the credentials: {why or 'no access token in its answer'}. "
                "Set new credentials on the source."
            )
        try:
            lifetime = float(body.get("expires_in") or 3600)
        except (TypeError, ValueError):
            lifetime = 3600.0
        _TOKENS.put(key, str(token), lifetime - 60)
        return str(token), True

    def _get(
        self, http: Http, credentials: dict[str, Any], path: str, params: dict[str, Any]
    ) -> httpx.Response:
        url = f"{self.base_url}{path}"
        token, fresh = self._token(http, credentials)
        try:
            return http.get(url, params=params, headers={"Authorization": f"bearer {token}"})
        except AuthFailed:
            if fresh:
                raise
        # Revoked or expired before its time: one new token, one more try.
        token, _ = self._token(http, credentials, fresh=True)
        return http.get(url, params=params, headers={"Authorization": f"bearer {token}"})

    def _search(
        self,
        http: Http,
        settings: dict[str, Any],
        credentials: dict[str, Any],
        *,
        limit: int,
        after: str | None = None,
    ) -> tuple[dict[str, Any], httpx.Response]:
        subreddit = str(settings.get("subreddit") or "").strip().removeprefix("r/").strip("/")
        path = f"/r/{quote(subreddit, safe='')}/search" if subreddit else "/search"
        params: dict[str, Any] = {
            "q": search_query(settings),
            "sort": "new",
            "limit": limit,
            "type": "link",
            "raw_json": 1,  # text as written, not HTML-escaped
        }
        if subreddit:
            params["restrict_sr"] = 1
        if after:
            params["after"] = after
        response = self._get(http, credentials, path, params)
        body = http.json(response)
        if not isinstance(body, dict) or body.get("kind") != "Listing":
            raise ConnectorError("Reddit answered with something that is not a listing.")
        return body.get("data") or {}, response

    def fetch(
        self,
        *,
        settings: dict[str, Any],
        credentials: dict[str, Any],
        cursor: dict[str, Any],
        http: Http,
    ) -> Page:
        walk = NewestFirst(cursor, overlap=OVERLAP, keep=SEEN_KEEP)
        listing, response = self._search(
            http, settings, credentials, limit=LIMIT, after=walk.pending.get("after")
        )
        # Items, or an Invalid for an entry that cannot be one: dead-lettered with its reason
        # (once), so the pass moves past it without losing it.
        letters = DeadLetterMemory(cursor)
        items: list[Any] = []
        raws: list[Any] = []
        children = listing.get("children") or []
        posts: list[tuple[dict[str, Any], float]] = []
        for child in children:
            problem = _unmappable(child)
            created = None if problem else _created(child["data"])
            if created is not None:
                posts.append((child["data"], created))
            elif letters.first(*_letter(child)):
                items.append(Invalid(child, problem))
                raws.append(child)
        # Handed over before and removed since: the stored mention is marked.
        for post, _ in posts:
            if _gone(post) and _fullname(post) and _name(post) in walk.seen:
                items.append(post_item(post))
                raws.append({"kind": "t3", "data": post})
        recent: dict[str, float] = dict(cursor.get("recent") or {})
        for post, created in walk.fresh(posts, key=lambda pc: _name(pc[0]), at=lambda pc: pc[1]):
            raw = {"kind": "t3", "data": post}
            if not _fullname(post):
                items.append(Invalid(raw, "a Reddit post without an id or name"))
            else:
                items.append(post_item(post))
                if not _gone(post):
                    recent[_name(post)] = created
            raws.append(raw)
        # A page of dead letters only is still a page listed: the pass goes on below it.
        walk.listed = walk.listed or bool(children)
        kept = {"rechecked": cursor.get("rechecked"), "recent": _newest(recent)}
        after = listing.get("after")
        if not walk.goes_on(after):
            gone, kept = self._recheck(http, credentials, kept)
            for post in gone:
                items.append(post_item(post))
                raws.append({"kind": "t3", "data": post})
            return Page(items=items, raws=raws, cursor=letters.into(walk.cursor() | _present(kept)))
        remaining = response.headers.get("x-ratelimit-remaining", "")
        try:
            spent = float(remaining) < 1
        except ValueError:
            spent = False
        # Reddit says the window is spent: the next poll resumes at `after`.
        return Page(
            items=items,
            raws=raws,
            cursor=letters.into(walk.cursor({"after": after}) | _present(kept)),
            more=not spent,
        )

    def _recheck(
        self, http: Http, credentials: dict[str, Any], kept: dict[str, Any]
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """The recent posts Reddit now says are removed or deleted, and the cursor's part for
        the rechecks, every RECHECK_EVERY (the first time, only its clock starts)."""
        now = utcnow().timestamp()
        recent: dict[str, float] = {
            k: v for k, v in kept["recent"].items() if v >= now - RECHECK_WITHIN
        }
        last = kept.get("rechecked")
        if not recent or last is None or now - float(last) < RECHECK_EVERY:
            return [], {"rechecked": last or now, "recent": recent}
        names = sorted(recent, key=recent.__getitem__, reverse=True)[:INFO_LIMIT]
        response = self._get(http, credentials, "/api/info", {"id": ",".join(names), "raw_json": 1})
        body = http.json(response)
        children = (body.get("data") or {}).get("children") if isinstance(body, dict) else None
        gone = [
            child["data"]
            for child in (children if isinstance(children, list) else [])
            if isinstance(child, dict)
            and isinstance(child.get("data"), dict)
            and _fullname(child["data"]) in recent
            and _gone(child["data"])
        ]
        for post in gone:
            recent.pop(_fullname(post), None)
        return gone, {"rechecked": now, "recent": recent}

    def check(self, *, settings: dict[str, Any], credentials: dict[str, Any], http: Http) -> Check:
        """A new token proves the app's credentials; a search of five the query."""
        self._token(http, credentials, fresh=True)
        listing, response = self._search(http, settings, credentials, limit=5)
        count = len(listing.get("children") or [])
        return Check(
            ok=True,
            message=f"Reddit accepts the app's credentials; the search finds {count} posts on "
            "a first page of 5.",
            details={
                "first_page": count,
                "requests_left_in_window": response.headers.get("x-ratelimit-remaining"),
            },
        )
