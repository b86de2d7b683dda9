"""YouTube Data API v3: comment replies (comments.insert with snippet.parentId) and, to a video
the brand found by search, a new comment thread (commentThreads.insert with snippet.videoId).

Writing needs an OAuth "access_token" with the youtube.force-ssl scope of the brand's channel
(an API key reads only). YouTube nests one level: a reply to a reply goes under its top-level
comment. Google says a spent quota (quotaExceeded, until midnight Pacific time), a refused
token and a missing permission with 403s and reasons, read as the connector reads them
(monitoring.connectors.youtube). YouTube has no text post through its API (community posts are
not in it), and no idempotency key.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from monitoring.connectors.base import Http, retry_after_seconds, utcnow
from monitoring.connectors.youtube import (
    API,
    AUTH_REASONS,
    QUOTA_REASONS,
    THROTTLE_REASONS,
    _google_error,
    quota_reset_in,
)
from playbooks.senders.base import (
    Sender,
    SendError,
    SendKey,
    SentItem,
    Target,
    answered_id,
    rate_limited,
    token_refused,
)


class YouTubeSender(Sender):
    name = "YouTube"
    platform = "youtube"
    base_key = "youtubecomments"
    default_base_url = "https://www.googleapis.com"
    credentials_needed = (
        ("access_token", "an OAuth token of the brand's channel with youtube.force-ssl"),
    )
    no_posts = (
        "YouTube takes no text post through its API: post it in YouTube Studio and record it "
        "here with its URL."
    )

    def refusal(self, response: httpx.Response) -> SendError | None:
        status = response.status_code
        if status < 400:
            return None
        reasons, said = _google_error(response)
        if reasons & QUOTA_REASONS:
            wait = quota_reset_in(utcnow())
            return rate_limited(
                self.name, f"{said} (the quota resets at midnight Pacific time)", wait, status
            )
        if status == 429 or reasons & THROTTLE_REASONS:
            return rate_limited(self.name, said, retry_after_seconds(response.headers), status)
        if status in (401, 403) or reasons & AUTH_REASONS:
            return token_refused(self.name, said, status)
        if status >= 500:
            return SendError(
                f"{self.name} is having trouble ({status}): {said}.", transient=True, status=status
            )
        return SendError(f"{self.name} refused it ({status}): {said}.", status=status)

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
        headers = {"Authorization": f"Bearer {credentials.get('access_token', '')}"}
        video = target.thread_id
        if video and target.external_id == video:
            body, _ = self.post_json(
                http,
                f"{self.base_url}{API}/commentThreads",
                params={"part": "snippet"},
                json={
                    "snippet": {
                        "videoId": video,
                        "topLevelComment": {"snippet": {"textOriginal": text}},
                    }
                },
                headers=headers,
            )
        else:
            body, _ = self.post_json(
                http,
                f"{self.base_url}{API}/comments",
                params={"part": "snippet"},
                json={
                    "snippet": {
                        "parentId": target.parent_id or target.external_id,
                        "textOriginal": text,
                    }
                },
                headers=headers,
            )
        made = answered_id(body, "id")
        if not made:
            raise SendError(
                "YouTube answered without the comment: the reply may have gone out.", unknown=True
            )
        url = f"https://www.youtube.com/watch?v={quote(video)}&lc={quote(made)}" if video else ""
        return SentItem(external_id=made, url=url)
