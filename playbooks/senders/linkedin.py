"""LinkedIn: comments as the organization (Community Management API, versioned REST), and the
organization's own posts.

A comment on a post is POST /rest/socialActions/{post urn}/comments with the organization as
`actor` (setting "organization_id", as the connector's) and the post as `object`; a reply to a
comment goes to the comment's URN with `parentComment` (LinkedIn nests one level: a reply to a
reply goes under its parent). An own post is POST /rest/posts (the new post's URN in the
x-restli-id header). The token is a page administrator's "access_token" with
w_organization_social. LinkedIn's error body is {"status", "serviceErrorCode", "code",
"message"}; its daily limits reset at midnight UTC, which a 429 without Retry-After waits.
LinkedIn has no idempotency key.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from monitoring.connectors.base import Http, until_midnight_utc, utcnow
from monitoring.connectors.linkedin import VERSION, _message
from playbooks.senders.base import (
    Sender,
    SendError,
    SendKey,
    SentItem,
    Target,
    answered_id,
    refusal_by_status,
)


def organization_urn(value: Any) -> str:
    text = str(value).strip()
    return text if text.startswith("urn:li:organization:") else f"urn:li:organization:{text}"


class LinkedInSender(Sender):
    name = "LinkedIn"
    platform = "linkedin"
    base_key = "linkedinorganization"
    default_base_url = "https://api.linkedin.com"
    credentials_needed = (
        ("access_token", "a page administrator's OAuth token with w_organization_social"),
    )
    settings_needed = (("organization_id", "the page's organization id or urn:li:organization"),)

    def refusal(self, response: httpx.Response) -> SendError | None:
        if response.status_code < 400:
            return None
        return refusal_by_status(
            self.name,
            response,
            _message(response).rstrip("."),
            wait_default=until_midnight_utc(utcnow()),
        )

    def _headers(self, credentials: dict[str, Any], settings: dict[str, Any]) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {credentials.get('access_token', '')}",
            "LinkedIn-Version": str(settings.get("api_version") or VERSION),
            "X-Restli-Protocol-Version": "2.0.0",
        }

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
        post = target.thread_id or target.external_id
        payload: dict[str, Any] = {
            "actor": organization_urn(settings["organization_id"]),
            "object": post,
            "message": {"text": text},
        }
        under = post
        if target.external_id != post:  # the mention is a comment: reply under it
            under = target.parent_id or target.external_id
            payload["parentComment"] = under
        body, response = self.post_json(
            http,
            f"{self.base_url}/rest/socialActions/{quote(under, safe='')}/comments",
            json=payload,
            headers=self._headers(credentials, settings),
        )
        made = (
            answered_id(body, "commentUrn")
            or answered_id(body, "$URN")
            or response.headers.get("x-restli-id", "")
        )
        if not made:
            raise SendError(
                "LinkedIn answered without the comment: the reply may have gone out.",
                unknown=True,
            )
        return SentItem(
            external_id=made, url=f"https://www.linkedin.com/feed/update/{quote(post, safe=':')}"
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
        _, response = self.post_json(
            http,
            f"{self.base_url}/rest/posts",
            json={
                "author": organization_urn(settings["organization_id"]),
                "commentary": text,
                "visibility": "PUBLIC",
                "distribution": {
                    "feedDistribution": "MAIN_FEED",
                    "targetEntities": [],
                    "thirdPartyDistributionChannels": [],
                },
                "lifecycleState": "PUBLISHED",
                "isReshareDisabledByAuthor": False,
            },
            headers=self._headers(credentials, settings),
        )
        made = response.headers.get("x-restli-id", "")
        if not made:
            raise SendError(
                "LinkedIn answered without the post's URN: the post may have gone out.",
                unknown=True,
            )
        return SentItem(
            external_id=made, url=f"https://www.linkedin.com/feed/update/{quote(made, safe=':')}"
        )
