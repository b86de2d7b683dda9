"""X API v2 recent search: the posts of the last seven days that match a query.

Pure, no Django. Authentication is the app's OAuth 2.0 bearer token (credential "bearer_token").

Retweets are shares of the original (`repost_of`): the retweet gives who shared it, when and to
how many followers; its text is the original's, whole (from the expanded `includes.tweets`; the
retweet's own is cut at 140 characters), and it has no counts of its own (a retweet's
public_metrics are the original's). The original comes as a mention of its own, once, with its
counts. A source that does not want retweets (they can be most of a query's posts, and every
post read counts against the X plan's monthly cap) sets "retweets": false, which sends
`-is:retweet`.

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

A listed post that cannot be a mention (not an object, no id) is an `Invalid` on the page with
the reason. X rarely lists a post twice, but a pass continued with `until_id` or restarted
without `since_id` does: the cursor's `dead` (base.DeadLetterMemory) has such a post filed once.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from monitoring.connectors.base import (
    Check,
    ConnectorError,
    DeadLetterMemory,
    Http,
    Item,
    Page,
    PullConnector,
    json_or_none,
    platform_message,
    words,
)
from monitoring.payloads import Invalid

TWEET_FIELDS = (
    "created_at,lang,conversation_id,in_reply_to_user_id,referenced_tweets,public_metrics,"
    "author_id,note_tweet,entities"
)
USER_FIELDS = "username,name,public_metrics"
EXPANSIONS = "author_id,referenced_tweets.id,referenced_tweets.id.author_id"
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


def _wants_retweets(settings: dict[str, Any]) -> bool:
    value = settings.get("retweets", True)
    return str(value).strip().lower() not in {"false", "0", "no", "off"}


def search_query(settings: dict[str, Any]) -> str:
    """The source's "query" (X's search syntax), or one built from its "keywords" and "hashtag"
    settings (lists, or comma-separated). With "retweets": false, a query that says nothing of
    retweets gets `-is:retweet`, around its ORs (X applies AND before OR)."""
    query = str(settings.get("query") or "").strip()
    if not query:
        terms = [f'"{k}"' if " " in k else k for k in words(settings.get("keywords"))]
        terms += [f"#{h.lstrip('#')}" for h in words(settings.get("hashtag"))]
        if not terms:
            return ""
        query = terms[0] if len(terms) == 1 else f"({' OR '.join(terms)})"
        if _wants_retweets(settings):
            return query
        return f"{query} -is:retweet"
    if _wants_retweets(settings) or SAYS_RETWEET.search(query):
        return query
    return f"({query}) -is:retweet" if re.search(r"\bOR\b", query) else f"{query} -is:retweet"


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


def retweeted_id(tweet: dict[str, Any]) -> str:
    """The id of the post this one retweets; empty when it is no retweet."""
    refs = tweet.get("referenced_tweets")
    for ref in refs if isinstance(refs, list) else []:
        if isinstance(ref, dict) and ref.get("type") == "retweeted" and ref.get("id"):
            return str(ref["id"])
    return ""


def retweet_item(
    tweet: dict[str, Any], user: dict[str, Any] | None, original: dict[str, Any] | None
) -> Item:
    """A retweet as a share of its original: who shared it and when, the original's whole text
    (the retweet's own when X did not expand the original: deleted or protected), no counts."""
    item = tweet_item(original or tweet, user)
    post_id = str(tweet.get("id") or "")
    item.update(
        {
            "external_id": post_id,
            "posted_at": tweet.get("created_at"),
            "url": f"https://x.com/{(user or {}).get('username') or 'i/web'}/status/{post_id}",
            "parent_id": "",
            "repost_of": retweeted_id(tweet),
        }
    )
    if original is not None:
        item["thread_id"] = str(original.get("conversation_id") or item["repost_of"])
    else:
        item["thread_id"] = item["repost_of"]
        item["language"] = _language(tweet.get("lang"))
    for count in ("likes", "shares", "comments", "views"):
        item.pop(count, None)
    return item


def _text(tweet: dict[str, Any]) -> str:
    """The post's whole text (a post longer than 280 characters comes whole only in
    note_tweet), its t.co links replaced by the addresses they lead to."""
    note = tweet.get("note_tweet")
    note = note if isinstance(note, dict) else {}
    text, entities = (note, note) if note.get("text") else (tweet, tweet)
    words = str(text.get("text") or "")
    urls = (entities.get("entities") or {}).get("urls") if isinstance(entities, dict) else None
    for link in urls if isinstance(urls, list) else []:
        if not isinstance(link, dict) or not isinstance(link.get("url"), str):
            continue
        target = link.get("unwound_url") or link.get("expanded_url")
        if isinstance(target, str) and target.startswith(("http://", "https://")):
            words = words.replace(link["url"], target)
    return words


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
        "text": _text(tweet),
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
            "expansions": EXPANSIONS,
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
        letters = DeadLetterMemory(cursor)
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
                    return Page(items=[], raws=[], cursor=letters.into(_done(since_id, pending)))
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
        expanded = {
            str(t.get("id")): t
            for t in (body.get("includes") or {}).get("tweets") or []
            if isinstance(t, dict) and t.get("id")
        }
        items, raws = _once(letters, *_page_items(body.get("data") or [], users, expanded))
        meta = body.get("meta") or {}
        token = meta.get("next_token")
        if not token:
            return Page(items=items, raws=raws, cursor=letters.into(_done(since_id, pending, meta)))
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
            cursor=letters.into({k: v for k, v in next_cursor.items() if v}),
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


def _raw(tweet: Any, user: dict[str, Any] | None, **more: Any) -> dict[str, Any]:
    """The post as X sent it, with the expansions it was read with."""
    includes = {"users": [user]} if user else {}
    includes.update(more)
    return {"data": tweet, "includes": includes} if includes else {"data": tweet}


def _page_items(
    tweets: list[Any], users: dict[Any, dict[str, Any]], expanded: dict[str, dict[str, Any]]
) -> tuple[list[Any], list[Any]]:
    """A page's posts as items, or an Invalid for a post that cannot be one (dead-lettered with
    its reason, so the cursor moves past it without losing it); each retweet's original once,
    before the first retweet of it, when X expanded it."""
    items: list[Any] = []
    raws: list[Any] = []
    on_page = {str(t.get("id")) for t in tweets if isinstance(t, dict)}
    for tweet in tweets:
        if not isinstance(tweet, dict):
            items.append(Invalid(tweet, "an X post must be an object"))
            raws.append({"data": tweet})
            continue
        user = users.get(tweet.get("author_id"))
        if not str(tweet.get("id") or "").strip():
            raw = _raw(tweet, user)
            items.append(Invalid(raw, "an X post without an id"))
            raws.append(raw)
            continue
        original_id = retweeted_id(tweet)
        if not original_id:
            items.append(tweet_item(tweet, user))
            raws.append(_raw(tweet, user))
            continue
        original = expanded.get(original_id)
        if original is not None and original_id not in on_page:
            on_page.add(original_id)
            original_user = users.get(original.get("author_id"))
            items.append(tweet_item(original, original_user))
            raws.append(_raw(original, original_user, retweeted_by=[str(tweet["id"])]))
        items.append(retweet_item(tweet, user, original))
        raws.append(_raw(tweet, user, **({"tweets": [original]} if original else {})))
    return items, raws


def _once(
    letters: DeadLetterMemory, items: list[Any], raws: list[Any]
) -> tuple[list[Any], list[Any]]:
    """The page without the Invalids filed before (remembered by the post as X sent it, without
    the expansions: its author's counts change between listings)."""
    kept = [
        (item, raw)
        for item, raw in zip(items, raws, strict=True)
        if not isinstance(item, Invalid) or letters.first(raw.get("data"), "post")
    ]
    return [item for item, _ in kept], [raw for _, raw in kept]


def _done(
    since_id: str | None, pending: dict[str, Any], meta: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The cursor after a finished pass: what is newer than its newest post comes next."""
    newest = pending.get("newest_id") or (meta or {}).get("newest_id")
    since = _newer(since_id, newest)
    return {"since_id": since} if since else {}
