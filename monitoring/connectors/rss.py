"""RSS and Atom feeds: Google Alerts, news sites, blogs, review-site feeds (feedparser).

A feed has no since-id: the cursor keeps the feed's ETag and Last-Modified (a 304 costs the
site nothing) and the ids of the entries already seen, so an entry is handed over once even
when the feed repeats it for weeks.

An entry's author is its own (`author`, dc:creator); a feed's title names the feed, not who
wrote an entry ("Google Alert - acme" is no author), so an entry without one has none. Google
Alerts links go through Google's redirect (https://www.google.com/url?...&url=<article>): the
article's own URL is stored. An entry with neither an id nor a link is a dead letter (Invalid)
with the reason, not dropped; the feed repeats it as it repeats the others, and the cursor's
`dead` (base.DeadLetterMemory) has it filed once.
"""

from __future__ import annotations

import calendar
import html
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import feedparser

from monitoring.connectors.base import (
    ConnectorError,
    DeadLetterMemory,
    Http,
    Item,
    Page,
    PullConnector,
)
from monitoring.payloads import Invalid

SEEN_KEEP = 1000
_TAGS = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def _plain(value: str) -> str:
    return _SPACE.sub(" ", html.unescape(_TAGS.sub(" ", value or ""))).strip()


def article_url(link: str) -> str:
    """The article behind a Google redirect (google.<tld>/url?...&url=<article>, as Google
    Alerts links are), else the link as it is."""
    parts = urlsplit(link)
    host = (parts.hostname or "").removeprefix("www.")
    if host.startswith("google.") and parts.path == "/url":
        query = parse_qs(parts.query)
        target = (query.get("url") or query.get("q") or [""])[0]
        if urlsplit(target).scheme in ("http", "https"):
            return target
    return link


def _when(entry: Any) -> str | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        # `.keys()`: feedparser's own `in` and `get` map a missing "updated" to "published"
        parsed = entry[key] if key in entry.keys() else None  # noqa: SIM118
        if parsed:
            return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC).isoformat()
    return None


class Rss(PullConnector):
    name = "The feed"
    platform = "news"
    settings_needed = (("url", "the feed's address, http or https"),)
    interval = 600
    budget = (30, 3600)  # one site: a few requests an hour

    def fetch(
        self,
        *,
        settings: dict[str, Any],
        credentials: dict[str, Any],
        cursor: dict[str, Any],
        http: Http,
    ) -> Page:
        url = str(settings.get("url", ""))
        if urlsplit(url).scheme not in ("http", "https"):
            raise ConnectorError(f"'{url}' is not an http(s) feed address.")
        headers = {}
        if cursor.get("etag"):
            headers["If-None-Match"] = cursor["etag"]
        if cursor.get("modified"):
            headers["If-Modified-Since"] = cursor["modified"]
        response = http.get(url, headers=headers)
        if response.status_code == 304:
            return Page(items=[], raws=[], cursor=cursor)
        feed = feedparser.parse(response.content)
        if not feed.entries and (feed.bozo or not feed.version):
            why = feed.get("bozo_exception") or "no RSS or Atom found in it"
            raise ConnectorError(f"{url} is not a readable RSS or Atom feed ({why}).")
        seen = list(cursor.get("seen", []))
        known = set(seen)
        letters = DeadLetterMemory(cursor)
        language = (feed.feed.get("language") or "").split("-")[0].lower()
        items: list[Item | Invalid] = []
        raws: list[Any] = []
        for entry in feed.entries:
            raw = {
                k: entry[k]
                for k in ("id", "link", "title", "summary", "published", "updated", "author")
                if k in entry.keys()  # noqa: SIM118 (see _when)
            }
            external_id = entry.get("id") or entry.get("link")
            if not external_id:
                if letters.first(raw):
                    items.append(Invalid(raw, "a feed entry needs an id or a link"))
                    raws.append(raw)
                continue
            if external_id in known:
                continue  # handed over already: feeds repeat entries for weeks
            known.add(external_id)
            seen.append(external_id)
            author = _plain(entry.get("author") or "")
            title = _plain(entry.get("title", ""))
            summary = _plain(entry.get("summary", ""))
            items.append(
                {
                    "external_id": external_id,
                    "posted_at": _when(entry) or datetime.now(UTC).isoformat(),
                    "text": f"{title}. {summary}" if title and summary else title or summary,
                    "url": article_url(entry.get("link", "")),
                    "author": {"handle": author[:200], "display_name": author[:300]}
                    if author
                    else None,
                    "language": language if re.fullmatch(r"[a-z]{2,3}", language) else "",
                }
            )
            raws.append(raw)
        next_cursor = {
            "etag": response.headers.get("etag", ""),
            "modified": response.headers.get("last-modified", ""),
            "seen": seen[-SEEN_KEEP:],
        }
        return Page(items=items, raws=raws, cursor=letters.into(next_cursor))
