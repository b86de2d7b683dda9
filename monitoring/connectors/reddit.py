"""Reddit search: new posts matching a query, site-wide or in one subreddit.

Pure, no Django. Authentication is Reddit's application-only OAuth (client credentials: the
script or web app's "client_id" and "client_secret"): `POST /api/v1/access_token` on
www.reddit.com gives a bearer token for a day, and the API lives on oauth.reddit.com.

The token is kept in this worker process's memory until a minute before it expires, keyed by
the credentials (brands never share one), and never in the cursor: the cursor is stored as
plain JSON and the token is a secret. A token Reddit refuses before its time is fetched anew
once; a refused client id or secret is a health error ("set new credentials").

Base URLs: `base_url` is the API root (default https://oauth.reddit.com); `auth_url` is the root
of the token endpoint: https://www.reddit.com with the default API root, otherwise the API root
itself (a test server or a proxy that serves both), or whatever is passed.

Cursor: Reddit lists newest first, with `after` (a fullname) for the older rest, and has no
since-parameter that survives a removed post (`before=` a removed post lists nothing). A pass
pages down from the newest post until it reaches posts created before `mark` (the newest post
time of the last finished pass) less OVERLAP, the lag of Reddit's search index; `seen` keeps the
fullnames of that overlap so nothing is handed over twice. Mid-pass the cursor keeps `pass`: the
`after` of the next page and the pass's newest post time. A restart mid-pass resumes at `after`;
posts created during a pass are newer than its first page and the next pass takes them; only a
finished pass moves `mark`.
"""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx

from monitoring.connectors.base import (
    AuthFailed,
    Check,
    ConnectorError,
    Http,
    Item,
    Page,
    PullConnector,
)

AUTH_URL = "https://www.reddit.com"
LIMIT = 100
OVERLAP = 600.0  # seconds: posts can reach Reddit's search some minutes after they are made
SEEN_KEEP = 2000
GONE = frozenset({"[deleted]", "[removed]"})

# Access tokens of this process: sha256 of (token URL, client id, secret) -> (token, expiry).
_TOKENS: dict[str, tuple[str, float]] = {}


def _when(unix: Any) -> str | Any:
    try:
        return datetime.fromtimestamp(float(unix), tz=UTC).isoformat()
    except (TypeError, ValueError, OverflowError):
        return unix  # left as it came: validation names the field


def _words(value: Any) -> list[str]:
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list | tuple):
        return []
    return [str(v).strip() for v in value if str(v).strip()]


def search_query(settings: dict[str, Any]) -> str:
    """The source's "query" as written (Reddit's search syntax), or its "keywords" OR-ed."""
    query = str(settings.get("query") or "").strip()
    if query:
        return query
    return " OR ".join(f'"{k}"' if " " in k else k for k in _words(settings.get("keywords")))


def post_item(post: dict[str, Any]) -> Item:
    """One post (a t3 thing of a listing) in the ingestion shape."""
    name = post.get("name") or f"t3_{post.get('id')}"
    title = post.get("title") or ""
    body = post.get("selftext") or ""
    body = "" if body in GONE else body
    author = post.get("author")
    permalink = post.get("permalink") or ""
    return {
        "external_id": name,
        "posted_at": _when(post.get("created_utc")),
        "text": f"{title}\n\n{body}" if body else title,
        "url": f"https://www.reddit.com{permalink}" if permalink.startswith("/") else permalink,
        "author": {"handle": author} if author and author not in GONE else None,
        "platform": "reddit",
        # A post opens its own thread; comments would name it as their link_id.
        "thread_id": name,
        "likes": max(0, int(post.get("score") or 0)),  # a score can be negative
        "shares": post.get("num_crossposts") or 0,
        "comments": post.get("num_comments") or 0,
    }


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
        if auth_url:
            self.auth_url = auth_url.rstrip("/")
        elif self.base_url == self.default_base_url:
            self.auth_url = AUTH_URL
        else:
            self.auth_url = self.base_url

    def missing(self, settings: dict[str, Any], credentials: dict[str, Any]) -> list[str]:
        lacking = super().missing(settings, credentials)
        if not search_query(settings):
            lacking.insert(
                0,
                "setting 'query' (a Reddit search, e.g. \"alpha bakery\" OR alphabakery) "
                "or 'keywords'",
            )
        return lacking

    def _key(self, credentials: dict[str, Any]) -> str:
        parts = (self.auth_url, credentials.get("client_id"), credentials.get("client_secret"))
        return hashlib.sha256("\n".join(map(str, parts)).encode()).hexdigest()

    def _token(
        self, http: Http, credentials: dict[str, Any], *, fresh: bool = False
    ) -> tuple[str, bool]:
        """A bearer token, and whether it was just issued."""
        key = self._key(credentials)
        cached = _TOKENS.get(key)
        if cached and not fresh and cached[1] > time.time():
            return cached[0], False
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
        _TOKENS[key] = (str(token), time.time() + lifetime - 60)
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
        mark: float | None = cursor.get("mark")
        seen: dict[str, float] = dict(cursor.get("seen") or {})
        pending: dict[str, Any] = dict(cursor.get("pass") or {})
        listing, response = self._search(
            http, settings, credentials, limit=LIMIT, after=pending.get("after")
        )
        floor = None if mark is None else mark - OVERLAP
        top: float | None = pending.get("top")
        items: list[Item] = []
        raws: list[Any] = []
        reached = False
        posts = [
            c["data"]
            for c in listing.get("children") or []
            if c.get("kind") == "t3" and isinstance(c.get("data"), dict)
        ]
        for post in posts:
            try:
                created = float(post.get("created_utc"))
            except (TypeError, ValueError):
                created = 0.0
            if floor is not None and created < floor:
                reached = True  # what follows was handed over by an earlier pass
                break
            top = created if top is None else max(top, created)
            name = post.get("name") or f"t3_{post.get('id')}"
            if name in seen:
                continue
            seen[name] = created
            items.append(post_item(post))
            raws.append({"kind": "t3", "data": post})
        after = listing.get("after")
        if after and posts and not reached:
            remaining = response.headers.get("x-ratelimit-remaining", "")
            try:
                spent = float(remaining) < 1
            except ValueError:
                spent = False
            next_cursor: dict[str, Any] = {
                "mark": mark,
                "seen": _recent(seen, None),
                "pass": {"after": after, "top": top},
            }
            if mark is None:
                del next_cursor["mark"]
            # Reddit says the window is spent: the next poll resumes at `after`.
            return Page(items=items, raws=raws, cursor=next_cursor, more=not spent)
        marks = [m for m in (mark, top) if m is not None]
        if not marks:
            return Page(items=items, raws=raws, cursor={})
        new_mark = max(marks)
        return Page(
            items=items,
            raws=raws,
            cursor={"mark": new_mark, "seen": _recent(seen, new_mark - OVERLAP)},
        )

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


def _recent(seen: dict[str, float], floor: float | None) -> dict[str, float]:
    """The fullnames worth remembering: created at or after `floor`, at most SEEN_KEEP."""
    kept = [(t, n) for n, t in seen.items() if floor is None or t >= floor]
    kept.sort(reverse=True)
    return {n: t for t, n in kept[:SEEN_KEEP]}
