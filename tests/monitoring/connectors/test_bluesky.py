"""Bluesky search: the real polling service against recorded XRPC responses served locally: a
signed-in session kept between polls (never in the cursor), a pass paged down with the search
cursor then only what is new (late-indexed posts included, nothing twice), authors' follower
counts from getProfiles, a restart and a 429 mid-pass resumed with no gap and no duplicate, an
expired session renewed, refused passwords and anonymous searches, posts that cannot be placed
in the pass dead-lettered once while the pass goes on, test connection, and the other brand
kept apart."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from clients import tenancy
from monitoring.connectors import bluesky
from monitoring.connectors.bluesky import BlueskySearch
from monitoring.models import DeadLetter, Mention
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

SEARCH = "/xrpc/app.bsky.feed.searchPosts"
PROFILES = "/xrpc/app.bsky.actor.getProfiles"
SESSION = "/xrpc/com.atproto.server.createSession"
LOGIN = {"handle": "alphadesk.bsky.social", "app_password": "abcd-efgh-ijkl-mnop"}
JEROEN, MARIEKE, FOODWATCH = (
    "did:plc:3jpt2mvvsumj2r7eqk4gzzjz",
    "did:plc:ragtjsm2j2vknwkz3zp4oxrd",
    "did:plc:z72i7hdynmk6r22z27h6tvur",
)
SANNE, GONE, ALPHA = (
    "did:plc:vwzwgnygau7ed7b7wt5ux7y2",
    "did:plc:kkf4naxqmweop7dv4l2iqqf5",
    "did:plc:44ybard66vv44zksje25o7dz",
)
FIRST = f"at://{JEROEN}/app.bsky.feed.post/3lk2xqvq5es2a"
PAGE1 = {
    FIRST,
    f"at://{FOODWATCH}/app.bsky.feed.post/3lk2xnl2p7k2c",
    f"at://{MARIEKE}/app.bsky.feed.post/3lk2xhwdd4s2y",
}
PAGE2 = {
    f"at://{SANNE}/app.bsky.feed.post/3lk2wzq2ftc2k",
    f"at://{GONE}/app.bsky.feed.post/3lk2wrw6mxk2p",
}
LATER = {
    f"at://{ALPHA}/app.bsky.feed.post/3lk2yhbuobc2s",
    f"at://{SANNE}/app.bsky.feed.post/3lk2y6mqg2k2f",
    f"at://{MARIEKE}/app.bsky.feed.post/3lk2xpdqnb22a",  # indexed late
}


@pytest.fixture(autouse=True)
def _fresh_sessions():
    """Sessions live in the worker's memory: each test starts without."""
    bluesky._SESSIONS.clear()


# one local server for the AppView and the account's server
api = local_api(BlueskySearch)
recordings = Recordings("bluesky")
body, recorded = recordings.body, recordings.response


def bearer(name: str = "session.json") -> dict[str, str]:
    return {"Authorization": f"Bearer {body(name)['accessJwt']}"}


def search(**params: str) -> dict[str, str]:
    return {"q": "bakkerij alpha", "sort": "latest", "limit": "100"} | params


def expect_session(server, name: str = "session.json") -> None:  # type: ignore[no-untyped-def]
    server.expect_ordered_request(
        SESSION,
        method="POST",
        json={"identifier": "alphadesk.bsky.social", "password": "abcd-efgh-ijkl-mnop"},
    ).respond_with_json(body(name))


def expect_profiles(server, dids: list[str], name: str, session: str = "session.json") -> None:  # type: ignore[no-untyped-def]
    server.expect_ordered_request(
        PROFILES, query_string=urlencode([("actors", d) for d in dids]), headers=bearer(session)
    ).respond_with_json(body(name))


bluesky_source = source_factory(
    name="Alpha on Bluesky",
    platform="bluesky",
    kind="keyword",
    settings={"query": "bakkerij alpha"},
    credentials=LOGIN,
)


def serve_first_pass(api) -> None:  # type: ignore[no-untyped-def]
    api.expect_ordered_request(SEARCH, query_string=search(), headers=bearer()).respond_with_json(
        body("search-page1.json")
    )
    expect_profiles(api, [JEROEN, MARIEKE, FOODWATCH], "profiles-page1.json")


def test_a_pass_pages_down_then_only_new_posts_late_ones_included(world, api):
    expect_session(api)
    serve_first_pass(api)
    api.expect_ordered_request(SEARCH, query_string=search(cursor="3")).respond_with_json(
        body("search-page2.json")
    )
    expect_profiles(api, [GONE, SANNE], "profiles-page2.json")
    # the next poll keeps the session and asks for nothing older than the overlap
    api.expect_ordered_request(
        SEARCH, query_string=search(since="2026-03-10T18:50:00Z"), headers=bearer()
    ).respond_with_json(body("search-later.json"))
    expect_profiles(api, [ALPHA, MARIEKE, SANNE], "profiles-later.json")
    source = bluesky_source(world.alpha)

    first = poll(world.alpha, source)
    assert (first.pages, first.accepted, first.duplicates, first.rejected, first.error) == (
        2,
        5,
        0,
        0,
        "",
    )
    assert stored(world.alpha) == PAGE1 | PAGE2
    cursor = reload(world.alpha, source).poll_cursor
    assert cursor["mark"] == pytest.approx(1773168901.123)
    assert set(cursor) == {"mark", "seen"} and set(cursor["seen"]) == {FIRST}
    assert "accessJwt" not in json.dumps(cursor) and "eyJ" not in json.dumps(cursor)
    with tenancy.tenant_context(world.alpha):
        post = Mention.objects.select_related("author").get(external_id=FIRST)
        reply = Mention.objects.get(
            external_id=f"at://{FOODWATCH}/app.bsky.feed.post/3lk2xnl2p7k2c"
        )
        bare = Mention.objects.get(external_id=f"at://{SANNE}/app.bsky.feed.post/3lk2wzq2ftc2k")
        gone = Mention.objects.select_related("author").get(
            external_id=f"at://{GONE}/app.bsky.feed.post/3lk2wrw6mxk2p"
        )
    assert post.text == (
        "Ziek geworden van het zuurdesembrood van Bakkerij Alpha. Drie mensen in ons gezin."
    )
    assert post.url == "https://bsky.app/profile/jeroen.bsky.social/post/3lk2xqvq5es2a"
    assert post.posted_at.isoformat() == "2026-03-10T18:55:01.123000+00:00"
    assert (post.author.handle, post.author.display_name, post.author.followers) == (
        "jeroen.bsky.social",
        "Jeroen 🍞",
        1840,
    )
    assert (post.platform, post.language, post.thread_id, post.parent_id) == (
        "bluesky",
        "nl",
        FIRST,
        "",
    )
    assert (post.likes, post.shares, post.comments) == (12, 32, 4)
    marieke = f"at://{MARIEKE}/app.bsky.feed.post/3lk2xhwdd4s2y"
    assert (reply.thread_id, reply.parent_id) == (marieke, marieke)
    assert bare.language == ""
    assert (gone.author.handle, gone.author.followers) == (GONE, None)  # an invalid handle
    assert gone.url == f"https://bsky.app/profile/{GONE}/post/3lk2wrw6mxk2p"

    second = poll(world.alpha, source)
    assert (second.pages, second.accepted, second.duplicates) == (1, 3, 0)
    assert stored(world.alpha) == PAGE1 | PAGE2 | LATER
    assert reload(world.alpha, source).poll_cursor["mark"] == pytest.approx(1773169590.0)
    api.check_assertions()
    with tenancy.tenant_context(world.bravo):
        assert not Mention.objects.exists()


def test_links_are_stored_whole_with_the_card_and_a_post_without_uri_is_a_dead_letter(world, api):
    """The text shows shortened links; the link facets (at UTF-8 byte offsets, here after
    multi-byte characters) have the full URIs, the external embed the article's card."""
    expect_session(api)
    api.expect_ordered_request(SEARCH, query_string=search(), headers=bearer()).respond_with_json(
        body("search-links.json")
    )
    expect_profiles(api, [SANNE], "profiles-page2.json")
    source = bluesky_source(world.alpha)

    result = poll(world.alpha, source)
    assert (result.accepted, result.rejected, result.error) == (1, 1, "")
    with tenancy.tenant_context(world.alpha):
        post = Mention.objects.get(external_id=f"at://{SANNE}/app.bsky.feed.post/3lk2zaq4vxs2b")
    article = (
        "https://www.nos.nl/artikel/2512345-bakkerij-alpha-roept-zuurdesembrood-terug-na-klachten"
    )
    assert post.text == (
        f"Café ☕ in Zwolle haalt het brood uit de schappen 😬 {article} — @bakkerijalpha.nl "
        "reageer! Zie ook "
        "https://www.nvwa.nl/nieuws-en-media/actueel/2026/03/10/waarschuwing-zuurdesembrood"
        "\n\nBakkerij Alpha roept zuurdesembrood terug na klachten"
    )
    api.check_assertions()


def test_a_restart_mid_pass_resumes_with_the_search_cursor(world, api):
    expect_session(api)
    serve_first_pass(api)
    api.expect_ordered_request(SEARCH, query_string=search(cursor="3")).respond_with_json(
        body("search-page2.json")
    )
    expect_profiles(api, [GONE, SANNE], "profiles-page2.json")
    source = bluesky_source(world.alpha)

    first = poll(world.alpha, source, max_pages=1)
    assert (first.pages, first.accepted) == (1, 3)
    cursor = reload(world.alpha, source).poll_cursor
    assert cursor["pass"] == {"cursor": "3", "top": pytest.approx(1773168901.123)}
    assert set(cursor["seen"]) == PAGE1
    resumed = poll(world.alpha, source)
    assert (resumed.pages, resumed.accepted, resumed.duplicates) == (1, 2, 0)
    assert stored(world.alpha) == PAGE1 | PAGE2
    api.check_assertions()


def test_a_429_waits_for_the_reset_and_loses_nothing(world, api):
    reset = int(time.time()) + 300
    expect_session(api)
    serve_first_pass(api)
    api.expect_ordered_request(SEARCH, query_string=search(cursor="3")).respond_with_response(
        recorded("error-rate-limited.json", reset=reset)
    )
    api.expect_ordered_request(SEARCH, query_string=search(cursor="3")).respond_with_json(
        body("search-page2.json")
    )
    expect_profiles(api, [GONE, SANNE], "profiles-page2.json")
    source = bluesky_source(world.alpha)

    before = timezone.now()
    limited = poll(world.alpha, source)
    assert (limited.pages, limited.accepted) == (1, 3)
    assert limited.error.startswith("Bluesky rate limit reached: Rate Limit Exceeded (retry after")
    assert_waits(world.alpha, source, limited, since=before, between=(290, 310))
    resumed = poll(world.alpha, source)
    assert (resumed.accepted, resumed.duplicates, resumed.error) == (2, 0, "")
    assert stored(world.alpha) == PAGE1 | PAGE2
    api.check_assertions()


def test_an_expired_session_signs_in_again_and_a_refused_password_is_a_health_error(world, api):
    expect_session(api)
    api.expect_ordered_request(SEARCH, headers=bearer()).respond_with_json(
        body("search-empty.json")
    )
    api.expect_ordered_request(SEARCH, headers=bearer()).respond_with_response(
        recorded("error-expired-token.json")
    )
    expect_session(api, "session-renewed.json")
    api.expect_ordered_request(SEARCH, headers=bearer("session-renewed.json")).respond_with_json(
        body("search-page2.json")
    )
    expect_profiles(api, [GONE, SANNE], "profiles-page2.json", session="session-renewed.json")
    source = bluesky_source(world.alpha)
    assert poll(world.alpha, source).error == ""
    renewed = poll(world.alpha, source)
    assert (renewed.accepted, renewed.error) == (2, "")
    assert stored(world.alpha) == PAGE2
    api.check_assertions()

    api.clear()
    bluesky._SESSIONS.clear()  # another worker, or the password was changed meanwhile
    api.expect_request(SESSION, method="POST").respond_with_response(
        recorded("error-bad-password.json")
    )
    refused = poll(world.alpha, source)
    assert refused.error == (
        "Bluesky refused the credentials (401): Invalid identifier or password. "
        "Set new credentials on the source."
    )
    assert next_poll(world.alpha, source) > timezone.now() + timedelta(minutes=55)


def test_anonymous_searches_use_the_appview_and_say_when_it_wants_an_account(world, api):
    api.expect_ordered_request(SEARCH, query_string=search()).respond_with_json(
        body("search-page2.json")
    )
    # reach is worth a request, not the page: a failing getProfiles stores posts without it
    api.expect_ordered_request(PROFILES).respond_with_json(
        {"error": "InternalServerError", "message": "Internal Server Error"}, status=500
    )
    api.expect_ordered_request(SEARCH).respond_with_response(recorded("error-auth-missing.json"))
    public = bluesky_source(world.alpha, credentials={})
    result = poll(world.alpha, public)
    assert (result.accepted, result.error) == (2, "")
    assert all("Authorization" not in request.headers for request, _ in api.log)
    with tenancy.tenant_context(world.alpha):
        assert set(Mention.objects.values_list("author__followers", flat=True)) == {None}

    refused = poll(world.alpha, bluesky_source(world.alpha, name="again", credentials={}))
    assert refused.error == (
        "Bluesky refused an anonymous request (403): Authentication Required. Set the "
        "credentials 'handle' and 'app_password' (an app password from Bluesky's settings) "
        "on the source."
    )
    api.check_assertions()


def test_platform_errors_are_in_blueskys_words(world, api):
    expect_session(api)
    api.expect_ordered_request(SEARCH).respond_with_response(recorded("error-invalid-request.json"))
    source = bluesky_source(world.alpha, settings={"query": '"bakkerij alpha'})
    result = poll(world.alpha, source)
    assert result.error == (
        "Bluesky refused the request (400): Error: query string could not be parsed: "
        "unbalanced quotes."
    )
    assert reload(world.alpha, source).poll_cursor == {}
    assert stored(world.alpha) == set()


def test_test_connection_signs_in_and_searches_one_post(world, api):
    newest = body("search-page1.json")["posts"][0]
    expect_session(api)
    api.expect_ordered_request(
        SEARCH, query_string=search(limit="1"), headers=bearer()
    ).respond_with_json({"cursor": "1", "hitsTotal": 57, "posts": [newest]})
    good = bluesky_source(world.alpha)
    half = bluesky_source(world.alpha, name="half", settings={}, credentials={"handle": "a.b"})
    with tenancy.tenant_context(world.alpha):
        check = source_test_connection(client=world.alpha, source=good)
        assert (check.ok, check.details) == (True, {"first_page": 1})
        assert check.message == (
            "Bluesky accepts @alphadesk.bsky.social's app password and answers the search "
            "(the newest post found is there)."
        )
        missing = source_test_connection(client=world.alpha, source=half)
        assert missing.message == (
            "Missing setting 'query' (what to search for, e.g. \"alpha bakery\") or 'hashtag', "
            "credentials 'handle' and 'app_password' together (or neither)."
        )
        assert not Mention.objects.exists()
    api.check_assertions()


def test_hosts():
    assert (BlueskySearch().base_url, BlueskySearch().pds_url) == (
        "https://public.api.bsky.app",
        "https://bsky.social",
    )
    local = BlueskySearch("http://localhost:8080/")
    assert (local.base_url, local.pds_url) == ("http://localhost:8080", "http://localhost:8080")


def dead_letters(client) -> list[DeadLetter]:  # type: ignore[no-untyped-def]
    with tenancy.tenant_context(client):
        return list(DeadLetter.objects.order_by("pk"))


def test_posts_without_a_time_or_a_record_are_dead_letters_once_and_the_pass_goes_on(world, api):
    """After the first pass, a post whose createdAt cannot be read and which has no indexedAt
    used to count as time 0, older than the floor: the pass stopped there, and the posts after
    it were never handed over. It is a dead letter now, as is a post whose record is not an
    object, and the pass goes on; a profile that is not an object costs nothing but itself.
    The next pass lists both again (the overlap) and files nothing twice."""
    expect_session(api)
    serve_first_pass(api)
    api.expect_ordered_request(SEARCH, query_string=search(cursor="3")).respond_with_json(
        body("search-page2.json")
    )
    expect_profiles(api, [GONE, SANNE], "profiles-page2.json")
    api.expect_ordered_request(
        SEARCH, query_string=search(since="2026-03-10T18:50:00Z"), headers=bearer()
    ).respond_with_json(body("search-later-unreadable.json"))
    expect_profiles(api, [ALPHA, MARIEKE, SANNE], "profiles-later-unreadable.json")
    # the pass after: the newest post less the overlap, the same listing
    api.expect_ordered_request(
        SEARCH, query_string=search(since="2026-03-10T19:01:29Z"), headers=bearer()
    ).respond_with_json(body("search-later-unreadable.json"))
    source = bluesky_source(world.alpha)
    assert poll(world.alpha, source).accepted == 5

    second = poll(world.alpha, source)
    assert (second.pages, second.accepted, second.duplicates, second.rejected, second.error) == (
        1,
        3,
        0,
        2,
        "",
    )
    assert stored(world.alpha) == PAGE1 | PAGE2 | LATER
    with tenancy.tenant_context(world.alpha):
        newest = Mention.objects.select_related("author").get(
            external_id=f"at://{ALPHA}/app.bsky.feed.post/3lk2yhbuobc2s"
        )
    assert newest.author.followers == 15200
    listed = body("search-later-unreadable.json")["posts"]
    letters = dead_letters(world.alpha)
    assert [(d.payload, d.errors) for d in letters] == [
        (
            listed[1],
            [
                {
                    "field": "item",
                    "message": "a Bluesky post view without its creation time (record.createdAt "
                    "or indexedAt)",
                }
            ],
        ),
        (
            listed[3],
            [{"field": "item", "message": "a Bluesky post view whose record is not an object"}],
        ),
    ]
    cursor = reload(world.alpha, source).poll_cursor
    assert cursor["mark"] == pytest.approx(1773169590.0) and "pass" not in cursor
    assert len(cursor["dead"]) == 2

    third = poll(world.alpha, source)
    assert (third.pages, third.accepted, third.duplicates, third.rejected) == (1, 0, 0, 0)
    assert [d.pk for d in dead_letters(world.alpha)] == [d.pk for d in letters]
    assert reload(world.alpha, source).poll_cursor == cursor
    api.check_assertions()
    assert dead_letters(world.bravo) == [] and stored(world.bravo) == set()
