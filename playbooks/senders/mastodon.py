"""Mastodon: statuses (POST /api/v1/statuses, a reply with in_reply_to_id) on the brand's
server: the source's "instance" setting (or the configured API root).

The token is an "access_token" with write:statuses of the brand's account on that server; the
status replied to is the mention's id, which is that server's id when the source reads the
same server. Mastodon notifies only the accounts a status mentions, so a reply that does not
name its author starts with "@author". The `Idempotency-Key` header makes a repeated request
(within an hour) return the first status rather than post a second one.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from monitoring.connectors.base import Http
from playbooks.senders.base import Sender, SendError, SendKey, SentItem, Target, answered_id


class MastodonSender(Sender):
    name = "Mastodon"
    platform = "mastodon"
    base_key = "mastodontimeline"
    default_base_url = ""
    credentials_needed = (("access_token", "a token of the brand's account with write:statuses"),)
    settings_needed = (("instance", "the server's address, e.g. https://mastodon.social"),)

    def missing(
        self, settings: dict[str, Any], credentials: dict[str, Any], kind: str
    ) -> list[str]:
        lacking = super().missing(settings, credentials, kind)
        return [m for m in lacking if not (self.base_url and m.startswith("setting 'instance'"))]

    def _root(self, settings: dict[str, Any]) -> str:
        if self.base_url:
            return self.base_url
        instance = str(settings.get("instance") or "").strip().rstrip("/")
        if instance and "://" not in instance:
            instance = f"https://{instance}"
        parts = urlsplit(instance)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise SendError(f"'{instance}' is not a Mastodon server's address.")
        return instance

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
        author = target.author.lstrip("@")
        if author and f"@{author.lower()}" not in text.lower():
            text = f"@{author} {text}"
        return self._status(
            {"status": text, "in_reply_to_id": target.external_id}, credentials, settings, key, http
        )

    def send_post(
        self,
        text: str,
        *,
        credentials: dict[str, Any],
        settings: dict[str, Any],
        key: SendKey,
        http: Http,
    ) -> SentItem:
        return self._status({"status": text}, credentials, settings, key, http)

    def _status(
        self,
        payload: dict[str, Any],
        credentials: dict[str, Any],
        settings: dict[str, Any],
        key: SendKey,
        http: Http,
    ) -> SentItem:
        root = self._root(settings)
        body, _ = self.post_json(
            http,
            f"{root}/api/v1/statuses",
            json=payload | {"visibility": "public"},
            headers={
                "Authorization": f"Bearer {credentials.get('access_token', '')}",
                "Idempotency-Key": key.key,
            },
        )
        made = answered_id(body, "id")
        if not made:
            raise SendError(
                "Mastodon answered without the status: the reply may have gone out.", unknown=True
            )
        return SentItem(external_id=made, url=answered_id(body, "url") or answered_id(body, "uri"))
