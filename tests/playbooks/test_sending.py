"""Sending replies and own posts through the platforms' APIs, against a local stand-in
(pytest-httpserver) serving each platform's recorded responses (tests/playbooks/recorded):
each platform's reply and, where it allows one, own post; 429s, refused tokens and 5xx in the
platform's words; a failed send frees the thread for a retry and a sent one is never sent
again; two people sending to the same post at once reach the platform once; crisis replies
wait for the approval of the account manager or the client; a brand's credentials are its own."""

from __future__ import annotations

import json
import re
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.db import connection
from pytest_httpserver import HTTPServer
from werkzeug import Request
from werkzeug import Response as WerkzeugResponse

from agency.exceptions import PermissionDeniedError
from agency.models import AuditEvent
from clients import tenancy
from clients.models import Client
from monitoring.connectors.base import Http
from monitoring.models import Mention, Source
from monitoring.services.ingestion import mentions_ingest
from playbooks.exceptions import IncidentError, ReplyOnceError
from playbooks.models import Incident, Response
from playbooks.senders import SENDERS
from playbooks.senders import bluesky as bluesky_sender
from playbooks.sending import (
    ResponseSendError,
    response_approval_require,
    response_approve,
    response_draft,
    response_send,
)
from playbooks.services import incident_open, response_record
from tests.monitoring.factories import make_source
from tests.monitoring.test_escalation import raise_alert

RECORDED = Path(__file__).parent / "recorded"
START = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)
TEXT = "We're sorry to hear this. We are looking into it: https://alpha.test/qa/k3"


def recorded(name: str, **values: Any) -> WerkzeugResponse:
    """A recorded response; "{name}" placeholders of `values` filled in (others stay)."""
    saved = json.loads((RECORDED / name).read_text())

    def filled(text: str) -> str:
        return re.sub(r"\{(\w+)\}", lambda m: str(values.get(m[1], m[0])), text)

    body = filled(saved["text"] if "text" in saved else json.dumps(saved["body"]))
    headers = {k: filled(v) for k, v in saved["headers"].items()}
    return WerkzeugResponse(body, status=saved["status"], headers=headers)


@pytest.fixture
def api(settings: Any, httpserver: HTTPServer) -> HTTPServer:
    """The stand-in as every platform's API root."""
    settings.CONNECTOR_BASE_URLS = {s.base_key: httpserver.url_for("") for s in SENDERS.values()}
    bluesky_sender._SESSIONS.clear()
    return httpserver


# What each platform's brand account source holds, and the mention a reply answers.
SOURCES: dict[str, dict[str, Any]] = {
    "facebook": {
        "credentials": {"access_token": "fb-page-token"},
        "settings": {"page_id": "112233445566778"},
    },
    "instagram": {"credentials": {"access_token": "ig-token"}, "settings": {"account_id": "1784"}},
    "x": {"credentials": {"access_token": "x-user-token"}, "settings": {"username": "alphabakery"}},
    "mastodon": {
        "credentials": {"access_token": "md-token"},
        "settings": {"instance": "https://mastodon.example"},
    },
    "bluesky": {
        "credentials": {"handle": "alphabakery.bsky.social", "app_password": "abcd-efgh-ijkl-mnop"},
        "settings": {"query": "alpha"},
    },
    "youtube": {
        "credentials": {"access_token": "yt-token"},
        "settings": {"channel_id": "UCalphabakery00000000000"},
    },
    "linkedin": {
        "credentials": {"access_token": "li-token"},
        "settings": {"organization_id": "2414183"},
    },
}
BSKY_PARENT = "at://did:plc:anna4k2/app.bsky.feed.post/3ljxpbbbbbb22"
BSKY_ROOT = "at://did:plc:brand9z/app.bsky.feed.post/3ljxpaaaaaa22"
MENTIONS: dict[str, dict[str, Any]] = {
    "facebook": {
        "external_id": "112233445566778_555",
        "thread_id": "112233445566778",
        "parent_id": "",
    },
    "instagram": {
        "external_id": "17900000000000001",
        "thread_id": "17800000000000009",
        "url": "https://www.instagram.com/p/DAbCdEf/",
    },
    "x": {"external_id": "1897300000000000001", "thread_id": "1897299999999999999"},
    "mastodon": {"external_id": "113456700000000001", "thread_id": "113456700000000001"},
    "bluesky": {"external_id": BSKY_PARENT, "thread_id": BSKY_ROOT},
    "youtube": {"external_id": "UgzDE2tasfmrYLyNkGt4AaABAg", "thread_id": "dQw4w9WgXcQ"},
    "linkedin": {
        "external_id": "urn:li:comment:(urn:li:activity:7301234567890123456,7301200000000000001)",
        "thread_id": "urn:li:activity:7301234567890123456",
    },
}
BSKY_RAW = {
    "uri": BSKY_PARENT,
    "cid": "bafyreiparentcid",
    "author": {"did": "did:plc:anna4k2", "handle": "anna.bsky.social"},
    "record": {
        "$type": "app.bsky.feed.post",
        "text": "Disgusting service, never again!",
        "createdAt": "2026-03-02T10:58:00Z",
        "reply": {
            "root": {"uri": BSKY_ROOT, "cid": "bafyreirootcid"},
            "parent": {"uri": BSKY_ROOT, "cid": "bafyreirootcid"},
        },
    },
}


def brand_incident(
    client: Client, platform: str, *, token: str | None = None
) -> tuple[Incident, Mention]:
    """A crisis incident on `client` with one negative mention on `platform`, and the brand's
    account source there (its token replaced by `token` when given)."""
    alert = raise_alert(client, at=START)
    spec = SOURCES[platform]
    credentials = dict(spec["credentials"])
    if token:
        credentials["access_token"] = token
    source = make_source(
        client,
        platform=platform,
        kind="owned",
        name=f"Brand on {platform}",
        credentials=credentials,
        settings=spec["settings"],
    )
    item = {
        "posted_at": START.isoformat(),
        "text": "Disgusting service, never again!",
        "author": {"handle": "anna", "followers": 100},
        "platform": platform,
    } | MENTIONS[platform]
    with tenancy.tenant_context(client):
        mentions_ingest(
            client=client,
            source=source,
            channel="api",
            items=[item],
            raws=[BSKY_RAW if platform == "bluesky" else item],
        )
        mention = Mention.objects.get()
        Mention.objects.update(wave=alert.wave, sentiment="neg")
        incident = incident_open(client=client, alert=alert, acting_user=None)  # type: ignore[arg-type]
    return incident, mention


def draft(
    world: Any, incident: Incident, platform: str, mention: Mention | None = None, **extra: Any
) -> Response:
    return response_draft(
        client=world.alpha,
        incident=incident,
        kind="reply" if mention is not None else "post",
        platform=platform,
        text=extra.pop("text", TEXT),
        mention=mention,
        acting_user=extra.pop("user", world.staff_a),
    )


def send(world: Any, response: Response, **extra: Any) -> Response:
    return response_send(
        client=world.alpha, response=response, acting_user=extra.pop("user", world.staff_a), **extra
    )


def sent_request(api: HTTPServer, n: int = -1) -> Request:
    return api.log[n][0]


# --- Each platform's reply -----------------------------------------------------------------

REPLIES: dict[str, tuple[str, str, str]] = {
    # platform: (the request's path, its recorded answer, the permalink)
    "facebook": (
        "/112233445566778_555/comments",
        "facebook-comment.json",
        "https://www.facebook.com/112233445566778_998877665544332",
    ),
    "instagram": (
        "/17900000000000001/replies",
        "instagram-reply.json",
        "https://www.instagram.com/p/DAbCdEf/",
    ),
    "x": ("/2/tweets", "x-created.json", "https://x.com/alphabakery/status/1897366125489362944"),
    "mastodon": (
        "/api/v1/statuses",
        "mastodon-status.json",
        "https://mastodon.example/@alphabakery/113456789012345678",
    ),
    "bluesky": (
        "/xrpc/com.atproto.repo.createRecord",
        "bluesky-created.json",
        "https://bsky.app/profile/alphabakery.bsky.social/post/",
    ),
    "youtube": (
        "/youtube/v3/comments",
        "youtube-comment.json",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ&lc=UgzDE2tasfmrYLyNkGt4AaABAg.A1b2C3d4E5fA1b2C3d4E5f",
    ),
    "linkedin": (
        "/rest/socialActions/urn:li:comment:(urn:li:activity:7301234567890123456,7301200000000000001)/comments",
        "linkedin-comment.json",
        "https://www.linkedin.com/feed/update/urn:li:activity:7301234567890123456",
    ),
}


def expect_session(api: HTTPServer) -> None:
    api.expect_oneshot_request(
        "/xrpc/com.atproto.server.createSession", method="POST"
    ).respond_with_response(recorded("bluesky-session.json"))


@pytest.mark.django_db
@pytest.mark.parametrize("platform", sorted(REPLIES))
def test_a_reply_goes_out_on_each_platform_in_its_api_format(world, api, platform):
    path, answer, permalink = REPLIES[platform]
    incident, mention = brand_incident(world.alpha, platform)
    if platform == "bluesky":
        expect_session(api)
    api.expect_oneshot_request(path, method="POST").respond_with_response(
        recorded(answer, rkey="3ljxq2m4zk22y")
    )
    with tenancy.tenant_context(world.alpha):
        response = send(world, draft(world, incident, platform, mention))
        assert response.status == "sent" and response.url.startswith(permalink)
        api.check_assertions()
        request = sent_request(api)
        token = SOURCES[platform]["credentials"].get("access_token", "")
        if platform == "bluesky":
            token = "eyJ0eXAiOiJhdCtqd3QiLCJhbGciOiJFUzI1NksifQ.access"
        assert request.headers["Authorization"] == f"Bearer {token}"
        body = request.get_json(silent=True) or dict(request.form)
        match platform:
            case "facebook" | "instagram":
                assert body == {"message": TEXT}
            case "x":
                assert body == {
                    "text": TEXT,
                    "reply": {"in_reply_to_tweet_id": "1897300000000000001"},
                }
            case "mastodon":
                assert body["in_reply_to_id"] == "113456700000000001"
                assert body["status"] == f"@anna {TEXT}"  # Mastodon notifies the named only
                assert (
                    request.headers["Idempotency-Key"]
                    == f"stormdesk-brand_alpha-response-{response.pk}"
                )
            case "bluesky":
                assert body["repo"] == "did:plc:alphabakery7q2xk4"
                assert body["record"]["reply"] == {
                    "root": {"uri": BSKY_ROOT, "cid": "bafyreirootcid"},
                    "parent": {"uri": BSKY_PARENT, "cid": "bafyreiparentcid"},
                }
                assert re.fullmatch(r"[234567a-j][2-7a-z]{12}", body["rkey"])
                assert response.url.endswith(body["rkey"])
            case "youtube":
                assert request.args["part"] == "snippet"
                assert body == {
                    "snippet": {"parentId": "UgzDE2tasfmrYLyNkGt4AaABAg", "textOriginal": TEXT}
                }
            case "linkedin":
                assert body["actor"] == "urn:li:organization:2414183"
                assert body["object"] == "urn:li:activity:7301234567890123456"
                assert body["parentComment"] == MENTIONS["linkedin"]["external_id"]
                assert request.headers["LinkedIn-Version"]
        event = incident.events.get(kind="response", note__contains="sent")
        assert event.actor == world.staff_a.email and response.url in event.note
    audit = AuditEvent.objects.get(verb="response.sent", client_slug="alpha")
    assert audit.detail["response"] == response.pk and audit.detail["external_id"]
    with tenancy.tenant_context(world.bravo):
        assert not Response.objects.exists()


# --- Own posts ---------------------------------------------------------------------------

POSTS: dict[str, tuple[str, str, str]] = {
    "facebook": (
        "/112233445566778/feed",
        "facebook-feed.json",
        "https://www.facebook.com/112233445566778_123456789012345",
    ),
    "x": ("/2/tweets", "x-created.json", "https://x.com/alphabakery/status/1897366125489362944"),
    "mastodon": (
        "/api/v1/statuses",
        "mastodon-status.json",
        "https://mastodon.example/@alphabakery/",
    ),
    "bluesky": (
        "/xrpc/com.atproto.repo.createRecord",
        "bluesky-created.json",
        "https://bsky.app/profile/alphabakery.bsky.social/post/",
    ),
    "linkedin": (
        "/rest/posts",
        "linkedin-post.json",
        "https://www.linkedin.com/feed/update/urn:li:share:7301300000000000000",
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("platform", sorted(POSTS))
def test_an_own_post_goes_out_where_the_platform_allows_one(world, api, platform):
    path, answer, permalink = POSTS[platform]
    incident, _ = brand_incident(world.alpha, platform)
    if platform == "bluesky":
        expect_session(api)
    api.expect_oneshot_request(path, method="POST").respond_with_response(recorded(answer))
    with tenancy.tenant_context(world.alpha):
        response = send(world, draft(world, incident, platform))
        assert response.status == "sent" and response.url.startswith(permalink)
        api.check_assertions()
        body = sent_request(api).get_json(silent=True) or dict(sent_request(api).form)
        match platform:
            case "facebook":
                assert body == {"message": TEXT}
            case "x":
                assert body == {"text": TEXT}
            case "mastodon":
                assert body["status"] == TEXT and "in_reply_to_id" not in body
            case "bluesky":
                assert body["record"]["text"] == TEXT and "reply" not in body["record"]
            case "linkedin":
                assert body["author"] == "urn:li:organization:2414183"
                assert body["commentary"] == TEXT and body["lifecycleState"] == "PUBLISHED"
        assert incident.events.filter(kind="response", note__startswith="Own post").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("platform", ["instagram", "youtube"])
def test_no_own_post_where_the_api_takes_none(world, api, platform):
    incident, _ = brand_incident(world.alpha, platform)
    with tenancy.tenant_context(world.alpha):
        response = draft(world, incident, platform)
        with pytest.raises(IncidentError, match="record it here with its URL"):
            send(world, response)
        assert Response.objects.get().status == "draft"
    assert not api.log


# --- Refusals in the platform's words ------------------------------------------------------

IN_5_MIN = {
    "reset": lambda: int(time.time()) + 300,
    "reset_iso": lambda: (datetime.now(UTC) + timedelta(minutes=5)).isoformat(),
    "wait": lambda: 120,
}
FAILURES = [
    # platform, recording, words expected, transient, seconds to wait (about)
    (
        "facebook",
        "graph-rate-limited.json",
        "Facebook rate limit reached: (#32) Page request limit reached",
        True,
        720,
    ),
    (
        "facebook",
        "graph-token-expired.json",
        "Facebook refused the token: Error validating access token: Session has expired",
        False,
        None,
    ),
    (
        "facebook",
        "graph-unavailable.json",
        "Facebook is having trouble (500, code 2): An unexpected error has occurred",
        True,
        None,
    ),
    (
        "instagram",
        "graph-token-expired.json",
        "Instagram refused the token: Error validating access token",
        False,
        None,
    ),
    ("x", "x-rate-limited.json", "X rate limit reached: Too Many Requests", True, 120),
    ("x", "x-unauthorized.json", "X refused the token: Unauthorized", False, None),
    (
        "x",
        "x-app-only.json",
        "X refused the token: Authenticating with OAuth 2.0 Application-Only is forbidden",
        False,
        None,
    ),
    ("x", "x-unavailable.json", "X is having trouble (503): Service Unavailable", True, None),
    (
        "mastodon",
        "mastodon-rate-limited.json",
        "Mastodon rate limit reached: Too many requests",
        True,
        300,
    ),
    (
        "mastodon",
        "mastodon-token-invalid.json",
        "Mastodon refused the token: The access token is invalid",
        False,
        None,
    ),
    (
        "mastodon",
        "mastodon-bad-gateway.json",
        "Mastodon is having trouble (502): <html>",
        True,
        None,
    ),
    (
        "bluesky",
        "bluesky-rate-limited.json",
        "Bluesky rate limit reached: Rate Limit Exceeded",
        True,
        300,
    ),
    (
        "bluesky",
        "bluesky-unavailable.json",
        "Bluesky is having trouble (503): Internal Server Error",
        True,
        None,
    ),
    (
        "youtube",
        "youtube-quota.json",
        "YouTube rate limit reached: The request cannot be completed because you have "
        "exceeded your quota",
        True,
        None,
    ),
    (
        "youtube",
        "youtube-rate-limited.json",
        "YouTube rate limit reached: Resource has been exhausted",
        True,
        120,
    ),
    (
        "youtube",
        "youtube-unauthenticated.json",
        "YouTube refused the token: Request had invalid authentication credentials",
        False,
        None,
    ),
    (
        "youtube",
        "youtube-unavailable.json",
        "YouTube is having trouble (503): The service is currently unavailable",
        True,
        None,
    ),
    (
        "linkedin",
        "linkedin-rate-limited.json",
        "LinkedIn rate limit reached: Resource level throttle APPLICATION DAY limit",
        True,
        None,
    ),
    (
        "linkedin",
        "linkedin-token-invalid.json",
        "LinkedIn refused the token: Invalid access token (serviceErrorCode 65600)",
        False,
        None,
    ),
    (
        "linkedin",
        "linkedin-gateway-timeout.json",
        "LinkedIn is having trouble (504): Request timed out",
        True,
        None,
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("platform", "answer", "words", "transient", "wait"), FAILURES)
def test_a_refusal_is_shown_in_the_platforms_words_and_frees_the_thread(
    world, api, platform, answer, words, transient, wait
):
    path = REPLIES[platform][0]
    incident, mention = brand_incident(world.alpha, platform)
    if platform == "bluesky":
        expect_session(api)
    values = {k: make() for k, make in IN_5_MIN.items()}
    api.expect_oneshot_request(path, method="POST").respond_with_response(
        recorded(answer, **values)
    )
    with tenancy.tenant_context(world.alpha):
        response = draft(world, incident, platform, mention)
        with pytest.raises(ResponseSendError) as refused:
            send(world, response)
        assert refused.value.message.startswith(words), refused.value.message
        assert refused.value.transient is transient and not refused.value.unknown
        if wait is not None:
            assert refused.value.retry_after == pytest.approx(wait, abs=5)
            assert refused.value.status == 429
        elif transient and "rate limit" in words:  # until a daily reset
            assert refused.value.retry_after and refused.value.retry_after > 60
        assert Response.objects.get().status == "failed"  # the slot is free again
        note = incident.events.get(kind="response").note
        assert (
            note
            == f"Reply #{response.pk} on {SENDERS[platform].name} failed: {refused.value.message}"
        )
        # Another person may reply to the thread now.
        api.expect_oneshot_request(path, method="POST").respond_with_response(
            recorded(REPLIES[platform][1], rkey="3ljxq2m4zk22y")
        )
        again = send(world, draft(world, incident, platform, mention, user=world.manager))
        assert again.status == "sent"
    api.check_assertions()
    failed = AuditEvent.objects.get(verb="response.failed", client_slug="alpha")
    assert failed.detail["error"] == refused.value.message


@pytest.mark.django_db
def test_bluesky_signs_in_again_once_when_the_session_expired(world, api):
    incident, mention = brand_incident(world.alpha, "bluesky")
    expect_session(api)
    path = REPLIES["bluesky"][0]
    api.expect_oneshot_request(path, method="POST").respond_with_response(
        recorded("bluesky-expired.json")
    )
    expect_session(api)
    api.expect_oneshot_request(path, method="POST").respond_with_response(
        recorded("bluesky-created.json")
    )
    with tenancy.tenant_context(world.alpha):
        assert send(world, draft(world, incident, "bluesky", mention)).status == "sent"
    api.check_assertions()
    first, second = (r.get_json() for r, _ in api.log if r.path == path)
    assert first["rkey"] == second["rkey"]  # the same record: never two posts


@pytest.mark.django_db
def test_a_refused_bluesky_sign_in_says_so(world, api):
    incident, mention = brand_incident(world.alpha, "bluesky")
    api.expect_oneshot_request(
        "/xrpc/com.atproto.server.createSession", method="POST"
    ).respond_with_response(recorded("bluesky-bad-password.json"))
    with tenancy.tenant_context(world.alpha):
        with pytest.raises(
            ResponseSendError, match="Bluesky refused the token: Invalid identifier or password"
        ):
            send(world, draft(world, incident, "bluesky", mention))
        assert Response.objects.get().status == "failed"


# --- Nothing twice -------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_failed_send_is_retried_and_a_sent_one_never_goes_out_again(world, api):
    incident, mention = brand_incident(world.alpha, "x")
    api.expect_oneshot_request("/2/tweets", method="POST").respond_with_response(
        recorded("x-unavailable.json")
    )
    api.expect_oneshot_request("/2/tweets", method="POST").respond_with_response(
        recorded("x-created.json")
    )
    with tenancy.tenant_context(world.alpha):
        response = draft(world, incident, "x", mention)
        with pytest.raises(ResponseSendError, match="X is having trouble"):
            send(world, response)
        assert send(world, response).status == "sent"
        assert send(world, response).status == "sent"  # a retry of a sent reply: no request
        again = draft(world, incident, "x", mention, user=world.manager)
        with pytest.raises(ReplyOnceError, match="Reply once: the brand answered in this thread"):
            send(world, again, user=world.manager)
        assert Response.objects.get(pk=again.pk).status == "draft"
    assert len(api.log) == 2
    api.check_assertions()


@pytest.mark.django_db
def test_a_reply_made_elsewhere_holds_the_thread_unless_the_lead_allows_a_second(world, api):
    incident, mention = brand_incident(world.alpha, "x")
    with tenancy.tenant_context(world.alpha):
        response_record(
            client=world.alpha,
            acting_user=world.staff_a,
            kind="reply",
            platform="x",
            text="Answered from the phone app.",
            url="https://x.com/alphabakery/status/1",
            mention=mention,
            incident=incident,
        )
        response = draft(world, incident, "x", mention)
        with pytest.raises(ReplyOnceError):
            send(world, response)
        assert not api.log
        with pytest.raises(PermissionDeniedError):
            send(world, response, override_reason="new facts")  # staff_a is not the lead
        api.expect_oneshot_request("/2/tweets", method="POST").respond_with_response(
            recorded("x-created.json")
        )
        sent = send(world, response, user=world.manager, override_reason="The recall is official")
        assert sent.status == "sent" and sent.override_reason == "The recall is official"
        assert "a second reply, allowed: The recall is official" in (
            incident.events.filter(kind="response").last().note  # type: ignore[union-attr]
        )
    api.check_assertions()


@pytest.mark.django_db
def test_an_unconfirmed_send_holds_the_thread_until_it_is_stale(world, api):
    """A request the platform did not answer may have gone out: the slot stays held, a second
    send is refused, and after 10 minutes a person may send it again."""
    incident, mention = brand_incident(world.alpha, "x")

    def slow(request: Request) -> WerkzeugResponse:
        time.sleep(0.5)
        return recorded("x-created.json")

    api.expect_oneshot_request("/2/tweets", method="POST").respond_with_handler(slow)
    impatient = Http("X", httpx.Client(timeout=httpx.Timeout(0.2, connect=2.0)))
    with tenancy.tenant_context(world.alpha):
        response = draft(world, incident, "x", mention)
        with pytest.raises(ResponseSendError, match="did not confirm") as unknown:
            send(world, response, http=impatient)
        assert unknown.value.unknown and not unknown.value.transient
        assert Response.objects.get().status == "sending"
        with pytest.raises(ResponseSendError, match="is being sent"):
            send(world, response)
        other = draft(world, incident, "x", mention, user=world.manager)
        with pytest.raises(ReplyOnceError):
            send(world, other, user=world.manager)
        assert "not confirmed" in incident.events.get(kind="response").note
        Response.objects.filter(pk=response.pk).update(sent_at=START)  # 10 minutes passed
        api.expect_oneshot_request("/2/tweets", method="POST").respond_with_response(
            recorded("x-created.json")
        )
        assert send(world, response).status == "sent"
    assert len(api.log) == 2


# --- Approval of crisis replies ------------------------------------------------------------


@pytest.mark.django_db
def test_a_crisis_reply_waits_for_the_account_manager_or_the_client(world, api):
    incident, mention = brand_incident(world.alpha, "x")  # a crisis
    with tenancy.tenant_context(world.alpha):
        with pytest.raises(PermissionDeniedError):
            response_approval_require(client=world.alpha, required=True, acting_user=world.staff_a)
        response_approval_require(client=world.alpha, required=True, acting_user=world.manager)
        response = draft(world, incident, "x", mention)
        with pytest.raises(PermissionDeniedError, match="needs the approval"):
            send(world, response)
        for outsider in (world.staff_a, world.viewer_b, world.staff_b):
            with pytest.raises(PermissionDeniedError):
                response_approve(client=world.alpha, response=response, acting_user=outsider)
        with pytest.raises(PermissionDeniedError):  # a viewer approves, never sends
            send(world, response, user=world.viewer_a)
        response_approve(client=world.alpha, response=response, acting_user=world.viewer_a)
        # An approval holds for the text approved.
        Response.objects.filter(pk=response.pk).update(text=TEXT + " Edited.")
        with pytest.raises(PermissionDeniedError, match="needs the approval"):
            send(world, response)
        assert not api.log
        Response.objects.filter(pk=response.pk).update(text=TEXT)
        api.expect_oneshot_request("/2/tweets", method="POST").respond_with_response(
            recorded("x-created.json")
        )
        assert send(world, response).status == "sent"
        notes = list(incident.events.filter(kind="response").values_list("actor", "note"))
        assert notes[0] == (world.viewer_a.email, f"Reply #{response.pk} on X approved for sending")
    with tenancy.tenant_context(world.bravo):
        assert not Response.objects.exists()
    api.check_assertions()


@pytest.mark.django_db
def test_without_the_brands_wish_no_approval_is_asked(world, api):
    incident, mention = brand_incident(world.alpha, "x")
    api.expect_oneshot_request("/2/tweets", method="POST").respond_with_response(
        recorded("x-created.json")
    )
    with tenancy.tenant_context(world.bravo):  # another brand's wish
        response_approval_require(client=world.bravo, required=True, acting_user=world.manager)
    with tenancy.tenant_context(world.alpha):
        assert send(world, draft(world, incident, "x", mention)).status == "sent"


# --- Brands' credentials -------------------------------------------------------------------


@pytest.mark.django_db
def test_each_brand_sends_with_its_own_credentials_only(world, api):
    alpha_incident, alpha_mention = brand_incident(world.alpha, "x", token="alpha-token")
    bravo_incident, bravo_mention = brand_incident(world.bravo, "x", token="bravo-token")
    api.expect_request("/2/tweets", method="POST").respond_with_response(recorded("x-created.json"))
    with tenancy.tenant_context(world.alpha):
        # A read-only source (the search's app token) is passed over for the account's.
        make_source(world.alpha, platform="x", credentials={"bearer_token": "app-only"})
        send(world, draft(world, alpha_incident, "x", alpha_mention))
    with tenancy.tenant_context(world.bravo):
        response_send(
            client=world.bravo,
            response=response_draft(
                client=world.bravo,
                incident=bravo_incident,
                kind="reply",
                platform="x",
                text="Vi beklagar.",
                mention=bravo_mention,
                acting_user=world.staff_b,
            ),
            acting_user=world.staff_b,
        )
        with pytest.raises(PermissionDeniedError):  # alpha's staff on bravo
            response_draft(
                client=world.bravo,
                incident=bravo_incident,
                kind="post",
                platform="x",
                text="Hello",
                acting_user=world.staff_a,
            )
    tokens = [r.headers["Authorization"] for r, _ in api.log]
    assert tokens == ["Bearer alpha-token", "Bearer bravo-token"]


@pytest.mark.django_db
def test_a_brand_without_a_source_that_may_write_is_told_what_to_set(world, api):
    incident, mention = brand_incident(world.alpha, "x")
    with tenancy.tenant_context(world.alpha):
        Source.objects.update(is_active=False)
        make_source(world.alpha, platform="x", credentials={"bearer_token": "app-only"})
        response = draft(world, incident, "x", mention)
        with pytest.raises(IncidentError, match="credential 'access_token'"):
            send(world, response)
        assert Response.objects.get().status == "draft"
    assert not api.log


# --- The race ------------------------------------------------------------------------------


def test_two_people_sending_to_the_same_post_at_once_reach_the_platform_once(world, committed, api):
    """Two threads, two database connections, one barrier: both send a reply to the same post
    at once; the claim lets one through, and one request reaches the stand-in."""
    audit_before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    incident, mention = brand_incident(world.alpha, "x")
    with tenancy.tenant_context(world.alpha):
        drafts = {
            user.email: draft(world, incident, "x", mention, user=user)
            for user in (world.staff_a, world.manager)
        }
    tenancy.reset_to_public()

    def slowly(request: Request) -> WerkzeugResponse:
        time.sleep(0.2)  # the platform takes its time: the other claim meets a held slot
        return recorded("x-created.json")

    api.expect_request("/2/tweets", method="POST").respond_with_handler(slowly)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def answer(user) -> None:  # type: ignore[no-untyped-def]
        try:
            with tenancy.tenant_context(world.alpha):
                barrier.wait(5)
                send(world, drafts[user.email], user=user)
            outcomes.append("sent")
        except ReplyOnceError:
            outcomes.append("refused")
        finally:
            connection.close()

    try:
        workers = [
            threading.Thread(target=answer, args=(p,)) for p in (world.staff_a, world.manager)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(20)
        assert sorted(outcomes) == ["refused", "sent"]
        assert len(api.log) == 1
        with tenancy.tenant_context(world.alpha):
            statuses = sorted(Response.objects.values_list("status", flat=True))
            assert statuses == ["draft", "sent"]
    finally:
        with tenancy.tenant_context(world.alpha):
            Response.objects.all().delete()
            Incident.objects.all().delete()
            Mention.objects.all().delete()
            incident.alert.delete()
            incident.wave.delete()
            Source.objects.all().delete()
        AuditEvent.objects.filter(id__gt=audit_before).delete()
        from agency.models import Notification

        Notification.objects.filter(client=world.alpha).delete()
        connection.close()
