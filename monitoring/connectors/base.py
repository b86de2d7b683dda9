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
`ConnectorError` (any other refusal, such as a malformed query).
"""

from __future__ import annotations

import email.utils
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx

Item = dict[str, Any]
USER_AGENT = "Stormdesk/1.0 (social listening; +https://stormdesk.example)"
TIMEOUT = httpx.Timeout(15.0, connect=5.0)
MAX_MESSAGE = 500


@dataclass
class Page:
    items: list[Item]
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
                try:  # an ISO 8601 time (Mastodon)
                    reset = datetime.fromisoformat(value.replace("Z", "+00:00"))
                except ValueError:
                    continue
                if reset.tzinfo is None:
                    reset = reset.replace(tzinfo=UTC)
                return max(0.0, (reset - datetime.now(UTC)).total_seconds())
            # an epoch time, or seconds left
            return max(0.0, number - time.time()) if number > 1_000_000_000 else number
    return default


def platform_message(response: httpx.Response) -> str:
    """The platform's own words about a failure, from the usual places in its JSON."""
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip()
        return text[:200] if text else response.reason_phrase
    if isinstance(body, dict):
        for key in ("detail", "message", "error_description", "title"):
            if isinstance(body.get(key), str) and body[key]:
                return str(body[key])
        error = body.get("error")
        if isinstance(error, dict):
            return str(error.get("message") or error.get("code") or error)
        if isinstance(error, str) and error:
            return error
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            first = errors[0]
            return str(first.get("message") or first.get("detail") or first)
    return response.reason_phrase


class Http:
    """An HTTP client that turns a platform's failures into connector errors."""

    def __init__(self, name: str, client: httpx.Client | None = None) -> None:
        self.name = name
        self.client = client or httpx.Client(
            timeout=TIMEOUT, headers={"User-Agent": USER_AGENT}, follow_redirects=True
        )

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self.client.request(method, url, **kwargs)
        except httpx.TimeoutException as exc:
            raise TemporaryError(f"{self.name} did not answer in time ({exc}).") from exc
        except httpx.HTTPError as exc:
            raise TemporaryError(f"{self.name} could not be reached: {exc}.") from exc
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

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

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
