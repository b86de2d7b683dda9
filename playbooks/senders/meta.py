"""Meta's Graph API: Facebook comment replies and Page posts, Instagram comment replies.

Requests go to the Graph root the Instagram connector reads (monitoring.connectors.graph), the
token in the Authorization header (never the URL, which gets logged) and, given the source's
`app_secret`, the `appsecret_proof` that apps set to "Require App Secret" need. Graph says a
spent rate limit and a refused token with a 400 or 403 and codes (`graph_error`): 4, 17, 32,
613, 80001, 80002 wait the usage headers' estimate (or Retry-After, or graph.RATE_WAIT); 190
and 102 are a refused token, 10 and 200-299 a missing permission (the platform refused the
token, too: it may not write this).

Facebook: a reply to a post or a top-level comment is POST /{id}/comments; Facebook nests one
level only, so a reply to a reply goes under its parent. A Page post is POST /{page-id}/feed
(setting `page_id`). The token is a Page access token (pages_manage_engagement,
pages_manage_posts), which writes as the Page.

Instagram: a reply to a comment is POST /{ig-comment-id}/replies (to a reply: under its
top-level comment, as Instagram nests one level); a comment on a media the brand is tagged in
(the mention is the media) is POST /{media-id}/comments. Instagram takes no text-only post.
"""

from __future__ import annotations

from typing import Any

import httpx

from monitoring.connectors.base import Http, retry_after_seconds
from monitoring.connectors.graph import (
    GRAPH_URL,
    RATE_CODES,
    RATE_WAIT,
    TEMPORARY_CODES,
    TOKEN_CODES,
    appsecret_proof,
    graph_error,
    usage_wait,
)
from playbooks.senders.base import (
    Sender,
    SendError,
    SendKey,
    SentItem,
    Target,
    answered_id,
    rate_limited,
    refusal_by_status,
    token_refused,
)


class GraphSender(Sender):
    base_key = "instagramgraph"
    default_base_url = GRAPH_URL

    def refusal(self, response: httpx.Response) -> SendError | None:
        status = response.status_code
        error = graph_error(response)
        if status < 400 and error is None:
            return None
        if error is None:
            return refusal_by_status(self.name, response, wait_default=RATE_WAIT)
        said = error.words
        if error.code in RATE_CODES or status == 429:
            wait = usage_wait(response.headers) or retry_after_seconds(
                response.headers, default=RATE_WAIT
            )
            return rate_limited(self.name, f"{said} ({error.codes})", wait, status)
        permission = error.code == 10 or (error.code is not None and 200 <= error.code <= 299)
        if error.code in TOKEN_CODES or permission or status in (401, 403):
            return token_refused(self.name, f"{said} ({error.codes})", status)
        if error.transient or error.code in TEMPORARY_CODES or status >= 500:
            return SendError(
                f"{self.name} is having trouble ({status}, {error.codes}): {said}.",
                transient=True,
                status=status,
            )
        return SendError(
            f"{self.name} refused it ({status}, {error.codes}): {said}.", status=status
        )

    def _graph_post(self, http: Http, path: str, message: str, credentials: dict[str, Any]) -> str:
        token = str(credentials.get("access_token") or "")
        data = {"message": message}
        if credentials.get("app_secret"):
            data["appsecret_proof"] = appsecret_proof(str(credentials["app_secret"]), token)
        body, _ = self.post_json(
            http,
            f"{self.base_url}/{path}",
            data=data,
            headers={"Authorization": f"Bearer {token}"},
        )
        made = answered_id(body, "id")
        if not made:
            raise SendError(
                f"{self.name} answered without the new item's id: the reply may have gone out.",
                unknown=True,
            )
        return made


class FacebookSender(GraphSender):
    name = "Facebook"
    platform = "facebook"
    credentials_needed = (
        ("access_token", "a Page access token with pages_manage_engagement and pages_manage_posts"),
    )
    settings_for_posts = (("page_id", "the Facebook Page's id"),)

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
        # A top-level comment's parent is the post (the thread): a reply to a reply goes under
        # the comment it answers, the only level Facebook nests.
        under = (
            target.parent_id
            if target.parent_id and target.parent_id != target.thread_id
            else target.external_id
        )
        made = self._graph_post(http, f"{under}/comments", text, credentials)
        return SentItem(external_id=made, url=f"https://www.facebook.com/{made}")

    def send_post(
        self,
        text: str,
        *,
        credentials: dict[str, Any],
        settings: dict[str, Any],
        key: SendKey,
        http: Http,
    ) -> SentItem:
        made = self._graph_post(http, f"{settings['page_id']}/feed", text, credentials)
        return SentItem(external_id=made, url=f"https://www.facebook.com/{made}")


class InstagramSender(GraphSender):
    name = "Instagram"
    platform = "instagram"
    credentials_needed = (
        ("access_token", "a token with instagram_basic and instagram_manage_comments"),
    )
    no_posts = (
        "Instagram takes no text-only post through its API: publish it in Instagram and "
        "record it here with its URL."
    )

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
        if target.thread_id and target.external_id == target.thread_id:
            # The mention is a media (the brand tagged in it): comment on it.
            path = f"{target.external_id}/comments"
        else:
            path = f"{target.parent_id or target.external_id}/replies"
        made = self._graph_post(http, path, text, credentials)
        # Instagram gives comments no permalink: the media's.
        return SentItem(external_id=made, url=target.url)
