"""TikTok: the real polling service against recorded Research API responses served locally:
a client token, a keyword query page by page, a walk resumed after a restart, a spent daily
limit or an expired search with no gap and no duplicate, tokens expiring and refused, unusable
videos dead-lettered once over overlapping windows, test connection, and the other brand kept
apart. The clock is fixed: TikTok queries by day."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from clients import tenancy
from monitoring.connectors import tiktok
from monitoring.connectors.tiktok import TikTokResearch
from monitoring.models import DeadLetter, Mention, Source
from monitoring.services.polling import source_test_connection
from tests.monitoring.connectors.helpers import (
    Recordings,
    assert_waits,
    local_api,
    next_poll,
    poll,
    reload,
    source_factory,
    stored,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
TOKEN, QUERY = "/v2/oauth/token/", "/v2/research/video/query/"
FIELDS = {
    "fields": "id,video_description,create_time,username,like_count,comment_count,"
    "share_count,view_count"
}
CLIENT = {"client_key": "awq9alphakey", "client_secret": "alpha-secret"}
KEYWORDS = {
    "and": [{"operation": "IN", "field_name": "keyword", "field_values": ["bakkerij alpha"]}]
}
SEARCH = "7342019285672940587"
FIRST = {f"734200000000000000{n}" for n in (1, 2, 3)}
SECOND = {f"734200000000000000{n}" for n in (4, 5)}


@pytest.fixture(autouse=True)
def _a_fixed_day_and_short_pages(monkeypatch):  # type: ignore[no-untyped-def]
    """TikTok queries by day: the clock is fixed. Pages of three videos keep the recordings
    short."""
    monkeypatch.setattr(tiktok, "utcnow", lambda: NOW)
    monkeypatch.setattr(tiktok, "MAX_COUNT", 3)


api = local_api(TikTokResearch)
body = Recordings("tiktok").body


def query(start: str = "20260301", **more: Any) -> dict[str, Any]:
    return {
        "query": KEYWORDS,
        "start_date": start,
        "end_date": "20260304",
        "max_count": 3,
    } | more


def expect_token(server, name: str = "token.json") -> None:  # type: ignore[no-untyped-def]
    server.expect_ordered_request(
        TOKEN,
        method="POST",
        data="client_key=awq9alphakey&client_secret=alpha-secret&grant_type=client_credentials",
    ).respond_with_json(body(name))


def expect_query(server, payload: dict[str, Any], name: str, status: int = 200, **kw):  # type: ignore[no-untyped-def]
    server.expect_ordered_request(
        QUERY, method="POST", query_string=FIELDS, json=payload
    ).respond_with_json(body(name), status=status, **kw)


research_source = source_factory(
    name="TikTok research",
    platform="tiktok",
    kind="keyword",
    settings={"keywords": ["bakkerij alpha"], "since": "2026-03-01"},
    credentials=CLIENT,
)


def test_videos_are_read_page_by_page_then_only_what_is_new(world, api):
    expect_token(api)
    expect_query(api, query(), "videos-page1.json")
    expect_query(api, query(cursor=3, search_id=SEARCH), "videos-page2.json")
    # the next poll: a new token, and the window again from two days back (TikTok lags)
    expect_token(api)
    expect_query(api, query(start="20260302"), "videos-later.json")
    source = research_source(world.alpha)

    first = poll(world.alpha, source)
    assert (first.pages, first.accepted, first.duplicates, first.error) == (2, 5, 0, "")
    assert stored(world.alpha) == FIRST | SECOND
    with tenancy.tenant_context(world.alpha):
        video = Mention.objects.select_related("author").get(external_id="7342000000000000001")
    assert video.text.startswith("Zuurdesembrood van Bakkerij Alpha teruggeroepen??")
    assert video.url == "https://www.tiktok.com/@jesse.bakes/video/7342000000000000001"
    assert (video.platform, video.author.handle) == ("tiktok", "jesse.bakes")
    assert (video.likes, video.comments, video.shares, video.views) == (1840, 212, 97, 48210)
    assert video.posted_at.isoformat() == "2026-03-03T18:30:00+00:00"
    cursor = reload(world.alpha, source).poll_cursor
    assert cursor["from"] == "20260302" and "walk" not in cursor
    assert "access_token" not in json.dumps(cursor)  # tokens are never stored

    second = poll(world.alpha, source)
    assert (second.accepted, second.duplicates, second.error) == (2, 0, "")
    assert stored(world.alpha) == FIRST | SECOND | {"7342000000000000006", "7342000000000000007"}
    api.check_assertions()
    assert stored(world.bravo) == set()


def test_a_restart_resumes_with_the_saved_search_id_and_cursor(world, api):
    expect_token(api)
    expect_query(api, query(), "videos-page1.json")
    expect_token(api)
    expect_query(api, query(cursor=3, search_id=SEARCH), "videos-page2.json")
    source = research_source(world.alpha)

    assert poll(world.alpha, source, max_pages=1).accepted == 3
    walk = reload(world.alpha, source).poll_cursor["walk"]
    assert walk == {"start": "20260301", "end": "20260304", "cursor": 3, "search_id": SEARCH}
    rest = poll(world.alpha, source)
    assert (rest.pages, rest.accepted, rest.duplicates) == (1, 2, 0)
    assert stored(world.alpha) == FIRST | SECOND
    api.check_assertions()


def test_the_documented_shape_video_id_and_no_username_and_a_video_without_an_id(world, api):
    # TikTok's sample response names the id `video_id` and has no username; one video has no
    # id at all: it is dead-lettered with the reason, not dropped, and the window moves on.
    expect_token(api)
    expect_query(api, query(), "videos-documented-shape.json")
    source = research_source(world.alpha)

    result = poll(world.alpha, source)
    assert (result.accepted, result.rejected, result.error) == (2, 1, "")
    assert stored(world.alpha) == {"7342000000000000011", "7342000000000000012"}
    with tenancy.tenant_context(world.alpha):
        renamed = Mention.objects.get(external_id="7342000000000000011")
        blank = Mention.objects.get(external_id="7342000000000000012")
        dead = DeadLetter.objects.get()
    assert renamed.author is None  # no made-up "unknown" author
    assert renamed.url == "https://www.tiktok.com/player/v1/7342000000000000011"
    assert renamed.text.startswith("Bakkerij Alpha haalt het zuurdesembrood")
    assert (renamed.views, renamed.comments) == (3310, 41)
    assert (blank.author, blank.url) == (
        None,
        "https://www.tiktok.com/player/v1/7342000000000000012",
    )
    assert dead.errors == [
        {"field": "item", "message": "a TikTok video without an id ('id' or 'video_id')"}
    ]
    assert dead.payload == body("videos-documented-shape.json")["data"]["videos"][1]
    assert reload(world.alpha, source).poll_cursor["from"] == "20260302"
    api.check_assertions()


def test_an_expired_search_restarts_the_window_without_duplicates(world, api):
    expect_token(api)
    expect_query(api, query(), "videos-page1.json")
    expect_token(api)
    expect_query(api, query(cursor=3, search_id=SEARCH), "error-invalid-search-id.json", status=400)
    expect_query(api, query(), "videos-page1.json")
    expect_query(api, query(cursor=3, search_id=SEARCH), "videos-page2.json")
    source = research_source(world.alpha)
    assert poll(world.alpha, source, max_pages=1).accepted == 3

    again = poll(world.alpha, source)
    assert (again.accepted, again.duplicates, again.error) == (2, 0, "")
    assert stored(world.alpha) == FIRST | SECOND
    api.check_assertions()


def test_a_spent_daily_limit_waits_until_midnight_utc_and_loses_nothing(world, api):
    expect_token(api)
    expect_query(api, query(), "videos-page1.json")
    expect_query(
        api,
        query(cursor=3, search_id=SEARCH),
        "error-rate-limit.json",
        status=429,
        headers={"X-Tt-Logid": "20260304120000C0FFEE0000000000002"},
    )
    expect_token(api)
    expect_query(api, query(cursor=3, search_id=SEARCH), "videos-page2.json")
    source = research_source(world.alpha)

    before = timezone.now()
    result = poll(world.alpha, source)
    assert (result.pages, result.accepted) == (1, 3)
    assert result.error == (
        "TikTok rate limit reached: API rate limit exceeded, please try again later "
        "(rate_limit_exceeded). The Research API allows 1,000 requests a day, reset at 00:00 "
        "UTC (retry after 43260 s)."  # 12 hours to midnight on the fixed clock, and a minute
    )
    assert_waits(world.alpha, source, result, since=before, between=(43_255, 43_265))

    after = poll(world.alpha, source)
    assert (after.accepted, after.duplicates, after.error) == (2, 0, "")
    assert stored(world.alpha) == FIRST | SECOND
    api.check_assertions()


def test_a_token_that_expires_during_a_poll_is_replaced_once(world, api):
    expect_token(api)
    expect_query(api, query(), "videos-page1.json")
    expect_query(
        api, query(cursor=3, search_id=SEARCH), "error-access-token-invalid.json", status=401
    )
    expect_token(api, "token-refreshed.json")
    api.expect_ordered_request(
        QUERY,
        method="POST",
        json=query(cursor=3, search_id=SEARCH),
        headers={"Authorization": "Bearer clt.2.Qm9hcmQtYWxwaGEtcmVzZWFyY2gtMg"},
    ).respond_with_json(body("videos-page2.json"))
    source = research_source(world.alpha)
    result = poll(world.alpha, source)
    assert (result.accepted, result.error) == (5, "")
    assert stored(world.alpha) == FIRST | SECOND
    api.check_assertions()


def test_refused_client_credentials_or_tokens_are_a_health_error(world, api):
    # TikTok's OAuth endpoint may answer a refusal with HTTP 200 and an error in the body
    expect_token(api, "token-invalid-client.json")
    source = research_source(world.alpha, credentials=CLIENT)
    result = poll(world.alpha, source)
    assert result.error == (
        "TikTok refused the credentials (200): Client key or secret is incorrect. Set new "
        "credentials on the source (the client of an approved Research API project)."
    )
    assert next_poll(world.alpha, source) > timezone.now() + timedelta(minutes=55)

    # a token refused as soon as it was issued: no second try
    expect_token(api)
    expect_query(api, query(), "error-access-token-invalid.json", status=401)
    result = poll(world.alpha, source)
    assert result.error == (
        "TikTok refused the credentials (401): The access token is invalid or not found in the "
        "request. Set new credentials on the source."
    )
    assert reload(world.alpha, source).last_error == result.error
    assert stored(world.alpha) == set()
    api.check_assertions()


def test_test_connection_says_whether_research_access_is_approved(world, api):
    one = {
        "query": KEYWORDS,
        "start_date": "20260302",
        "end_date": "20260304",
        "max_count": 1,
    }
    expect_token(api)
    expect_query(api, one, "videos-empty.json")
    expect_token(api)
    # an error in an HTTP 200 body
    expect_query(api, one, "error-scope-not-authorized.json")
    source = research_source(world.alpha)
    with tenancy.tenant_context(world.alpha):
        good = source_test_connection(client=world.alpha, source=source)
        assert (good.ok, good.message) == (
            True,
            "TikTok Research API answered: access approved, no videos match the keywords yet.",
        )
        refused = source_test_connection(client=world.alpha, source=source)
        assert refused.ok is False and refused.details == {"kind": "auth"}
        assert refused.message.startswith(
            "TikTok refused the credentials (200): The client does not have the "
            "research.data.basic scope"
        )
        bare = Source(platform="tiktok", kind="keyword", pull=True, settings={})
        missing = source_test_connection(client=world.alpha, source=bare)
        assert missing.ok is False and "setting 'keywords'" in missing.message
        assert not Mention.objects.exists()
    api.check_assertions()


def test_an_empty_answer_moves_the_window_and_brands_stay_apart(world, api):
    api.expect_request(TOKEN, method="POST").respond_with_json(body("token.json"))
    api.expect_request(QUERY, method="POST", json=query()).respond_with_json(
        body("videos-empty.json")
    )
    bravo = research_source(world.bravo, credentials={"client_key": "k", "client_secret": "s"})
    result = poll(world.bravo, bravo)
    assert (result.pages, result.accepted, result.error) == (1, 0, "")
    assert reload(world.bravo, bravo).poll_cursor == {"from": "20260302", "seen": {}}
    assert stored(world.bravo) == set() and stored(world.alpha) == set()


def dead_letters(client) -> list[DeadLetter]:  # type: ignore[no-untyped-def]
    with tenancy.tenant_context(client):
        return list(DeadLetter.objects.order_by("pk"))


def test_unusable_videos_are_dead_letters_once_over_overlapping_windows(world, api):
    """A video without its create_time and an id where a video should be: each a dead letter
    with the reason, the videos around them stored. The next window starts two days back
    (TikTok lags), lists them again and files nothing twice."""
    expect_token(api)
    expect_query(api, query(), "videos-unusable.json")
    expect_token(api)
    expect_query(api, query(start="20260302"), "videos-unusable.json")
    source = research_source(world.alpha)

    first = poll(world.alpha, source)
    assert (first.pages, first.accepted, first.rejected, first.error) == (1, 2, 2, "")
    assert stored(world.alpha) == {"7342000000000000001", "7342000000000000003"}
    listed = body("videos-unusable.json")["data"]["videos"]
    letters = dead_letters(world.alpha)
    assert [(d.payload, d.errors[0]["message"]) for d in letters] == [
        (listed[1], "a TikTok video without a create_time in Unix seconds"),
        (listed[2], "a TikTok video must be an object, not str"),
    ]
    cursor = reload(world.alpha, source).poll_cursor
    assert cursor["from"] == "20260302"

    second = poll(world.alpha, source)
    assert (second.pages, second.accepted, second.duplicates, second.rejected) == (1, 0, 0, 0)
    assert [d.pk for d in dead_letters(world.alpha)] == [d.pk for d in letters]
    assert reload(world.alpha, source).poll_cursor == cursor and len(cursor["dead"]) == 2
    api.check_assertions()
    assert dead_letters(world.bravo) == [] and stored(world.bravo) == set()
