"""What a sender is: one platform's API for writing a reply to a mention, or an own post.

Pure, no Django, like the connectors (monitoring.connectors), whose HTTP client it uses:
`monitoring.connectors.base.Http`, with a `refusal` hook per platform that reads the platform's
error body and turns every refusal into a `SendError` in the platform's own words:

- a spent rate limit (429, or the platform's own way of saying it: Graph's codes, YouTube's
  quotaExceeded) is transient, with the seconds the platform says to wait (`retry_after`);
- a refused token (401/403, Graph's 190) is "<platform> refused the token: <its words>", not
  transient: a person sets a new one on the source;
- 5xx is transient; any other refusal (a deleted comment, text too long) is not.

A request that may have reached the platform without an answer (a read timeout, a dropped
connection after the request went out) is `unknown`: the reply may be on the platform, so
the caller keeps the thread's slot and does not retry at once. A request that never left
(no connection) is a transient failure like a 5xx.

Idempotency: X, Meta Graph, YouTube and LinkedIn have no idempotency key: what keeps a reply
from going out twice is the caller's claim on the thread (playbooks.sending). Mastodon takes an
`Idempotency-Key` header (the server answers a repeated key with the first status, for an
hour); Bluesky's createRecord takes the record key (`rkey`): a second createRecord with the same
key cannot create a second post. `SendKey` carries both, derived from the response's row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx

from monitoring.connectors.base import (
    ConnectorError,
    Http,
    RateLimited,
    TemporaryError,
    platform_message,
    retry_after_seconds,
)

MAX_WORDS = 300


class SendError(ConnectorError):
    """The platform did not take the reply or post. `message` is in the platform's words;
    `transient`: trying again later may work (after `retry_after` seconds, when given);
    `unknown`: the request may have reached the platform, the reply may be there."""

    kind = "send"

    def __init__(
        self,
        message: str,
        *,
        transient: bool = False,
        retry_after: float | None = None,
        unknown: bool = False,
        status: int | None = None,
    ) -> None:
        super().__init__(message, status=status)
        self.transient = transient
        self.retry_after = retry_after
        self.unknown = unknown


@dataclass(frozen=True)
class Target:
    """The mention a reply answers, as ingestion stored it (monitoring.models.Mention)."""

    external_id: str
    thread_id: str = ""
    parent_id: str = ""
    url: str = ""
    author: str = ""
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SendKey:
    """What makes one response's requests the same request: `key`, a stable string (Mastodon's
    Idempotency-Key); `micros` (when the response was drafted, in microseconds since the
    epoch) and `clock` (its row's number) make Bluesky's record key."""

    key: str
    micros: int
    clock: int


@dataclass(frozen=True)
class SentItem:
    external_id: str
    url: str


def words(response: httpx.Response) -> str:
    """The platform's words about a refusal, short."""
    said = platform_message(response).strip().rstrip(".") or response.reason_phrase
    return said[:MAX_WORDS]


def refusal_by_status(
    name: str, response: httpx.Response, said: str | None = None, *, wait_default: float = 60.0
) -> SendError | None:
    """The usual reading of a refusal by its status (most platforms say what they mean with
    it); None for a success."""
    status = response.status_code
    if status < 400:
        return None
    said = said if said is not None else words(response)
    if status == 429:
        wait = retry_after_seconds(response.headers, default=wait_default)
        return rate_limited(name, said, wait, status)
    if status in (401, 403):
        return token_refused(name, said, status)
    if status >= 500:
        return SendError(
            f"{name} is having trouble ({status}): {said}.", transient=True, status=status
        )
    return SendError(f"{name} refused it ({status}): {said}.", status=status)


def rate_limited(name: str, said: str, wait: float, status: int | None) -> SendError:
    return SendError(
        f"{name} rate limit reached: {said} (retry after {wait:.0f} s).",
        transient=True,
        retry_after=wait,
        status=status,
    )


def token_refused(name: str, said: str, status: int | None) -> SendError:
    return SendError(f"{name} refused the token: {said}.", status=status)


class Sender:
    """One platform's replies and own posts. Subclasses set the class attributes and implement
    `send_reply` and, where the platform allows one, `send_post`."""

    name: ClassVar[str]
    platform: ClassVar[str]
    # The key of the API root in settings.CONNECTOR_BASE_URLS: the platform's pull connector's,
    # so that one stand-in server serves reading and writing.
    base_key: ClassVar[str]
    default_base_url: ClassVar[str]
    # Credentials and settings of the source a send needs: (key, what it is).
    credentials_needed: ClassVar[tuple[tuple[str, str], ...]] = (
        ("access_token", "an access token that may write"),
    )
    settings_needed: ClassVar[tuple[tuple[str, str], ...]] = ()
    settings_for_posts: ClassVar[tuple[tuple[str, str], ...]] = ()
    # Why the platform takes no own post through its API; "" when it does.
    no_posts: ClassVar[str] = ""

    def __init__(self, base_url: str | None = None) -> None:
        self.base_url = (base_url or self.default_base_url).rstrip("/")

    def missing(
        self, settings: dict[str, Any], credentials: dict[str, Any], kind: str
    ) -> list[str]:
        """What a source lacks to send this kind ("reply" or "post"), in words."""
        needed = self.settings_needed + (self.settings_for_posts if kind == "post" else ())
        lacking = [f"setting '{k}' ({what})" for k, what in needed if not settings.get(k)]
        lacking += [
            f"credential '{k}' ({what})"
            for k, what in self.credentials_needed
            if not credentials.get(k)
        ]
        return lacking

    def send_reply(
        self,
        target: Target,
        text: str,
        *,
        credentials: dict[str, Any],
        settings: dict[str, Any],
        key: SendKey,
        http: Http,
    ) -> SentItem:
        raise NotImplementedError

    def send_post(
        self,
        text: str,
        *,
        credentials: dict[str, Any],
        settings: dict[str, Any],
        key: SendKey,
        http: Http,
    ) -> SentItem:
        raise SendError(f"{self.name}: {self.no_posts}")

    # -- requests ------------------------------------------------------------------------------

    def refusal(self, response: httpx.Response) -> SendError | None:
        """The platform's refusal read from its response; subclasses know their error bodies."""
        return refusal_by_status(self.name, response)

    def post_json(self, http: Http, url: str, **kwargs: Any) -> tuple[Any, httpx.Response]:
        """POST and read the answer; every failure is a SendError (see the module docstring)."""
        try:
            response = http.post(url, refusal=self.refusal, **kwargs)
        except SendError:
            raise
        except TemporaryError as exc:
            raise self._transport(exc) from exc
        except RateLimited as exc:  # a refusal hook of a connector this sender shares
            raise rate_limited(self.name, exc.message, exc.retry_after, exc.status) from exc
        except ConnectorError as exc:
            raise SendError(exc.message, status=exc.status) from exc
        try:
            body = response.json()
        except ValueError:
            body = None
        return body, response

    def _transport(self, exc: TemporaryError) -> SendError:
        cause = exc.__cause__
        if isinstance(cause, httpx.ConnectError | httpx.ConnectTimeout):
            # Nothing left this machine: safe to try again.
            return SendError(
                f"{self.name} could not be reached: {cause}.", transient=True, status=exc.status
            )
        return SendError(
            f"{self.name} did not confirm ({cause or exc.message}): the reply may have gone "
            "out. Look at the thread on the platform before sending again.",
            unknown=True,
            status=exc.status,
        )


def answered_id(body: Any, *path: str) -> str:
    """An id in the platform's answer, at `path` (keys into nested objects); "" when absent."""
    value: Any = body
    for step in path:
        value = value.get(step) if isinstance(value, dict) else None
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""


def now_iso() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")
