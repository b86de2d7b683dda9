"""Bluesky post search (`app.bsky.feed.searchPosts`, sort=latest), with the authors' reach.

Pure, no Django. Without credentials the search goes to the public AppView
(https://public.api.bsky.app). Some hosts refuse anonymous searches; with the credentials
"handle" and "app_password" (an app password, never the account's own) the connector signs in
(`com.atproto.server.createSession` on https://bsky.social) and searches through that server,
which passes app.bsky calls on to the AppView. A configured `base_url` (a proxy, or tests)
serves both.

Sessions: createSession allows 30 sign-ins per 5 minutes and 300 a day per account, fewer than
a poll every two minutes needs, so the access token is kept in this worker process's memory
(base.Tokens) for SESSION_SECONDS (it lives about two hours), never in the cursor. An expired
or refused session signs in again once.

Follower counts are not in search results: one `app.bsky.actor.getProfiles` per 25 authors of
a page adds them (reach matters to detection). Should that fail for a reason other than a rate
limit or refused credentials, the page is stored without them rather than held back.

Cursor: results come newest first with an opaque `cursor` for the older rest: a pass is a
base.NewestFirst over the posts' sort times, with OVERLAP, and the search `cursor` as the
position of the next page. The pass also asks the server for no posts older than its floor
(`since`, kept in `pass`).

A listed post that cannot be a mention (not an object, no `uri`, a record that is not an
object, neither a createdAt nor an indexedAt to read: no place in the newest-first walk) is an
`Invalid` on the page with the reason, kept out of the walk, which goes on with the rest of the
page. The overlap lists such a post again: the cursor's `dead` (base.DeadLetterMemory) has it
filed once.

Text: Bluesky clients shorten a link's text ("example.com/some-lo..."); the full URI is in the
record's link facets (at UTF-8 byte offsets), and a link card in the post's external embed.
The stored text has each link as its URI, then the card's title and URI.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Any

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
    RateLimited,
    Tokens,
    json_or_none,
    platform_message,
)
from monitoring.payloads import Invalid

PDS_URL = "https://bsky.social"
LIMIT = 100
PROFILES_PER_CALL = 25
OVERLAP = 300.0
SEEN_KEEP = 2000
SESSION_SECONDS = 3600.0
SINCE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")

# Sessions of this process, by server, handle and app password.
_SESSIONS = Tokens()
# What the server says in a refusal when a session ended before its time.
SESSION_ENDED = frozenset({"ExpiredToken", "InvalidToken"})


class _SessionEnded(ConnectorError):
    """The server no longer accepts the session: sign in again."""


def _session_ended(response: httpx.Response) -> _SessionEnded | None:
    """An expired session is a 400 whose body says "ExpiredToken", not a 401."""
    body = json_or_none(response)
    code = str(body.get("error") or "") if isinstance(body, dict) else ""
    if response.status_code < 400 or code not in SESSION_ENDED:
        return None
    return _SessionEnded(f"Bluesky ended the session: {platform_message(response)}.")


def _time(value: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def sort_time(post: dict[str, Any]) -> float | None:
    """When the post counts for sort=latest: the earlier of its createdAt and indexedAt (a
    client may set createdAt in the future; the AppView sorts by that earlier time); None when
    it has neither."""
    record = post.get("record")
    created = _time(record.get("createdAt")) if isinstance(record, dict) else None
    times = [t for t in (created, _time(post.get("indexedAt"))) if t is not None]
    return min(times).timestamp() if times else None


def _unmappable(post: Any) -> str:
    """Why a listed post view cannot be a mention, in words; empty when it can."""
    if not isinstance(post, dict) or not post.get("uri"):
        # nor can it be told apart from the next
        return "a Bluesky post view needs an object with a 'uri'"
    if post.get("record") is not None and not isinstance(post["record"], dict):
        return "a Bluesky post view whose record is not an object"
    if sort_time(post) is None:
        # no place in the newest-first walk: time 0 would end it as if the floor were reached
        return "a Bluesky post view without its creation time (record.createdAt or indexedAt)"
    return ""


def _letter(post: Any) -> tuple[Any, str | None]:
    """What an unmappable post is remembered by, and where (base.DeadLetterMemory): its uri
    when it has one, since its counts change between listings."""
    uri = post.get("uri") if isinstance(post, dict) else None
    return (str(uri), "uri") if uri else (post, None)


LINK = "app.bsky.richtext.facet#link"
EXTERNAL_VIEW = "app.bsky.embed.external#view"
WITH_MEDIA_VIEW = "app.bsky.embed.recordWithMedia#view"
EXTERNAL = "app.bsky.embed.external"


def _links(record: dict[str, Any]) -> list[tuple[int, int, str]]:
    """The record's link facets as (byteStart, byteEnd, uri), in order, without overlaps."""
    found = []
    for facet in record.get("facets") or []:
        if not isinstance(facet, dict):
            continue
        index = facet.get("index") or {}
        start, end = index.get("byteStart"), index.get("byteEnd")
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end):
            continue
        for feature in facet.get("features") or []:
            if isinstance(feature, dict) and feature.get("$type") == LINK and feature.get("uri"):
                found.append((start, end, str(feature["uri"])))
                break
    found.sort()
    kept: list[tuple[int, int, str]] = []
    for link in found:
        if not kept or link[0] >= kept[-1][1]:
            kept.append(link)
    return kept


def full_text(record: dict[str, Any]) -> str:
    """The post's text with each link as its full URI: clients shorten a link's text
    ("example.com/some-lo..."), the link facet keeps the URI at UTF-8 byte offsets."""
    text = str(record.get("text") or "")
    links = _links(record)
    if not links:
        return text
    data = text.encode("utf-8")
    out, at = [], 0
    for start, end, uri in links:
        if end > len(data):
            break  # offsets past the text: a client's mistake, the rest is left as written
        out += [data[at:start], uri.encode("utf-8")]
        at = end
    out.append(data[at:])
    return b"".join(out).decode("utf-8", errors="replace")


def _card(post: dict[str, Any]) -> dict[str, Any]:
    """The link card of the post (an external embed, alone or beside a quoted record): the
    AppView's view, or the record's own embed when the view is missing."""
    for embed in (post.get("embed"), (post.get("record") or {}).get("embed")):
        if not isinstance(embed, dict):
            continue
        if embed.get("$type") == WITH_MEDIA_VIEW or "media" in embed:
            embed = embed.get("media") or {}
        if embed.get("$type") in (EXTERNAL_VIEW, EXTERNAL) and isinstance(
            embed.get("external"), dict
        ):
            return dict(embed["external"])
    return {}


def post_text(post: dict[str, Any]) -> str:
    """The full text, then the link card's title and URI (the URI unless the text has it)."""
    text = full_text(post.get("record") or {})
    card = _card(post)
    title = str(card.get("title") or "").strip()
    uri = str(card.get("uri") or "").strip()
    tail = "\n".join(p for p in (title, "" if uri and uri in text else uri) if p)
    return f"{text}\n\n{tail}" if text and tail else text or tail


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
        "text": post_text(post),
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
        self.pds_url = self.second_host(pds_url, PDS_URL)

    def missing(self, settings: dict[str, Any], credentials: dict[str, Any]) -> list[str]:
        lacking = super().missing(settings, credentials)
        if not _query(settings):
            lacking.insert(
                0, "setting 'query' (what to search for, e.g. \"alpha bakery\") or 'hashtag'"
            )
        if bool(credentials.get("handle")) != bool(credentials.get("app_password")):
            lacking.append("credentials 'handle' and 'app_password' together (or neither)")
        return lacking

    def _session(self, http: Http, credentials: dict[str, Any], *, fresh: bool) -> tuple[str, bool]:
        """An access token, and whether it was just issued."""
        key = Tokens.key(self.pds_url, credentials.get("handle"), credentials.get("app_password"))
        cached = _SESSIONS.get(key)
        if cached and not fresh:
            return cached, False
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
        _SESSIONS.put(key, str(token), SESSION_SECONDS)
        return str(token), True

    def _get(
        self, http: Http, credentials: dict[str, Any], method: str, params: Any
    ) -> httpx.Response:
        if not credentials.get("handle"):
            return http.get(
                f"{self.base_url}/xrpc/{method}", params=params, refusal=self._anonymous_refused
            )
        url = f"{self.pds_url}/xrpc/{method}"
        token, fresh = self._session(http, credentials, fresh=False)
        try:
            return http.get(
                url,
                params=params,
                headers={"Authorization": f"Bearer {token}"},
                # a session just issued is not renewed: its refusal is what it says
                refusal=None if fresh else _session_ended,
            )
        except (AuthFailed, _SessionEnded):
            if fresh:
                raise
        # The session ended before its time: sign in again, once.
        token, _ = self._session(http, credentials, fresh=True)
        return http.get(url, params=params, headers={"Authorization": f"Bearer {token}"})

    def _anonymous_refused(self, response: httpx.Response) -> AuthFailed | None:
        """Some hosts refuse anonymous searches: what to set, rather than "new credentials"."""
        status = response.status_code
        if status not in (401, 403):
            return None
        return AuthFailed(
            f"{self.name} refused an anonymous request ({status}): {platform_message(response)}. "
            "Set the credentials 'handle' and 'app_password' (an app password from Bluesky's "
            "settings) on the source.",
            status=status,
        )

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
            profiles = body.get("profiles") if isinstance(body, dict) else None
            for profile in profiles if isinstance(profiles, list) else []:
                # a profile that cannot be read costs its author's reach, not the page
                if not isinstance(profile, dict):
                    continue
                count = profile.get("followersCount")
                if isinstance(count, int) and not isinstance(count, bool):
                    counts[str(profile.get("did"))] = count
        return counts

    def fetch(
        self,
        *,
        settings: dict[str, Any],
        credentials: dict[str, Any],
        cursor: dict[str, Any],
        http: Http,
    ) -> Page:
        walk = NewestFirst(cursor, overlap=OVERLAP, keep=SEEN_KEEP)
        since = walk.pending.get("since")
        if since is None and walk.floor is not None:
            moment = datetime.fromtimestamp(math.floor(walk.floor) - 1, tz=UTC)
            since = moment.strftime(SINCE_FORMAT)
        params: dict[str, Any] = {"q": _query(settings), "sort": "latest", "limit": LIMIT}
        if since:
            params["since"] = since
        if walk.pending.get("cursor"):
            params["cursor"] = walk.pending["cursor"]
        response = self._get(http, credentials, "app.bsky.feed.searchPosts", params)
        body = http.json(response)
        if not isinstance(body, dict) or not isinstance(body.get("posts"), list):
            raise ConnectorError("Bluesky answered with something that is not a search result.")
        letters = DeadLetterMemory(cursor)
        timed: list[tuple[dict[str, Any], float]] = []
        # A post that cannot be a mention is a dead letter with the reason, on the page with
        # the others (once: the overlap lists it again), and stays out of the walk.
        broken: list[Invalid] = []
        for entry in body["posts"]:
            problem = _unmappable(entry)
            at = None if problem else sort_time(entry)
            if at is not None:
                timed.append((entry, at))
            elif letters.first(*_letter(entry)):
                broken.append(Invalid(entry, problem))
        fresh = [
            post
            for post, _ in walk.fresh(timed, key=lambda pt: str(pt[0]["uri"]), at=lambda pt: pt[1])
        ]
        # A page of dead letters only is still a page listed: the pass goes on below it.
        walk.listed = walk.listed or bool(body["posts"])
        dids = sorted({str((p.get("author") or {}).get("did")) for p in fresh} - {"None", ""})
        followers = self._followers(http, credentials, dids) if dids else {}
        items: list[Item | Invalid] = [post_item(p, followers) for p in fresh]
        items += broken
        raws = [*fresh, *(b.value for b in broken)]
        page_cursor = body.get("cursor")
        if not walk.goes_on(page_cursor):
            return Page(items=items, raws=raws, cursor=letters.into(walk.cursor()))
        next_page = {"cursor": page_cursor, "since": since}
        return Page(items=items, raws=raws, cursor=letters.into(walk.cursor(next_page)), more=True)

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
