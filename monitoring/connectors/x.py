"""X API v2 recent search: the posts of the last seven days that match a query.

Pure, no Django. Authentication is the app's OAuth 2.0 bearer token (credential "bearer_token").

X answers newest first, 10-100 posts a page, and a `next_token` while older posts are left. One
pass pages down from the newest post to the cursor's `since_id`; only when the pass is done does
`since_id` move up to the pass's newest id (its first page's `meta.newest_id`). Mid-pass the
cursor keeps `pass`: the token of the next page, the pass's newest id and the oldest id stored
so far. So:

- a restart mid-pass resumes with the token: the pages below, nothing twice, nothing skipped;
- posts published during a pass are newer than its newest id: the next pass takes them;
- a token X no longer accepts (they expire) continues the pass below its oldest stored post
  with `until_id`, and a `since_id` older than X's seven days (a source paused for a week) is
  dropped: X names the refused parameter in its 400, so neither leaves a source stuck.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import httpx

from monitoring.connectors.base import (
    Check,
    ConnectorError,
    Http,
    Item,
    Page,
    PullConnector,
    json_or_none,
    platform_message,
    words,
)
from monitoring.payloads import Invalid

logger = logging.getLogger(__name__)

TWEET_FIELDS = (
    "created_at,lang,conversation_id,in_reply_to_user_id,referenced_tweets,public_metrics,"
    "author_id,note_tweet"
)
USER_FIELDS = "username,name,public_metrics"
MAX_RESULTS = 100
# Language codes X uses for "none": undetermined, media or a card only (zxx), mentions (qam),
# cashtags (qct), hashtags (qht) or media links (qme) only, text too short to tell (qst); "art"
# is in X's list too. None of them is a language.
NO_LANGUAGE = frozenset({"und", "zxx", "qam", "qct", "qht", "qme", "qst", "art"})
# The withdrawn ISO 639-1 codes X still uses (its own language list: "in" Indonesian, "iw"
# Hebrew), as their ISO codes today.
OLD_ISO = {"in": "id", "iw": "he", "ji": "yi"}
# The source's own query already says what to do with retweets (is:retweet or -is:retweet).
SAYS_RETWEET = re.compile(r"(?<![\w:])-?is:retweet(?![\w:])", re.IGNORECASE)


class _Refused(ConnectorError):
    """X refused parameters of the request (400); `parameters` are the ones it named."""

    def __init__(self, message: str, parameters: set[str]) -> None:
        super().__init__(message, status=400)
        self.parameters = parameters


def _refused(response: httpx.Response) -> _Refused | None:
    """A 400 with the parameters X names in its `errors`, so that a pass can go on without a
    token or since_id X no longer accepts."""
    if response.status_code != 400:
        return None
    body = json_or_none(response)
    errors = body.get("errors") if isinstance(body, dict) else None
    parameters = {
        name for e in errors or [] if isinstance(e, dict) for name in e.get("parameters") or {}
    }
    return _Refused(f"X refused the search (400): {platform_message(response)}", parameters)


def search_query(settings: dict[str, Any]) -> str:
    """The source's "query" (X's search syntax), or one built from its "keywords" and "hashtag"
    settings (lists, or comma-separated), leaving retweets out: each would be a copy of a post
    whose spread `shares` counts already. A written query that says nothing of retweets gets
    `-is:retweet` too, around its ORs (X applies AND before OR)."""
    query = str(settings.get("query") or "").strip()
    if query:
        if SAYS_RETWEET.search(query):
            return query
        return f"({query}) -is:retweet" if re.search(r"\bOR\b", query) else f"{query} -is:retweet"
    terms = [f'"{k}"' if " " in k else k for k in words(settings.get("keywords"))]
    terms += [f"#{h.lstrip('#')}" for h in words(settings.get("hashtag"))]
    if not terms:
        return ""
    either = terms[0] if len(terms) == 1 else f"({' OR '.join(terms)})"
    return f"{either} -is:retweet"


def _newer(a: str | None, b: str | None) -> str | None:
    """The newer of two post ids (numbers as strings)."""
    if not a or not b:
        return a or b
    return a if int(a) > int(b) else b


def _language(value: Any) -> str:
    code = str(value or "").strip().lower()
    if code in NO_LANGUAGE:
        return ""
    main, dash, rest = code.partition("-")
    return OLD_ISO.get(main, main) + dash + rest


def is_retweet(tweet: dict[str, Any]) -> bool:
    return any(
        isinstance(ref, dict) and ref.get("type") == "retweeted"
        for ref in tweet.get("referenced_tweets") or []
    )


def tweet_item(tweet: dict[str, Any], user: dict[str, Any] | None) -> Item:
    """One post of X API v2, with its expanded author, in the ingestion shape."""
    user = user or {}
    metrics = tweet.get("public_metrics") or {}
    post_id = str(tweet.get("id") or "")
    username = user.get("username")
    parent = next(
        (
            str(ref.get("id"))
            for ref in tweet.get("referenced_tweets") or []
            if ref.get("type") == "replied_to"
        ),
        "",
    )
    item: Item = {
        "external_id": post_id,
        "posted_at": tweet.get("created_at"),
        # A post longer than 280 characters comes whole only in note_tweet.
        "text": (tweet.get("note_tweet") or {}).get("text") or tweet.get("text") or "",
        "url": f"https://x.com/{username or 'i/web'}/status/{post_id}",
        "author": {
            "handle": username,
            "display_name": user.get("name") or "",
            "followers": (user.get("public_metrics") or {}).get("followers_count"),
        }
        if username
        else None,
        "language": _language(tweet.get("lang")),
        "platform": "x",
        "thread_id": str(tweet.get("conversation_id") or ""),
        "parent_id": parent,
        "likes": metrics.get("like_count", 0),
        "shares": metrics.get("retweet_count", 0) + metrics.get("quote_count", 0),
        "comments": metrics.get("reply_count", 0),
    }
    # X gives no impression_count for some posts (older ones, some access levels): unknown,
    # not 0 views.
    if metrics.get("impression_count") is not None:
        item["views"] = metrics["impression_count"]
    return item


class XRecentSearch(PullConnector):
    name = "X"
    platform = "x"
    credentials_needed = (("bearer_token", "the X app's OAuth 2.0 bearer token"),)
    default_base_url = "https://api.x.com"
    interval = 120
    # Recent search with an app's bearer token: 450 requests per 15 minutes on Pro (Basic
    # allows 60): the 429s and x-rate-limit-remaining stop a poll before that.
    budget = (450, 900)

    def missing(self, settings: dict[str, Any], credentials: dict[str, Any]) -> list[str]:
        lacking = super().missing(settings, credentials)
        if not search_query(settings):
            lacking.insert(
                0,
                "setting 'query' (an X search query, e.g. \"bakkerij alpha\" lang:nl), "
                "or 'keywords' or 'hashtag'",
            )
        return lacking

    def _get(
        self, http: Http, credentials: dict[str, Any], params: dict[str, Any]
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {credentials.get('bearer_token', '')}"}
        return http.get(
            f"{self.base_url}/2/tweets/search/recent",
            params=params,
            headers=headers,
            refusal=_refused,
        )

    def _params(self, settings: dict[str, Any], max_results: int) -> dict[str, Any]:
        return {
            "query": search_query(settings),
            "max_results": max_results,
            "tweet.fields": TWEET_FIELDS,
            "expansions": "author_id",
            "user.fields": USER_FIELDS,
        }

    def fetch(
        self,
        *,
        settings: dict[str, Any],
        credentials: dict[str, Any],
        cursor: dict[str, Any],
        http: Http,
    ) -> Page:
        since_id: str | None = cursor.get("since_id") or None
        pending: dict[str, Any] = dict(cursor.get("pass") or {})
        try:
            max_results = min(max(int(settings.get("max_results") or MAX_RESULTS), 10), 100)
        except (TypeError, ValueError):
            max_results = MAX_RESULTS
        # At most two retries: a refused token, then a refused since_id.
        for _attempt in range(3):
            params = self._params(settings, max_results)
            position = {
                "since_id": since_id,
                "until_id": pending.get("until_id"),
                "next_token": pending.get("next_token"),
            }
            params.update({k: v for k, v in position.items() if v})
            try:
                response = self._get(http, credentials, params)
                break
            except _Refused as exc:
                refused = exc.parameters & {k for k, v in position.items() if v}
                if not refused:
                    raise
                if "until_id" in refused:
                    # The rest of the pass is older than X keeps: nothing more to fetch.
                    return Page(items=[], raws=[], cursor=_done(since_id, pending))
                if "since_id" in refused:
                    since_id = None
                # Below the oldest post stored in this pass; without it, from the newest.
                pending.pop("next_token", None)
                if pending.get("oldest_id"):
                    pending["until_id"] = pending["oldest_id"]
        else:  # pragma: no cover - X refusing the same cursor three times
            raise ConnectorError("X keeps refusing the source's position; edit the source.")

        body = http.json(response)
        if not isinstance(body, dict):
            raise ConnectorError("X answered with something that is not a search result.")
        if "data" not in body and "meta" not in body and body.get("errors"):
            raise ConnectorError(f"X could not search: {platform_message(response)}")
        users = {
            u.get("id"): u
            for u in (body.get("includes") or {}).get("users") or []
            if isinstance(u, dict)
        }
        # Items, or an Invalid for a post that cannot be one: dead-lettered with its reason,
        # so the cursor moves past it without losing it.
        items: list[Any] = []
        raws: list[Any] = []
        retweets = 0
        for tweet in body.get("data") or []:
            if not isinstance(tweet, dict):
                items.append(Invalid(tweet, "an X post must be an object"))
                raws.append({"data": tweet})
                continue
            if is_retweet(tweet):
                # Left out on purpose, even when the source's own query asks for them (the
                # query sent says -is:retweet otherwise): a repost is not a new voice, its text
                # is cut and its counts are the original's; the original's `shares` counts it.
                retweets += 1
                continue
            user = users.get(tweet.get("author_id"))
            raw = {"data": tweet, "includes": {"users": [user]}} if user else {"data": tweet}
            raws.append(raw)
            if not str(tweet.get("id") or "").strip():
                items.append(Invalid(raw, "an X post without an id"))
            else:
                items.append(tweet_item(tweet, user))
        if retweets:
            logger.info("x: %d retweets left out of a page", retweets)
        meta = body.get("meta") or {}
        token = meta.get("next_token")
        if not token:
            return Page(items=items, raws=raws, cursor=_done(since_id, pending, meta))
        next_pass = {
            "next_token": token,
            "newest_id": pending.get("newest_id") or meta.get("newest_id"),
            "oldest_id": meta.get("oldest_id") or pending.get("oldest_id"),
            "until_id": pending.get("until_id"),
        }
        next_cursor = {"since_id": since_id, "pass": {k: v for k, v in next_pass.items() if v}}
        # X says the window is spent: stop here, the next poll resumes with the token.
        spent = response.headers.get("x-rate-limit-remaining") == "0"
        return Page(
            items=items,
            raws=raws,
            cursor={k: v for k, v in next_cursor.items() if v},
            more=not spent,
        )

    def check(self, *, settings: dict[str, Any], credentials: dict[str, Any], http: Http) -> Check:
        """An app's bearer token has no identity to ask about (GET /2/users/me needs a user
        token): one search of ten posts proves the token, the plan's access and the query."""
        response = self._get(http, credentials, self._params(settings, 10))
        body = http.json(response)
        count = int(((body or {}).get("meta") or {}).get("result_count") or 0)
        details: dict[str, Any] = {"first_page": count}
        remaining = response.headers.get("x-rate-limit-remaining")
        if remaining is not None and remaining.isdigit():
            details["requests_left_in_window"] = int(remaining)
        return Check(
            ok=True,
            message=f"X accepts the bearer token; the query finds {count} posts on a first "
            "page of 10 from the last seven days.",
            details=details,
        )


def _done(
    since_id: str | None, pending: dict[str, Any], meta: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The cursor after a finished pass: what is newer than its newest post comes next."""
    newest = pending.get("newest_id") or (meta or {}).get("newest_id")
    since = _newer(since_id, newest)
    return {"since_id": since} if since else {}
