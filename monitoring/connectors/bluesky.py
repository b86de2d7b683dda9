"""Bluesky post search (`app.bsky.feed.searchPosts`, sort=latest), with the authors' reach.

Pure, no Django. Without credentials the search goes to the public AppView
(https://public.api.bsky.app). Some hosts refuse anonymous searches; with the credentials
"handle" and "app_password" (an app password, never the account's own) the connector signs in
(`com.atproto.server.createSession` on https://bsky.social) and searches through that server,
which passes app.bsky calls on to the AppView. A configured `base_url` (a proxy, or tests)
serves both.

Sessions: createSession allows 30 sign-ins per 5 minutes and 300 a day per account, fewer than
a poll every two minutes needs, so the access token is kept in this worker process's memory for
SESSION_SECONDS (it lives about two hours), keyed by the credentials, and never in the cursor
(stored as plain JSON). An expired or refused session signs in again once.

Follower counts are not in search results: one `app.bsky.actor.getProfiles` per 25 authors of
a page adds them (reach matters to detection). Should that fail for a reason other than a rate
limit or refused credentials, the page is stored without them rather than held back.

Cursor: results come newest first with an opaque `cursor` for the older rest. A pass pages down
until it reaches posts older than `mark` (the newest post time of the last finished pass) less
OVERLAP, and asks the server for no older ones (`since`); `seen` keeps the uris of the overlap
and of the pass, so a post is handed over once even when new posts shift the pages. Mid-pass the
cursor keeps `pass` (the page cursor, the pass's newest post time and its `since`); a restart
resumes there, and only a finished pass moves `mark`.
"""

from __future__ import annotations

import hashlib
import math
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import httpx

from monitoring.connectors.base import (
    AuthFailed,
    Check,
    ConnectorError,
    Http,
    Item,
    Page,
    PullConnector,
    RateLimited,
    platform_message,
)

PDS_URL = "https://bsky.social"
LIMIT = 100
PROFILES_PER_CALL = 25
OVERLAP = 300.0
SEEN_KEEP = 2000
SESSION_SECONDS = 3600.0
SINCE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")

# Sessions of this process: sha256 of (server, handle, app password) -> (access JWT, expiry).
_SESSIONS: dict[str, tuple[str, float]] = {}


@contextmanager
def _responses(http: Http) -> Iterator[list[httpx.Response]]:
    """The responses `http` receives meanwhile: base.Http raises on a refusal before its caller
    sees the body, and an expired session is a 400 whose body says "ExpiredToken"."""
    seen: list[httpx.Response] = []
    hook = seen.append
    http.client.event_hooks["response"].append(hook)
    try:
        yield seen
    finally:
        http.client.event_hooks["response"].remove(hook)


def _error_code(response: httpx.Response | None) -> str:
    if response is None:
        return ""
    try:
        body = response.json()
    except ValueError:
        return ""
    return str(body.get("error") or "") if isinstance(body, dict) else ""


def _time(value: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def sort_time(post: dict[str, Any]) -> float:
    """When the post counts for sort=latest: the earlier of its createdAt and indexedAt (a
    client may set createdAt in the future; the AppView sorts by that earlier time)."""
    times = [
        t
        for t in (_time((post.get("record") or {}).get("createdAt")), _time(post.get("indexedAt")))
        if t is not None
    ]
    return min(times).timestamp() if times else 0.0


def post_item(post: dict[str, Any], followers: dict[str, int]) -> Item:
    """One post view of searchPosts in the ingestion shape; `followers` by author DID."""
    record = post.get("record") or {}
    author = post.get("author") or {}
    uri = str(post.get("uri") or "")
    did = str(author.get("did") or "")
    handle = author.get("handle") if author.get("handle") != "handle.invalid" else None
    created = _time(record.get("createdAt"))
    reply = record.get("reply") or {}
    langs = record.get("langs") or []
    language = str(langs[0]).lower() if langs else ""
    return {
        "external_id": uri,
        "posted_at": record.get("createdAt") if created else post.get("indexedAt"),
        "text": record.get("text") or "",
        "url": f"https://bsky.app/profile/{handle or did}/post/{uri.rsplit('/', 1)[-1]}",
        "author": {
            "handle": handle or did,
            "display_name": author.get("displayName") or "",
            "followers": followers.get(did),
        }
        if handle or did
        else None,
        "language": language if _LANGUAGE.match(language) else "",
        "platform": "bluesky",
        "thread_id": (reply.get("root") or {}).get("uri") or uri,
        "parent_id": (reply.get("parent") or {}).get("uri") or "",
        "likes": post.get("likeCount") or 0,
        "shares": (post.get("repostCount") or 0) + (post.get("quoteCount") or 0),
        "comments": post.get("replyCount") or 0,
    }


class BlueskySearch(PullConnector):
    name = "Bluesky"
    platform = "bluesky"
    default_base_url = "https://public.api.bsky.app"
    interval = 120
    # 3000 requests per 5 minutes (per IP at the AppView, per account through a server); a
    # poll's page costs up to five (the search and four getProfiles).
    budget = (600, 300)

    def __init__(self, base_url: str | None = None, *, pds_url: str | None = None) -> None:
        super().__init__(base_url)
        if pds_url:
            self.pds_url = pds_url.rstrip("/")
        elif self.base_url == self.default_base_url:
            self.pds_url = PDS_URL
        else:
            self.pds_url = self.base_url

    def missing(self, settings: dict[str, Any], credentials: dict[str, Any]) -> list[str]:
        lacking = super().missing(settings, credentials)
        if not _query(settings):
            lacking.insert(
                0, "setting 'query' (what to search for, e.g. \"alpha bakery\") or 'hashtag'"
            )
        if bool(credentials.get("handle")) != bool(credentials.get("app_password")):
            lacking.append("credentials 'handle' and 'app_password' together (or neither)")
        return lacking

    def _key(self, credentials: dict[str, Any]) -> str:
        parts = (self.pds_url, credentials.get("handle"), credentials.get("app_password"))
        return hashlib.sha256("\n".join(map(str, parts)).encode()).hexdigest()

    def _session(self, http: Http, credentials: dict[str, Any], *, fresh: bool) -> tuple[str, bool]:
        """An access token, and whether it was just issued."""
        key = self._key(credentials)
        cached = _SESSIONS.get(key)
        if cached and not fresh and cached[1] > time.time():
            return cached[0], False
        response = http.post(
            f"{self.pds_url}/xrpc/com.atproto.server.createSession",
            json={
                "identifier": str(credentials["handle"]).lstrip("@"),
                "password": credentials["app_password"],
            },
        )
        body = http.json(response)
        token = body.get("accessJwt") if isinstance(body, dict) else None
        if not token:
            raise AuthFailed(
                "Bluesky signed in but gave no session. Set new credentials on the source."
            )
        _SESSIONS[key] = (str(token), time.time() + SESSION_SECONDS)
        return str(token), True

    def _get(
        self, http: Http, credentials: dict[str, Any], method: str, params: Any
    ) -> httpx.Response:
        if not credentials.get("handle"):
            with _responses(http) as seen:
                try:
                    return http.get(f"{self.base_url}/xrpc/{method}", params=params)
                except AuthFailed as exc:
                    words = platform_message(seen[-1]) if seen else exc.message
                    raise AuthFailed(
                        f"{self.name} refused an anonymous request ({exc.status}): {words}. "
                        "Set the credentials 'handle' and 'app_password' (an app password "
                        "from Bluesky's settings) on the source.",
                        status=exc.status,
                    ) from exc
        url = f"{self.pds_url}/xrpc/{method}"
        token, fresh = self._session(http, credentials, fresh=False)
        with _responses(http) as seen:
            try:
                return http.get(url, params=params, headers={"Authorization": f"Bearer {token}"})
            except ConnectorError as exc:
                code = _error_code(seen[-1] if seen else None)
                expired = isinstance(exc, AuthFailed) or code in ("ExpiredToken", "InvalidToken")
                if fresh or not expired:
                    raise
        # The session ended before its time: sign in again, once.
        token, _ = self._session(http, credentials, fresh=True)
        return http.get(url, params=params, headers={"Authorization": f"Bearer {token}"})

    def _followers(
        self, http: Http, credentials: dict[str, Any], dids: list[str]
    ) -> dict[str, int]:
        counts: dict[str, int] = {}
        for start in range(0, len(dids), PROFILES_PER_CALL):
            chunk = dids[start : start + PROFILES_PER_CALL]
            try:
                response = self._get(
                    http,
                    credentials,
                    "app.bsky.actor.getProfiles",
                    [("actors", did) for did in chunk],
                )
            except (RateLimited, AuthFailed):
                raise
            except ConnectorError:
                return counts  # reach is worth a request, not the page
            body = http.json(response)
            for profile in (body or {}).get("profiles") or []:
                if isinstance(profile.get("followersCount"), int):
                    counts[str(profile.get("did"))] = profile["followersCount"]
        return counts

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
        floor = None if mark is None else mark - OVERLAP
        since = pending.get("since")
        if since is None and floor is not None:
            since = datetime.fromtimestamp(math.floor(floor) - 1, tz=UTC).strftime(SINCE_FORMAT)
        params: dict[str, Any] = {"q": _query(settings), "sort": "latest", "limit": LIMIT}
        if since:
            params["since"] = since
        if pending.get("cursor"):
            params["cursor"] = pending["cursor"]
        response = self._get(http, credentials, "app.bsky.feed.searchPosts", params)
        body = http.json(response)
        if not isinstance(body, dict) or not isinstance(body.get("posts"), list):
            raise ConnectorError("Bluesky answered with something that is not a search result.")
        posts = [p for p in body["posts"] if isinstance(p, dict) and p.get("uri")]
        top: float | None = pending.get("top")
        fresh: list[dict[str, Any]] = []
        reached = False
        for post in posts:
            moment = sort_time(post)
            if floor is not None and moment < floor:
                reached = True  # what follows was handed over by an earlier pass
                break
            top = moment if top is None else max(top, moment)
            if post["uri"] in seen:
                continue
            seen[post["uri"]] = moment
            fresh.append(post)
        dids = sorted({str((p.get("author") or {}).get("did")) for p in fresh} - {"None", ""})
        followers = self._followers(http, credentials, dids) if dids else {}
        items = [post_item(p, followers) for p in fresh]
        page_cursor = body.get("cursor")
        if page_cursor and posts and not reached:
            next_pass = {"cursor": page_cursor, "top": top, "since": since}
            next_cursor: dict[str, Any] = {
                "mark": mark,
                "seen": _recent(seen, None),
                "pass": {k: v for k, v in next_pass.items() if v is not None},
            }
            if mark is None:
                del next_cursor["mark"]
            return Page(items=items, raws=fresh, cursor=next_cursor, more=True)
        marks = [m for m in (mark, top) if m is not None]
        if not marks:
            return Page(items=items, raws=fresh, cursor={})
        new_mark = max(marks)
        return Page(
            items=items,
            raws=fresh,
            cursor={"mark": new_mark, "seen": _recent(seen, new_mark - OVERLAP)},
        )

    def check(self, *, settings: dict[str, Any], credentials: dict[str, Any], http: Http) -> Check:
        """Signing in proves the handle and app password; then a search of one post."""
        who = ""
        if credentials.get("handle"):
            self._session(http, credentials, fresh=True)
            who = f" accepts @{str(credentials['handle']).lstrip('@')}'s app password and"
        response = self._get(
            http,
            credentials,
            "app.bsky.feed.searchPosts",
            {"q": _query(settings), "sort": "latest", "limit": 1},
        )
        posts = (http.json(response) or {}).get("posts") or []
        return Check(
            ok=True,
            message=f"{self.name}{who} answers the search"
            + (" (the newest post found is there)." if posts else " (no posts found yet)."),
            details={"first_page": len(posts)},
        )


def _query(settings: dict[str, Any]) -> str:
    query = str(settings.get("query") or "").strip()
    hashtag = str(settings.get("hashtag") or "").strip().lstrip("#")
    return query or (f"#{hashtag}" if hashtag else "")


def _recent(seen: dict[str, float], floor: float | None) -> dict[str, float]:
    """The uris worth remembering: posted at or after `floor`, at most SEEN_KEEP."""
    kept = [(t, u) for u, t in seen.items() if floor is None or t >= floor]
    kept.sort(reverse=True)
    return {u: t for t, u in kept[:SEEN_KEEP]}
