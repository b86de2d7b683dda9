"""The Graph API module against recorded responses served locally: the completion of Meta
webhook events that name a mention by ids only. An Instagram `mentions` event read as the
comment or caption that mentions the account, a Facebook Page `mention` as the post or the
comment that tags the Page; each under the ids the webhook mapping gave the event (so that it
completes the stored mention), an answer without the mention an Invalid, a refusal in Graph's
words. (The requests, errors and usage headers are also exercised by test_instagram.py.)"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pytest_httpserver import HTTPServer

from monitoring.connectors.base import AuthFailed, ConnectorError, Http
from monitoring.connectors.graph import mention_details, page_post_details
from monitoring.connectors.meta import meta_items
from monitoring.payloads import Invalid
from monitoring.schemas import validate_item
from tests.monitoring.connectors.helpers import Recordings

ACCOUNT = "17841463520874106"
TOKEN = "EAAJx7ZBpKq0sBO4alphaPageToken"
POST = "7730012_5501234"
COMMENT, REPLY = "5501234_7712001", "5501234_7712002"
# The fields Stormdesk asks Graph for, as written here: a change in the module shows.
PAGE_POST_FIELDS = "id,message,created_time,permalink_url,from{id,name}"
PAGE_COMMENT_FIELDS = "id,message,created_time,permalink_url,from{id,name},parent{id}"

recordings = Recordings("instagram")
body = recordings.body


@pytest.fixture
def api(httpserver: HTTPServer) -> HTTPServer:
    """The local server, as Graph's root (given to the functions as `base_url`)."""
    return httpserver


def expect(server: HTTPServer, path: str, params: dict[str, str], name: str) -> None:
    handler = server.expect_ordered_request(
        path, query_string=params, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    saved = body(name)
    if isinstance(saved, dict) and "status" in saved and "body" in saved:
        handler.respond_with_response(recordings.response(name))
    else:
        handler.respond_with_json(saved)


def test_mention_details_complete_a_mentions_webhook_event_under_its_own_ids(api):
    hooked, _ = meta_items(body("webhook-mentions.json"))  # type: ignore[misc]
    in_comment, in_caption = hooked
    comment_fields = (
        "mentioned_comment.comment_id(17990011223344556)"
        "{id,text,timestamp,like_count,username,media{id,permalink}}"
    )
    media_fields = (
        "mentioned_media.media_id(18222333444555667)"
        "{id,caption,timestamp,like_count,comments_count,username,permalink,media_type}"
    )
    expect(api, f"/{ACCOUNT}", {"fields": comment_fields}, "mentioned-comment.json")
    expect(api, f"/{ACCOUNT}", {"fields": media_fields}, "mentioned-media.json")
    expect(api, f"/{ACCOUNT}", {"fields": comment_fields}, "mentioned-none.json")
    expect(api, f"/{ACCOUNT}", {"fields": comment_fields}, "error-token-expired.json")
    http = Http("Instagram")
    root = api.url_for("")

    def details(value):  # type: ignore[no-untyped-def]
        return mention_details(
            http=http,
            base_url=root,
            access_token=TOKEN,
            account_id=ACCOUNT,
            media_id=value["media_id"],
            comment_id=value.get("comment_id"),
        )

    ids = [c["value"] for c in body("webhook-mentions.json")["entry"][0]["changes"]]
    comment = details(ids[0])
    assert isinstance(comment, dict)
    # the external and thread ids the webhook mapping gave the event
    assert (comment["external_id"], comment["thread_id"]) == (
        in_comment["external_id"],
        in_comment["thread_id"],
    )
    assert comment == {
        "external_id": "17990011223344556",
        "posted_at": "2026-03-03T21:12:40+00:00",
        "text": "@bakkerij.alpha jullie brood heeft mijn hele gezin ziek gemaakt",
        "author": {"handle": "sanne.kookt"},
        "platform": "instagram",
        "thread_id": "18222333444555666",
        "url": "https://www.instagram.com/p/DGzSanne001/",
        "likes": 3,
    }
    caption = details(ids[1])
    assert isinstance(caption, dict)
    assert (caption["external_id"], caption["thread_id"]) == (
        in_caption["external_id"],
        in_caption["thread_id"],
    )
    assert (caption["author"], caption["likes"], caption["comments"]) == (
        {"handle": "foodblog.amsterdam"},
        230,
        41,
    )
    for item in (comment, caption):
        assert isinstance(validate_item(item), dict)
    missing = details(ids[0])
    assert isinstance(missing, Invalid)
    assert missing.reason == "Instagram's answer has no mentioned_comment"
    with pytest.raises(AuthFailed, match="Set a new access token"):
        details(ids[0])
    api.check_assertions()


def test_page_post_details_complete_a_page_mention_under_its_own_ids(api):
    (hooked,), _ = meta_items(body("webhook-page-mention.json"))  # type: ignore[misc]
    fields = {"fields": PAGE_POST_FIELDS}
    expect(api, f"/{POST}", fields, "page-post.json")
    expect(api, f"/{POST}", fields, "page-post-no-time.json")
    http = Http("Facebook")

    def details():  # type: ignore[no-untyped-def]
        return page_post_details(
            http=http, base_url=api.url_for(""), access_token=TOKEN, post_id=POST
        )

    post = details()
    assert isinstance(post, dict)
    assert (post["external_id"], post["thread_id"], post["author"]) == (
        hooked["external_id"],
        hooked["thread_id"],
        hooked["author"],
    )
    assert post["text"] == (
        "Mijn kinderen zijn ziek van het brood van Bakkerij Alpha. Wat gaan jullie doen?"
    )
    assert post["url"] == "https://www.facebook.com/7730012/posts/5501234"
    assert post["posted_at"] == datetime(2026, 3, 3, 18, 20, tzinfo=UTC).isoformat()
    assert isinstance(validate_item(post), dict)
    unusable = details()
    assert isinstance(unusable, Invalid)
    assert unusable.reason == "a Facebook post without a created_time"
    api.check_assertions()


def test_page_post_details_with_a_comment_id_complete_a_comment_mention_under_its_own_ids(api):
    """A Page `mention` whose item is "comment" is the comment, read on its own: under the
    comment's id, in its post's thread, answering the comment Graph names as its parent."""
    hook = body("webhook-page-mention-comment.json")
    (hooked,), _ = meta_items(hook)  # type: ignore[misc]
    value = hook["entry"][0]["changes"][0]["value"]
    fields = {"fields": PAGE_COMMENT_FIELDS}
    expect(api, f"/{COMMENT}", fields, "page-comment.json")
    expect(api, f"/{REPLY}", fields, "page-comment-reply.json")
    expect(api, f"/{COMMENT}", fields, "page-comment-no-time.json")
    expect(api, f"/{COMMENT}", fields, "error-comment-gone.json")
    http = Http("Facebook")

    def details(comment_id: str):  # type: ignore[no-untyped-def]
        return page_post_details(
            http=http,
            base_url=api.url_for(""),
            access_token=TOKEN,
            post_id=value["post_id"],
            comment_id=comment_id,
        )

    comment = details(value["comment_id"])
    assert isinstance(comment, dict)
    # the ids, author and time the webhook mapping gave the event
    same = ("external_id", "thread_id", "parent_id", "author", "posted_at", "platform")
    assert {k: comment[k] for k in same} == {k: hooked[k] for k in same}
    assert comment == {
        "external_id": COMMENT,
        "posted_at": "2026-03-03T18:29:00+00:00",
        "text": "Bakkerij Alpha, wij ook! Onze zoon lag twee dagen ziek na jullie zuurdesem.",
        "url": "https://www.facebook.com/7730012/posts/5501234?comment_id=7712001",
        "author": {"handle": "7731190", "display_name": "Pieter Smit"},
        "platform": "facebook",
        "thread_id": POST,
        "parent_id": "",
    }
    # a reply: the comment it answers is its parent, the post still its thread
    reply = details(REPLY)
    assert isinstance(reply, dict)
    assert (reply["external_id"], reply["thread_id"], reply["parent_id"]) == (
        REPLY,
        POST,
        "5501234_7711990",
    )
    assert reply["author"] == {"handle": "7731244", "display_name": "Anouk de Graaf"}
    for item in (comment, reply):
        assert isinstance(validate_item(item), dict)
    unusable = details(COMMENT)
    assert isinstance(unusable, Invalid)
    assert unusable.reason == "a Facebook comment without a created_time"
    with pytest.raises(
        ConnectorError, match=r"^Facebook cannot read this \(code 100, subcode 33\)"
    ):
        details(COMMENT)
    api.check_assertions()
