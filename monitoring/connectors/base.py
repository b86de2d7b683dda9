"""What a pull connector is: one platform's API turned into pages of mentions.

Pure, no Django: a connector is given the source's settings (query, hashtag, feed URL...), its
decrypted credentials, its cursor (the JSON it returned after the last stored page: since-ids,
page tokens, ETags) and an `Http` client, and `fetch` returns one `Page`: items in the ingestion
shape with the raw payload of each, the cursor to persist once those items are stored, and
whether another page is waiting now. The polling service (monitoring.services.polling) stores
the items and the cursor in one transaction, so a worker that dies between pages resumes where
the last stored page ended: no gap, and no duplicate (ingestion is idempotent anyway).

Failures are exceptions carrying the platform's own message, worded for the person who reads
the source's health: `RateLimited` (429, with the platform's Retry-After), `AuthFailed` (401/403:
a token expired or was revoked), `TemporaryError` (5xx, timeouts: back off and retry) and
`ConnectorError` (any other refusal, such as a malformed query). `Http` maps a response to one of
these by its status; a platform that says more in the body (a spent quota in a 403, an error in
a 200) passes `Http.request` a `refusal` hook that reads it.

Also here, for the connectors that need them: `NewestFirst` (one pass down a newest-first
listing, resumable), `DeadLetterMemory` (each unmappable entry filed once, however often it is
listed), `Tokens` (access tokens held in the worker's memory) and time helpers.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, TypeVar

import httpx

from monitoring.payloads import Invalid, jsonb_safe

Item = dict[str, Any]
USER_AGENT = "Stormdesk/1.0 (social listening; +https://stormdesk.example)"
TIMEOUT = httpx.Timeout(15.0, connect=5.0)
MAX_MESSAGE = 500
DEAD_KEEP = 500


@dataclass
class Page:
    # An entry the connector cannot map is an Invalid (its raw value and why): the polling
    # service files it as a dead letter, so the cursor never moves past something unkept.
    items: list[Item | Invalid]
    raws: list[Any]
    cursor: dict[str, Any]
    more: bool = False


@dataclass
class Check:
    """The outcome of a "test connection": what works, or what to fix."""

    ok: bool
    message: str
    details: dict[str, Any] = field(default_factory=dict)


class ConnectorError(Exception):
    """The platform refused; `message` says what a person should do about it."""

    kind = "error"

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message[:MAX_MESSAGE]
        self.status = status


class AuthFailed(ConnectorError):
    kind = "auth"


class TemporaryError(ConnectorError):
    kind = "temporary"


class RateLimited(ConnectorError):
    kind = "rate_limited"

    def __init__(self, message: str, *, retry_after: float, status: int | None = 429) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


def retry_after_seconds(headers: httpx.Headers, default: float = 60.0) -> float:
    """Seconds to wait, from Retry-After (seconds or an HTTP date) or the reset headers X,
    Reddit and others send (an epoch time, or seconds left)."""
    value = headers.get("retry-after")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            parsed = email.utils.parsedate_to_datetime(value)
            if parsed is not None:
                return max(0.0, (parsed - datetime.now(UTC)).total_seconds())
    for name in ("x-rate-limit-reset", "x-ratelimit-reset", "ratelimit-reset"):
        value = headers.get(name)
        if value:
            try:
                number = float(value)
            except ValueError:
                wait = seconds_until(value)  # an ISO 8601 time (Mastodon)
                if wait is None:
                    continue
                return wait
            # an epoch time, or seconds left
            return max(0.0, number - time.time()) if number > 1_000_000_000 else number
    return default


def seconds_until(value: str, now: datetime | None = None) -> float | None:
    """Seconds from `now` until an ISO 8601 time (without a zone: UTC), at least 0; None when
    `value` is not one."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())


def json_or_none(response: httpx.Response) -> Any:
    """The response's JSON, or None when its body is not JSON (an HTML error page, nothing)."""
    try:
        return response.json()
    except ValueError:
        return None


def platform_message(response: httpx.Response) -> str:
    """The platform's own words about a failure, from the usual places in its JSON."""
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip()
        return text[:200] if text else response.reason_phrase
    if isinstance(body, dict):
        errors = body.get("errors")
        errors = [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []
        # Before `detail`: X's detail is generic ("One or more parameters to your request was
        # invalid."), its errors say which parameter and why.
        said = [str(e.get("message") or e.get("detail") or "") for e in errors]
        if any(said):
            return " ".join(s for s in said if s)
        for key in ("detail", "message", "error_description", "title"):
            if isinstance(body.get(key), str) and body[key]:
                return str(body[key])
        error = body.get("error")
        if isinstance(error, dict):
            return str(error.get("message") or error.get("code") or error)
        if isinstance(error, str) and error:
            return error
        if errors:
            return str(errors[0])
    return response.reason_phrase


# Reads a response before `Http` maps it by status: the error to raise instead, or None.
Refusal = Callable[[httpx.Response], ConnectorError | None]


class Http:
    """An HTTP client that turns a platform's failures into connector errors."""

    def __init__(self, name: str, client: httpx.Client | None = None) -> None:
        self.name = name
        self.client = client or httpx.Client(
            timeout=TIMEOUT, headers={"User-Agent": USER_AGENT}, follow_redirects=True
        )

    def request(
        self, method: str, url: str, *, refusal: Refusal | None = None, **kwargs: Any
    ) -> httpx.Response:
        """The response, or a connector error. `refusal`, when given, reads every response
        first (the connector's knowledge of its platform's error bodies) and returns the error
        to raise, or None for the usual mapping by status."""
        try:
            response = self.client.request(method, url, **kwargs)
        except httpx.TimeoutException as exc:
            raise TemporaryError(f"{self.name} did not answer in time ({exc}).") from exc
        except httpx.HTTPError as exc:
            raise TemporaryError(f"{self.name} could not be reached: {exc}.") from exc
        if refusal is not None:
            error = refusal(response)
            if error is not None:
                raise error
        status = response.status_code
        if status == 429:
            wait = retry_after_seconds(response.headers)
            raise RateLimited(
                f"{self.name} rate limit reached: {platform_message(response)} "
                f"(retry after {wait:.0f} s).",
                retry_after=wait,
            )
        if status == 401:
            raise AuthFailed(
                f"{self.name} refused the credentials ({status}): {platform_message(response)}. "
                "Set new credentials on the source.",
                status=status,
            )
        if status == 403:
            # Valid credentials without the right to read this: a private community, a page
            # the token's user does not administer, an API plan without this endpoint.
            raise AuthFailed(
                f"{self.name} refused access ({status}): {platform_message(response)}. "
                "Check that the source's credentials may read this.",
                status=status,
            )
        if status >= 500:
            raise TemporaryError(
                f"{self.name} is having trouble ({status}): {platform_message(response)}.",
                status=status,
            )
        if status >= 400 and status != 304:
            raise ConnectorError(
                f"{self.name} refused the request ({status}): {platform_message(response)}.",
                status=status,
            )
        return response

    def get(self, url: str, *, refusal: Refusal | None = None, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, refusal=refusal, **kwargs)

    def post(self, url: str, *, refusal: Refusal | None = None, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, refusal=refusal, **kwargs)

    def json(self, response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            raise TemporaryError(f"{self.name} answered with something that is not JSON.") from exc

    def close(self) -> None:
        self.client.close()


class PullConnector(ABC):
    """One platform's polling. Subclasses set the class attributes and implement `fetch`."""

    name: ClassVar[str]
    platform: ClassVar[str]
    # Settings and credentials a source needs: (key, what it is), shown in errors.
    settings_needed: ClassVar[tuple[tuple[str, str], ...]] = ()
    credentials_needed: ClassVar[tuple[tuple[str, str], ...]] = ()
    default_base_url: ClassVar[str] = ""
    # Seconds between polls when nothing is waiting.
    interval: ClassVar[int] = 300
    # The platform's rate budget for one set of credentials: requests per window of seconds.
    budget: ClassVar[tuple[int, int]] = (60, 900)

    def __init__(self, base_url: str | None = None) -> None:
        self.base_url = (base_url or self.default_base_url).rstrip("/")

    def second_host(self, given: str | None, default: str) -> str:
        """The root of another host the connector talks to (a token or sign-in server): as
        given; else `default` beside the default API root; else the API root itself (a test
        server or a proxy that serves both)."""
        if given:
            return given.rstrip("/")
        return default if self.base_url == self.default_base_url else self.base_url

    def missing(self, settings: dict[str, Any], credentials: dict[str, Any]) -> list[str]:
        """What the source lacks, in words; empty when it can be polled."""
        lacking = [
            f"setting '{key}' ({what})"
            for key, what in self.settings_needed
            if not settings.get(key)
        ]
        lacking += [
            f"credential '{key}' ({what})"
            for key, what in self.credentials_needed
            if not credentials.get(key)
        ]
        return lacking

    @abstractmethod
    def fetch(
        self,
        *,
        settings: dict[str, Any],
        credentials: dict[str, Any],
        cursor: dict[str, Any],
        http: Http,
    ) -> Page:
        """One page of new mentions after `cursor`."""

    def check(self, *, settings: dict[str, Any], credentials: dict[str, Any], http: Http) -> Check:
        """Test the connection: one real request with the source's settings and credentials.
        Connectors with a cheaper identity call override this."""
        page = self.fetch(settings=settings, credentials=credentials, cursor={}, http=http)
        return Check(
            ok=True,
            message=f"{self.name} answered: {len(page.items)} mentions on the first page.",
            details={"first_page": len(page.items)},
        )


# -- time ---------------------------------------------------------------------------------------


def utcnow() -> datetime:
    """Now, in UTC (connectors import it, so tests can fix a connector's clock)."""
    return datetime.now(UTC)


def until_midnight_utc(now: datetime) -> float:
    """Seconds until the next midnight UTC, when daily limits reset, and a minute's margin."""
    midnight = datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)
    return (midnight - now).total_seconds() + 60


def setting_time(settings: dict[str, Any], key: str = "since") -> datetime | None:
    """A time the source's settings give (ISO 8601; without a zone, UTC); None when unset."""
    if not settings.get(key):
        return None
    moment = datetime.fromisoformat(str(settings[key]).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def words(value: Any) -> list[str]:
    """A setting that lists words: a list, or one comma-separated string."""
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list | tuple):
        return []
    return [str(v).strip() for v in value if str(v).strip()]


# -- access tokens --------------------------------------------------------------------------------


class Tokens:
    """Access tokens this worker process holds until they expire, by a digest of what they were
    issued for (the token URL and the credentials, so brands never share one). Never in a
    cursor: cursors are stored as plain JSON, and a token is a secret."""

    def __init__(self) -> None:
        self._held: dict[str, tuple[str, float]] = {}

    @staticmethod
    def key(*parts: Any) -> str:
        return hashlib.sha256("\n".join(map(str, parts)).encode()).hexdigest()

    def get(self, key: str) -> str | None:
        """The token held for `key`, unless it has expired."""
        held = self._held.get(key)
        return held[0] if held and held[1] > time.time() else None

    def put(self, key: str, token: str, lifetime: float) -> None:
        self._held[key] = (token, time.time() + lifetime)

    def clear(self) -> None:
        self._held.clear()


# -- a newest-first pass ----------------------------------------------------------------------

Entry = TypeVar("Entry")


class NewestFirst:
    """One pass down a listing that comes newest first, with an opaque position for the older
    rest and no since-parameter to trust (a removed post, a lagging search index).

    A pass pages down from the newest entry until it reaches entries older than `mark` (the
    newest entry time of the last finished pass) less `overlap`, the platform's indexing lag;
    `seen` keeps the keys of that overlap and of the pass, so an entry listed late, or pushed
    onto the next page by new ones, is handed over once. Mid-pass the cursor keeps `pass`: the
    platform's position of the next page and the pass's newest time (`top`). A restart resumes
    at the position; entries created during a pass are newer than its first page and the next
    pass takes them; only a finished pass moves `mark`.

    Cursor: {"mark": float, "seen": {key: time}, "pass": {<position>, "top": float}}, times in
    seconds since the epoch."""

    def __init__(self, cursor: dict[str, Any], *, overlap: float, keep: int) -> None:
        self.mark: float | None = cursor.get("mark")
        self.seen: dict[str, float] = dict(cursor.get("seen") or {})
        self.pending: dict[str, Any] = dict(cursor.get("pass") or {})
        self.overlap = overlap
        self.keep = keep
        self.floor = None if self.mark is None else self.mark - overlap
        self.top: float | None = self.pending.get("top")
        self.listed = False
        self.reached = False

    def fresh(
        self, entries: Sequence[Entry], *, key: Callable[[Entry], str], at: Callable[[Entry], float]
    ) -> list[Entry]:
        """The entries of this page not handed over before, in order, up to the first one older
        than the floor (`reached`: what follows was handed over by an earlier pass)."""
        self.listed = bool(entries)
        fresh: list[Entry] = []
        for entry in entries:
            moment = at(entry)
            if self.floor is not None and moment < self.floor:
                self.reached = True
                break
            self.top = moment if self.top is None else max(self.top, moment)
            name = key(entry)
            if name in self.seen:
                continue
            self.seen[name] = moment
            fresh.append(entry)
        return fresh

    def goes_on(self, position: Any) -> bool:
        """Whether the pass continues after this page: the platform gave the position of a next
        page, this one listed something, and it did not reach the floor."""
        return bool(position) and self.listed and not self.reached

    def cursor(self, position: dict[str, Any] | None = None) -> dict[str, Any]:
        """The cursor after this page: mid-pass, with the `position` of the next page; without
        one, the pass is finished and `mark` moves up to its newest time."""
        if position is not None:
            pending = {k: v for k, v in (position | {"top": self.top}).items() if v is not None}
            cursor: dict[str, Any] = {"seen": self._recent(None), "pass": pending}
            return cursor if self.mark is None else {"mark": self.mark, **cursor}
        marks = [m for m in (self.mark, self.top) if m is not None]
        if not marks:
            return {}
        mark = max(marks)
        return {"mark": mark, "seen": self._recent(mark - self.overlap)}

    def _recent(self, floor: float | None) -> dict[str, float]:
        """The keys worth remembering: at or after `floor`, the newest `keep` of them."""
        kept = [(t, k) for k, t in self.seen.items() if floor is None or t >= floor]
        kept.sort(reverse=True)
        return {k: t for t, k in kept[: self.keep]}


# -- dead letters filed once ------------------------------------------------------------------


class DeadLetterMemory:
    """The unmappable entries a source has filed as dead letters already, so that one the
    platform lists again (an overlap window, a walk that reads back from its start, a feed that
    repeats entries for weeks) is filed once, not once per poll.

    An entry is remembered by a digest (16 hex digits of SHA-256) of its JSON with sorted keys,
    and of `where` it was listed when the connector names a place (a post's comments). The
    cursor's `dead` keeps the newest `keep` digests, the oldest first; one seen again becomes
    the newest, so an entry listed on every poll is never forgotten. The cursor is stored with
    the page, in the transaction that files the page's dead letters: a poll that dies before
    has filed nothing and remembers nothing.

    Cursor: {"dead": [digest, ...]} beside the connector's own keys, only once there is one."""

    def __init__(self, cursor: dict[str, Any], *, keep: int = DEAD_KEEP) -> None:
        kept = cursor.get("dead")
        self.kept: list[str] = [str(k) for k in kept] if isinstance(kept, list) else []
        self.known = set(self.kept)
        self.keep = keep

    @staticmethod
    def digest(entry: Any, where: str | None = None) -> str:
        value = entry if where is None else [where, entry]
        try:
            text = json.dumps(value, sort_keys=True, default=repr)
        except (TypeError, ValueError, RecursionError):
            # keys of mixed types, or nesting too deep to write: the copy a dead letter keeps
            text = json.dumps(jsonb_safe(value), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def first(self, entry: Any, where: str | None = None) -> bool:
        """Whether `entry` (listed in `where`) was not filed before; it is remembered now,
        as the newest either way."""
        digest = self.digest(entry, where)
        if digest in self.known:
            self.kept.remove(digest)
            self.kept.append(digest)
            return False
        self.known.add(digest)
        self.kept.append(digest)
        return True

    def into(self, cursor: dict[str, Any]) -> dict[str, Any]:
        """`cursor` with the memory as its `dead`; as it is while nothing was ever filed."""
        return cursor | {"dead": self.kept[-self.keep :]} if self.kept else cursor
