"""TikTok Research API: public videos whose description holds the brand's keywords.

Access: the Research API is for approved research projects only (non-profit academic and
public-interest researchers in the US, EEA, UK and Switzerland, at TikTok's discretion); a
brand's agency cannot count on approval, and must use it within TikTok's research terms. The
approved project's client key and secret ("client_key", "client_secret") buy a client access
token (POST /v2/oauth/token/, grant_type=client_credentials, valid two hours) on the same host
as the API; this connector asks for one per poll and keeps it only in memory (never in the
cursor, which is stored in plain text). A token TikTok refuses mid-poll is replaced once.

A walk is one query (`keywords`, any of them, optional `region_codes`) over a window of days,
read page by page with the `search_id` and `cursor` TikTok returns. Results are not in time
order, so a walk always reads to the end. Cursor: `from`, the first day of the next window;
`seen`, the ids handed over whose videos are from `from` on; and the `walk` in progress (its
window, cursor and search_id). A worker that dies mid-walk resumes at the saved cursor; a
search_id TikTok no longer accepts restarts the window, `seen` keeping what was handed over
from being handed over twice. TikTok's data lags (LATE_DAYS): each window starts LATE_DAYS
before the last one ended, so a video indexed late is still found. A window spans at most 30
days (TikTok's limit); a source behind by more catches up window by window.

A listed video that cannot be a mention (not an object, no id, no create_time) is an `Invalid`
on the page with the reason. Windows overlap by LATE_DAYS and a restarted window is read
again, so such a video is listed again: the cursor's `dead` (base.DeadLetterMemory) has it
filed once.

Limits: 1,000 requests and 100,000 records a day per research client, reset at 00:00 UTC,
which is the window `budget` counts in. A walk every 30 minutes over about three days of a
brand's videos costs one request per 100 of them. A spent limit is a RateLimited until 00:00
UTC. Comments (/v2/research/video/comment/list/) would cost one request per video from the
same 1,000 and are not read.

What the API does not give: data less than a day or two old (TikTok's own lag), private or
deleted videos, the author's follower count (one user-info request each), and anything to
brands without an approved research project: no commercial monitoring API exists.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any

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
    RateLimited,
    TemporaryError,
    json_or_none,
    retry_after_seconds,
    setting_time,
    until_midnight_utc,
    utcnow,
)
from monitoring.payloads import Invalid

logger = logging.getLogger(__name__)

TOKEN_PATH = "/v2/oauth/token/"
QUERY_PATH = "/v2/research/video/query/"
FIELDS = "id,video_description,create_time,username,like_count,comment_count,share_count,view_count"
MAX_COUNT = 100
LOOKBACK_DAYS = 2  # the first window: today and the two days before, unless settings `since`
LATE_DAYS = 2
# TikTok's embed player, the one documented address of a video that needs only its id
# (developers.tiktok.com/doc/embed-player): for videos that come without a username.
PLAYER_URL = "https://www.tiktok.com/player/v1/{id}"
MAX_SPAN_DAYS = 29  # end_date at most 30 days after start_date
SEEN_KEEP = 5000
# The item's counts, from the video's fields.
COUNTS = {
    "likes": "like_count",
    "comments": "comment_count",
    "shares": "share_count",
    "views": "view_count",
}

RATE_CODES = frozenset({"rate_limit_exceeded", "daily_quota_limit_exceeded"})
TOKEN_CODES = frozenset({"access_token_invalid", "access_token_expired"})
AUTH_CODES = frozenset(
    {
        "scope_not_authorized",
        "scope_permission_missed",
        "invalid_client",
        "unauthorized_client",
        "invalid_grant",
        "client_key_invalid",
    }
)


class _TokenRefused(AuthFailed):
    """The access token was refused: a new one may do."""


class _StaleSearch(ConnectorError):
    """The search_id and cursor of a saved walk are no longer accepted."""


def _day(value: date) -> str:
    return value.strftime("%Y%m%d")


def _parse_day(value: str) -> date:
    return datetime.strptime(value, "%Y%m%d").replace(tzinfo=UTC).date()


def _error(body: Any) -> tuple[str, str]:
    """TikTok's error, as {"error": {"code", "message", "log_id"}} or, from OAuth,
    {"error": "invalid_client", "error_description": ...}; ("ok", "") when none."""
    if not isinstance(body, dict):
        return "", ""
    error = body.get("error")
    if isinstance(error, dict):
        return str(error.get("code") or ""), str(error.get("message") or "").strip().rstrip(".")
    if isinstance(error, str) and error:
        return error, str(body.get("error_description") or error).strip().rstrip(".")
    return "ok", ""


def _not_json(name: str) -> TemporaryError:
    return TemporaryError(f"{name} answered with something that is not JSON.")


def _refusal(
    name: str, response: httpx.Response, code: str, message: str, *, walking: bool
) -> ConnectorError:
    status = response.status_code
    words = message or code or response.reason_phrase
    if code in RATE_CODES or status == 429:
        wait = retry_after_seconds(response.headers, default=until_midnight_utc(utcnow()))
        return RateLimited(
            f"{name} rate limit reached: {words} ({code or status}). The Research API allows "
            f"1,000 requests a day, reset at 00:00 UTC (retry after {wait:.0f} s).",
            retry_after=wait,
            status=status,
        )
    if code in TOKEN_CODES:
        return _TokenRefused(
            f"{name} refused the credentials ({status}): {words}. Set new credentials on the "
            "source.",
            status=status,
        )
    if code in AUTH_CODES or status in (401, 403):
        return AuthFailed(
            f"{name} refused the credentials ({status}): {words}. Set new credentials on the "
            "source (the client of an approved Research API project).",
            status=status,
        )
    if code == "invalid_params" and walking:
        return _StaleSearch(f"{name}: {words}.", status=status)
    if code == "internal_error" or status >= 500:
        return TemporaryError(f"{name} is having trouble ({status}): {words}.", status=status)
    return ConnectorError(f"{name} refused the request ({status}, {code}): {words}.", status=status)


class TikTokResearch(PullConnector):
    name = "TikTok"
    platform = "tiktok"
    settings_needed = (
        ("keywords", 'words to find in video descriptions, any of them, e.g. ["alpha bakery"]'),
    )
    credentials_needed = (
        ("client_key", "the client key of an approved Research API project"),
        ("client_secret", "its client secret"),
    )
    default_base_url = "https://open.tiktokapis.com"
    interval = 1800
    budget = (1000, 86_400)  # the Research API's daily limit, reset at 00:00 UTC

    def __init__(self, base_url: str | None = None) -> None:
        super().__init__(base_url)
        # One token per poll: a connector is made for each poll and each test connection.
        self._token: str | None = None

    # -- requests -------------------------------------------------------------------------

    def _token_refused(self, response: httpx.Response) -> ConnectorError | None:
        """The token endpoint may refuse with HTTP 200 and an error in the body; whatever it
        refuses (but limits and outages), the fix is new client credentials."""
        body = json_or_none(response)
        if body is None and response.status_code < 400:
            return _not_json(self.name)
        token = body.get("access_token") if isinstance(body, dict) else None
        if response.status_code < 400 and token:
            return None
        code, message = _error(body)
        refusal = _refusal(self.name, response, code, message, walking=False)
        if isinstance(refusal, (RateLimited, TemporaryError)):
            return refusal
        return AuthFailed(
            f"{self.name} refused the credentials ({response.status_code}): "
            f"{message or code or response.reason_phrase}. Set new credentials on the "
            "source (the client of an approved Research API project).",
            status=response.status_code,
        )

    def _query_refused(self, response: httpx.Response, *, walking: bool) -> ConnectorError | None:
        """TikTok's error body, which may come with HTTP 200."""
        body = json_or_none(response)
        if body is None and response.status_code < 400:
            return _not_json(self.name)
        code, message = _error(body)
        if response.status_code < 400 and code == "ok":
            return None
        return _refusal(self.name, response, code, message, walking=walking)

    def _access_token(self, http: Http, credentials: dict[str, Any]) -> str:
        if self._token:
            return self._token
        response = http.post(
            f"{self.base_url}{TOKEN_PATH}",
            data={
                "client_key": credentials.get("client_key", ""),
                "client_secret": credentials.get("client_secret", ""),
                "grant_type": "client_credentials",
            },
            headers={"Cache-Control": "no-cache"},
            refusal=self._token_refused,
        )
        self._token = str(http.json(response)["access_token"])
        return self._token

    def _query(
        self, http: Http, credentials: dict[str, Any], payload: dict[str, Any], *, walking: bool
    ) -> dict[str, Any]:
        fresh = self._token is None
        token = self._access_token(http, credentials)
        try:
            response = http.post(
                f"{self.base_url}{QUERY_PATH}",
                params={"fields": FIELDS},
                json=payload,
                headers={"Authorization": f"Bearer {token}"},
                refusal=partial(self._query_refused, walking=walking),
            )
        except _TokenRefused:
            if fresh:
                raise
            self._token = None  # expired during the poll: one new token, one more try
            return self._query(http, credentials, payload, walking=walking)
        body = http.json(response)
        data = body.get("data") if isinstance(body, dict) else None
        return data if isinstance(data, dict) else {}

    # -- the walk ---------------------------------------------------------------------------

    @staticmethod
    def _conditions(settings: dict[str, Any]) -> dict[str, Any]:
        def values(key: str) -> list[str]:
            raw = settings.get(key) or []
            items = raw.split(",") if isinstance(raw, str) else raw
            return [str(v).strip() for v in items if str(v).strip()]

        conditions = [
            {"operation": "IN", "field_name": "keyword", "field_values": values("keywords")}
        ]
        if values("region_codes"):
            conditions.append(
                {
                    "operation": "IN",
                    "field_name": "region_code",
                    "field_values": values("region_codes"),
                }
            )
        return {"and": conditions}

    @staticmethod
    def _first_day(settings: dict[str, Any], today: date) -> date:
        since = setting_time(settings)
        return since.date() if since else today - timedelta(days=LOOKBACK_DAYS)

    def fetch(
        self,
        *,
        settings: dict[str, Any],
        credentials: dict[str, Any],
        cursor: dict[str, Any],
        http: Http,
    ) -> Page:
        today = utcnow().date()
        walk = dict(cursor.get("walk") or {})
        if walk:
            start, end = _parse_day(walk["start"]), _parse_day(walk["end"])
        else:
            if cursor.get("from"):
                start = _parse_day(cursor["from"])
            else:
                start = self._first_day(settings, today)
            end = min(today, start + timedelta(days=MAX_SPAN_DAYS))
        payload: dict[str, Any] = {
            "query": self._conditions(settings),
            "start_date": _day(start),
            "end_date": _day(end),
            "max_count": MAX_COUNT,
        }
        if walk:
            payload |= {"cursor": walk["cursor"], "search_id": walk["search_id"]}
        seen: dict[str, int] = dict(cursor.get("seen") or {})
        letters = DeadLetterMemory(cursor)
        try:
            data = self._query(http, credentials, payload, walking=bool(walk))
        except _StaleSearch:
            logger.info("tiktok: search %s no longer valid, window restarted", walk["search_id"])
            restart = {"from": _day(start), "seen": seen}
            return Page(items=[], raws=[], cursor=letters.into(restart), more=True)

        # Items, or an Invalid for a video that cannot be one: dead-lettered with its reason
        # (once), so the cursor moves past it without losing it.
        items: list[Any] = []
        raws: list[Any] = []
        for video in data.get("videos") or []:
            problem = _unusable(video)
            if problem:
                if letters.first(*_letter(video)):
                    items.append(Invalid(video, problem))
                    raws.append(video)
                continue
            video_id = _video_id(video)
            if video_id in seen:
                continue
            seen[video_id] = int(video["create_time"])
            items.append(self._item(video))
            raws.append(video)

        if data.get("has_more"):
            walk = {
                "start": _day(start),
                "end": _day(end),
                "cursor": data.get("cursor"),
                "search_id": data.get("search_id") or walk.get("search_id"),
            }
            return Page(
                items=items,
                raws=raws,
                cursor=letters.into(
                    {"from": cursor.get("from"), "seen": _bounded(seen), "walk": walk}
                ),
                more=True,
            )
        next_from = max(start, end - timedelta(days=LATE_DAYS))
        keep = datetime(next_from.year, next_from.month, next_from.day, tzinfo=UTC).timestamp()
        seen = {k: v for k, v in seen.items() if v >= keep}
        return Page(
            items=items,
            raws=raws,
            cursor=letters.into({"from": _day(next_from), "seen": _bounded(seen)}),
            more=end < today,  # catching up: the next window at once
        )

    @staticmethod
    def _item(video: dict[str, Any]) -> Item:
        video_id = _video_id(video)
        username = str(video.get("username") or "").strip()
        item: Item = {
            "external_id": video_id,
            "posted_at": datetime.fromtimestamp(int(video["create_time"]), tz=UTC).isoformat(),
            "text": str(video.get("video_description") or ""),
            "url": f"https://www.tiktok.com/@{username}/video/{video_id}"
            if username
            else PLAYER_URL.format(id=video_id),
            # No username (not asked for, or not given): no author, rather than a made-up one.
            "author": {"handle": username[:200]} if username else None,
            "thread_id": video_id,
        }
        # A count TikTok did not give is left out, not stated as 0; one that is not a number
        # is passed on for validation to name.
        for key, field_name in COUNTS.items():
            if video.get(field_name) is not None:
                item[key] = video[field_name]
        return item

    def check(self, *, settings: dict[str, Any], credentials: dict[str, Any], http: Http) -> Check:
        """A token, then one query of one video (one of the 1,000 daily requests): the key,
        the secret and the project's Research API approval."""
        today = utcnow().date()
        data = self._query(
            http,
            credentials,
            {
                "query": self._conditions(settings),
                "start_date": _day(today - timedelta(days=LOOKBACK_DAYS)),
                "end_date": _day(today),
                "max_count": 1,
            },
            walking=False,
        )
        found = len(data.get("videos") or [])
        return Check(
            ok=True,
            message=f"{self.name} Research API answered: access approved"
            + (", videos match the keywords." if found else ", no videos match the keywords yet."),
            details={"matches": found},
        )


def _video_id(video: dict[str, Any]) -> str:
    """The video's id: `id` as the fields parameter names it, or `video_id` as TikTok's own
    sample response and its codebook do ("also called item_id or video_id")."""
    for key in ("id", "video_id", "item_id"):
        value = video.get(key)
        if value is not None and str(value).strip():
            return str(value).strip()
    return ""


def _unusable(video: Any) -> str:
    """Why a listed video cannot be a mention, in words; empty when it can."""
    if not isinstance(video, dict):
        return f"a TikTok video must be an object, not {type(video).__name__}"
    if not _video_id(video):
        return "a TikTok video without an id ('id' or 'video_id')"
    try:
        datetime.fromtimestamp(int(video["create_time"]), tz=UTC)
    except (KeyError, TypeError, ValueError, OverflowError, OSError):
        return "a TikTok video without a create_time in Unix seconds"
    return ""


def _letter(video: Any) -> tuple[Any, str | None]:
    """What an unusable video is remembered by, and where (base.DeadLetterMemory): its id when
    it has one, since its counts change between listings."""
    video_id = _video_id(video) if isinstance(video, dict) else ""
    return (video_id, "video") if video_id else (video, None)


def _bounded(seen: dict[str, int]) -> dict[str, int]:
    if len(seen) <= SEEN_KEEP:
        return seen
    return dict(sorted(seen.items(), key=lambda kv: kv[1], reverse=True)[:SEEN_KEEP])
