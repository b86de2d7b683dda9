"""Mastodon: a hashtag's timeline, or a full-text search of statuses, on one server.

Pure, no Django. Settings: "instance", the server's address and API root (e.g.
https://mastodon.social), and "hashtag" (`GET /api/v1/timelines/tag/:hashtag`, public on most
servers) or "query" (`GET /api/v2/search?type=statuses`, which needs the credential
"access_token" of an account on that server, and finds only what the server's search index
lets that account find). A configured `base_url` replaces the instance (a proxy, or tests).

Status ids are the server's own and grow with time, so `min_id` (the newest id handed over) is
the whole cursor of a hashtag: each page asks for the 40 statuses just after it, oldest first
(the `rel="prev"` link of Mastodon's Link header), and the page's newest id is the next
`min_id`. A restart resumes at the last stored page; nothing is skipped or repeated.

Search has no Link header and answers newest first: a pass reads pages by `offset` above the
cursor's `min_id`, and only a finished pass moves `min_id` to the pass's newest id (`pass` keeps
the offset and that id meanwhile), so a restart resumes at its offset. The server drops filtered
statuses from a page after its limit, so a short page is not the end: an empty one is.

Either way a new source starts with the newest page (40 statuses), not the server's history.
A 429 carries `X-RateLimit-Reset` as an ISO time, which base.retry_after_seconds reads.

A listed entry that cannot be a mention (not an object, no id, an id that is not a number, so
no place against `min_id`; content that is not text) is an `Invalid` on the page with the
reason, which the polling service files as a dead letter. The cursor's `dead` remembers them
(base.DeadLetterMemory), so one listed again (a search pass reads above `min_id` again, a
server repeats a page) is filed once. Reblogs are left out.
"""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

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
    platform_message,
)
from monitoring.payloads import Invalid

LIMIT = 40  # the most Mastodon gives in one page
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_PARAGRAPH = re.compile(r"</p>\s*<p[^>]*>", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"[ \t\r\f\v]+")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")


def plain_text(content: str) -> str:
    """A status's HTML as text: paragraphs and line breaks kept, links as their words."""
    text = _PARAGRAPH.sub("\n\n", content or "")
    text = _BREAK.sub("\n", text)
    # Mastodon splits a link into spans ("@<span>bob</span>"): tags go without a space.
    text = html.unescape(_TAGS.sub("", text))
    return "\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n")).strip()


def _id(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def status_item(status: dict[str, Any]) -> Item:
    """One status of Mastodon's REST API in the ingestion shape."""
    account = status.get("account")
    account = account if isinstance(account, dict) else {}
    acct = str(account.get("acct") or account.get("username") or "")
    if acct and "@" not in acct:
        # A local account's acct has no domain: the home server is the one in its URL, with
        # its port (a server on another port is another server: user@host:port).
        domain = urlsplit(str(account.get("url") or "")).netloc.rpartition("@")[2].lower()
        acct = f"{acct}@{domain}" if domain else acct
    text = plain_text(status.get("content") or "")
    warning = (status.get("spoiler_text") or "").strip()
    language = str(status.get("language") or "").lower()
    status_id = str(status.get("id") or "")
    parent = str(status.get("in_reply_to_id") or "")
    return {
        "external_id": status_id,
        "posted_at": status.get("created_at"),
        "text": f"{warning}\n\n{text}" if warning else text,
        "url": status.get("url") or status.get("uri") or "",
        "author": {
            "handle": acct,
            "display_name": account.get("display_name") or "",
            "followers": account.get("followers_count"),
        }
        if acct
        else None,
        "language": language if _LANGUAGE.match(language) else "",
        "platform": "mastodon",
        # Mastodon does not say which status opened a conversation, only a reply's parent.
        "thread_id": "" if parent else status_id,
        "parent_id": parent,
        "likes": status.get("favourites_count") or 0,
        "shares": status.get("reblogs_count") or 0,
        "comments": status.get("replies_count") or 0,
    }


class MastodonTimeline(PullConnector):
    name = "Mastodon"
    platform = "mastodon"
    settings_needed = (("instance", "the server's address, e.g. https://mastodon.social"),)
    interval = 120
    # Mastodon's default limit: 300 requests per 5 minutes per account (or per IP without one).
    budget = (300, 300)

    def missing(self, settings: dict[str, Any], credentials: dict[str, Any]) -> list[str]:
        lacking = super().missing(settings, credentials)
        if not _hashtag(settings) and not _query(settings):
            lacking.append("setting 'hashtag' (without #) or 'query' (a full-text search)")
        elif not _hashtag(settings) and not credentials.get("access_token"):
            lacking.append(
                "credential 'access_token' (Mastodon searches statuses only for an account: "
                "a token with the read:search scope)"
            )
        return lacking

    def _root(self, settings: dict[str, Any]) -> str:
        if self.base_url:
            return self.base_url
        instance = str(settings.get("instance") or "").strip().rstrip("/")
        if instance and "://" not in instance:
            instance = f"https://{instance}"
        if urlsplit(instance).scheme not in ("http", "https") or not urlsplit(instance).netloc:
            raise ConnectorError(f"'{instance}' is not a Mastodon server's address.")
        return instance

    def _get(
        self,
        http: Http,
        settings: dict[str, Any],
        credentials: dict[str, Any],
        path: str,
        params: dict[str, Any],
    ) -> httpx.Response:
        token = credentials.get("access_token")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return http.get(
            f"{self._root(settings)}{path}",
            params=params,
            headers=headers,
            refusal=None if token else self._needs_account,
        )

    def _needs_account(self, response: httpx.Response) -> AuthFailed | None:
        """Some servers show hashtags only to signed-in apps (401, or 422 before 4.3)."""
        status = response.status_code
        if status not in (401, 403, 422):
            return None
        return AuthFailed(
            f"{self.name} shows this only to signed-in apps ({status}): "
            f"{platform_message(response)}. Set the credential 'access_token' of an account "
            "on the server.",
            status=status,
        )

    def fetch(
        self,
        *,
        settings: dict[str, Any],
        credentials: dict[str, Any],
        cursor: dict[str, Any],
        http: Http,
    ) -> Page:
        if _hashtag(settings):
            return self._timeline(settings, credentials, cursor, http)
        return self._search(settings, credentials, cursor, http)

    def _timeline(
        self,
        settings: dict[str, Any],
        credentials: dict[str, Any],
        cursor: dict[str, Any],
        http: Http,
    ) -> Page:
        min_id = str(cursor.get("min_id") or "")
        params: dict[str, Any] = {"limit": LIMIT}
        if min_id:
            params["min_id"] = min_id
        path = f"/api/v1/timelines/tag/{quote(_hashtag(settings), safe='')}"
        response = self._get(http, settings, credentials, path, params)
        letters = DeadLetterMemory(cursor)
        statuses, items, raws = _read(_entries(http.json(response)), min_id, letters)
        # The rel="prev" link asks for what is newer than this page: its min_id is the cursor.
        prev = (response.links.get("prev") or {}).get("url") or ""
        linked = (parse_qs(urlsplit(prev).query).get("min_id") or [""])[0]
        newest = max((str(s.get("id")) for s in statuses), key=_id, default="")
        next_min = max((i for i in (min_id, linked, newest) if i), key=_id, default="")
        filed = sum(isinstance(i, Invalid) for i in items)
        return Page(
            items=items,
            raws=raws,
            cursor=letters.into({"min_id": next_min} if next_min else {}),
            # a full page after the cursor: more are waiting (a first poll takes one page)
            more=bool(min_id) and len(statuses) + filed >= LIMIT,
        )

    def _search(
        self,
        settings: dict[str, Any],
        credentials: dict[str, Any],
        cursor: dict[str, Any],
        http: Http,
    ) -> Page:
        min_id = str(cursor.get("min_id") or "")
        pending: dict[str, Any] = dict(cursor.get("pass") or {})
        offset = int(pending.get("offset") or 0)
        params: dict[str, Any] = {
            "q": _query(settings),
            "type": "statuses",
            "limit": LIMIT,
            "resolve": "false",
        }
        if min_id:
            # Servers compare min_id by its second (after:"<time>"): ask from a second
            # earlier and keep only the ids above it.
            params["min_id"] = str(max(0, ((_id(min_id) >> 16) - 1000) << 16))
        if offset:
            params["offset"] = offset
        response = self._get(http, settings, credentials, "/api/v2/search", params)
        body = http.json(response)
        entries = _entries(body.get("statuses") if isinstance(body, dict) else None)
        letters = DeadLetterMemory(cursor)
        statuses, items, raws = _read(entries, min_id, letters)
        top = max(
            (str(i) for i in [pending.get("top"), *(s.get("id") for s in statuses)] if i),
            key=_id,
            default="",
        )
        if not min_id and not pending:
            # A new source starts with the newest page, as a hashtag's does.
            return Page(items=items, raws=raws, cursor=letters.into({"min_id": top} if top else {}))
        if entries:
            next_cursor = {"min_id": min_id, "pass": {"offset": offset + LIMIT, "top": top}}
            return Page(items=items, raws=raws, cursor=letters.into(next_cursor), more=True)
        done = max((i for i in (min_id, top) if i), key=_id, default="")
        return Page(items=items, raws=raws, cursor=letters.into({"min_id": done} if done else {}))

    def check(self, *, settings: dict[str, Any], credentials: dict[str, Any], http: Http) -> Check:
        """With a token: whose it is (verify_credentials); then one page of the source."""
        who = ""
        if credentials.get("access_token"):
            response = self._get(
                http, settings, credentials, "/api/v1/accounts/verify_credentials", {}
            )
            account = http.json(response)
            acct = account.get("acct") if isinstance(account, dict) else None
            who = f" accepts the token of @{acct or '?'} and"
        page = self.fetch(settings=settings, credentials=credentials, cursor={}, http=http)
        server = urlsplit(self._root(settings)).netloc
        return Check(
            ok=True,
            message=f"{self.name} ({server}){who} answered: {len(page.items)} statuses on "
            "the first page.",
            details={"first_page": len(page.items)},
        )


def _hashtag(settings: dict[str, Any]) -> str:
    return str(settings.get("hashtag") or "").strip().lstrip("#")


def _query(settings: dict[str, Any]) -> str:
    return str(settings.get("query") or "").strip()


def _entries(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise ConnectorError("Mastodon answered with something that is not a list of statuses.")
    return value


_JSON_KINDS = {type(None): "null", bool: "true or false", str: "a string", list: "a list"}


def _unmappable(entry: Any) -> str:
    """Why a listed entry cannot be a mention, in words; empty when it can."""
    if not isinstance(entry, dict):
        kind = _JSON_KINDS.get(type(entry), "a number")
        return f"a Mastodon status must be an object, not {kind}"
    status_id = entry.get("id")
    if status_id is None or not str(status_id).strip():
        return "a Mastodon status without an id"
    if _id(status_id) <= 0:
        # min_id compares ids as numbers: one that is not has no place in the cursor.
        return f"a Mastodon status whose id is not a number: {str(status_id)[:40]!r}"
    for key in ("content", "spoiler_text"):
        if entry.get(key) is not None and not isinstance(entry[key], str):
            return f"a Mastodon status whose {key} is not text"
    return ""


def _read(
    entries: list[Any], min_id: str, letters: DeadLetterMemory
) -> tuple[list[dict[str, Any]], list[Item | Invalid], list[Any]]:
    """The listed statuses newer than `min_id`, and the page's items with their raws in the
    order listed: a mention per status (a boost: the boosted status and the boost as a share of
    it), an Invalid per unmappable entry not filed before."""
    statuses: list[dict[str, Any]] = []
    items: list[Item | Invalid] = []
    raws: list[Any] = []
    for entry in entries:
        problem = _unmappable(entry)
        if problem:
            if letters.first(entry):
                items.append(Invalid(entry, problem))
                raws.append(entry)
            continue
        if _id(entry["id"]) <= _id(min_id):
            continue  # handed over already: servers compare min_id by its second
        statuses.append(entry)
        original = entry.get("reblog")
        if isinstance(original, dict) and not _unmappable(original):
            # A boost is a share of the status it boosts, which comes once as its own mention.
            items.extend([status_item(original), boost_item(entry, original)])
            raws.extend([original, entry])
            continue
        items.append(status_item(entry))
        raws.append(entry)
    return statuses, items, raws


def boost_item(boost: dict[str, Any], original: dict[str, Any]) -> Item:
    """A boost (reblog) as a share of the status it boosts: who boosted it and when, the
    original's words, no counts of its own (a boost's counts are the original's)."""
    item = status_item(original)
    own = status_item(boost)
    item.update(
        {
            "external_id": own["external_id"],
            "posted_at": own["posted_at"],
            "url": boost.get("uri") or own["url"],
            "author": own["author"],
            "repost_of": item["external_id"],
            "thread_id": item["thread_id"] or item["external_id"],
            "parent_id": "",
        }
    )
    for count in ("likes", "shares", "comments"):
        item.pop(count, None)
    return item
