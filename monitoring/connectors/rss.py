"""RSS and Atom feeds: Google Alerts, news sites, blogs, review-site feeds (feedparser).

A feed has no since-id: the cursor keeps the feed's ETag and Last-Modified (a 304 costs the
site nothing) and the ids of the entries already seen, so an entry is handed over once even
when the feed repeats it for weeks.
"""

from __future__ import annotations

import calendar
import html
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import feedparser

from monitoring.connectors.base import ConnectorError, Http, Item, Page, PullConnector

SEEN_KEEP = 1000
_TAGS = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def _plain(value: str) -> str:
    return _SPACE.sub(" ", html.unescape(_TAGS.sub(" ", value or ""))).strip()


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
        language = (feed.feed.get("language") or "").split("-")[0].lower()
        site = urlsplit(url).netloc
        items: list[Item] = []
        raws: list[Any] = []
        for entry in feed.entries:
            external_id = entry.get("id") or entry.get("link")
            if not external_id or external_id in known:
                continue
            known.add(external_id)
            seen.append(external_id)
            author = entry.get("author") or feed.feed.get("title") or site
            title = _plain(entry.get("title", ""))
            summary = _plain(entry.get("summary", ""))
            items.append(
                {
                    "external_id": external_id,
                    "posted_at": _when(entry) or datetime.now(UTC).isoformat(),
                    "text": f"{title}. {summary}" if title and summary else title or summary,
                    "url": entry.get("link", ""),
                    "author": {"handle": author[:200], "display_name": author[:300]},
                    "language": language if re.fullmatch(r"[a-z]{2,3}", language) else "",
                }
            )
            raws.append(
                {
                    k: entry[k]
                    for k in ("id", "link", "title", "summary", "published", "updated", "author")
                    if k in entry.keys()  # noqa: SIM118 (see _when)
                }
            )
        next_cursor = {
            "etag": response.headers.get("etag", ""),
            "modified": response.headers.get("last-modified", ""),
            "seen": seen[-SEEN_KEEP:],
        }
        return Page(items=items, raws=raws, cursor=next_cursor)
