"""X API v2: posts and replies (POST /2/tweets, a reply with reply.in_reply_to_tweet_id).

Writing needs a user's token: an OAuth 2.0 user-context "access_token" with tweet.write (the
app-only bearer token the search connector reads with is refused: 403 "Unsupported
Authentication"). X says more than that with a 403, though: a post it will not take (the same
text as one of the account's recent posts, a text over 280 characters, a reply to a post the
account may not reply to) is a 403 too, and the token is fine then: a person changes the text.
X has no idempotency key: the thread's claim (playbooks.sending) is what keeps a reply from
going out twice. A 429 carries x-rate-limit-reset (an epoch time), which
base.retry_after_seconds reads. The setting "username" (the brand's @name) makes the
permalink; without it, X's /i/web/ form.
"""

from __future__ import annotations

from typing import Any

import httpx

from monitoring.connectors.base import Http
from playbooks.senders.base import (
    Sender,
    SendError,
    SendKey,
    SentItem,
    Target,
    answered_id,
    refusal_by_status,
    words,
)

# X's words when a 403 is about the post, not the token (its `detail`, lower case).
POST_REFUSED = ("duplicate content", "text is too long", "not allowed to reply", "reply to")


class XSender(Sender):
    name = "X"
    platform = "x"
    base_key = "xrecentsearch"
    default_base_url = "https://api.x.com"
    credentials_needed = (("access_token", "an OAuth 2.0 user-context token with tweet.write"),)

    def refusal(self, response: httpx.Response) -> SendError | None:
        if response.status_code == 403:
            said = words(response)
            if any(cue in said.lower() for cue in POST_REFUSED):
                return SendError(f"X refused it (403): {said}.", status=403)
        return refusal_by_status(self.name, response)

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
        return self._tweet(
            {"text": text, "reply": {"in_reply_to_tweet_id": target.external_id}},
            credentials,
            settings,
            http,
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
        return self._tweet({"text": text}, credentials, settings, http)

    def _tweet(
        self,
        payload: dict[str, Any],
        credentials: dict[str, Any],
        settings: dict[str, Any],
        http: Http,
    ) -> SentItem:
        body, _ = self.post_json(
            http,
            f"{self.base_url}/2/tweets",
            json=payload,
            headers={"Authorization": f"Bearer {credentials.get('access_token', '')}"},
        )
        made = answered_id(body, "data", "id")
        if not made:
            raise SendError(
                "X answered without the post's id: the reply may have gone out.", unknown=True
            )
        username = str(settings.get("username") or "").lstrip("@") or "i/web"
        return SentItem(external_id=made, url=f"https://x.com/{username}/status/{made}")
