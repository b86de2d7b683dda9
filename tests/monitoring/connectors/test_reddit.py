"""Reddit search: the real polling service against recorded Reddit OAuth and listing responses
served locally: an app-only token kept between polls (never in the cursor), a pass paged down
with `after` then only what is new (late-indexed posts included, nothing twice), a restart and a
429 mid-pass resumed with no gap and no duplicate, expired and refused credentials, a platform
error in Reddit's words, entries that cannot be placed in the pass dead-lettered once while the
pass goes on, test connection, and the other brand kept apart."""

from __future__ import annotations

import base64
import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from clients import tenancy
from monitoring.connectors import reddit
from monitoring.connectors.reddit import RedditSearch, search_query
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

TOKEN_PATH = "/api/v1/access_token"
SEARCH = "/search"
ALPHA_APP = {"client_id": "p-jcoLKBynTLew", "client_secret": "gko_LXELoV07ZBNUXrvWZfzE3aI"}
BRAVO_APP = {"client_id": "b-brAvoBoats01", "client_secret": "bravo_secret_0000000000000"}
QUERY = '"bakkerij alpha" OR alphabakery'
# t3_1j8q5ef, the third post of page 1, was removed before it was first listed: kept, marked
# deleted (a stored post removed since would be marked the same way).
REMOVED = "t3_1j8q5ef"
PAGE1 = {"t3_1j8q9ab", "t3_1j8q7cd", REMOVED}
PAGE2 = {"t3_1j8q3gh", "t3_1j8q1ij"}
LATER = {"t3_1j8qdkl", "t3_1j8qbmn", "t3_1j8q8zz"}


@pytest.fixture(autouse=True)
def _fresh_tokens():
    """Tokens live in the worker's memory: each test starts without."""
    reddit._TOKENS.clear()


# one local server for both hosts: the token URL follows the API root
api = local_api(RedditSearch)
recordings = Recordings("reddit")
body, recorded = recordings.body, recordings.response


def basic(app: dict[str, str]) -> dict[str, str]:
    pair = f"{app['client_id']}:{app['client_secret']}".encode()
    return {"Authorization": f"Basic {base64.b64encode(pair).decode()}"}


def bearer(name: str = "token.json") -> dict[str, str]:
    return {"Authorization": f"bearer {body(name)['access_token']}"}


def expect_token(server, app=ALPHA_APP, name: str = "token.json"):  # type: ignore[no-untyped-def]
    server.expect_ordered_request(
        TOKEN_PATH, method="POST", headers=basic(app), data="grant_type=client_credentials"
    ).respond_with_json(body(name))


def search(**params: str) -> dict[str, str]:
    return {"q": QUERY, "sort": "new", "limit": "100", "type": "link", "raw_json": "1"} | params


reddit_source = source_factory(
    name="Alpha on Reddit",
    platform="reddit",
    kind="keyword",
    settings={"keywords": ["bakkerij alpha", "alphabakery"]},
    credentials=ALPHA_APP,
)


def test_a_pass_pages_down_then_only_new_posts_late_ones_included(world, api):
    expect_token(api)
    api.expect_ordered_request(SEARCH, query_string=search(), headers=bearer()).respond_with_json(
        body("search-page1.json")
    )
    api.expect_ordered_request(
        SEARCH, query_string=search(after="t3_1j8q5ef"), headers=bearer()
    ).respond_with_json(body("search-page2.json"))
    # the next poll keeps the token; its listing goes on, but reaches posts handed over before
    api.expect_ordered_request(SEARCH, query_string=search(), headers=bearer()).respond_with_json(
        body("search-later.json")
    )
    source = reddit_source(world.alpha)

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
    # (the recorded posts are older than a day: none is kept to be read again for removals)
    assert cursor.pop("rechecked") >= time.time() - 60
    assert cursor == {"mark": 1773168600.0, "seen": {"t3_1j8q9ab": 1773168600.0}}
    assert "access_token" not in json.dumps(cursor)  # the token is a secret: not in the cursor
    with tenancy.tenant_context(world.alpha):
        post = Mention.objects.select_related("author").get(external_id="t3_1j8q9ab")
        link = Mention.objects.get(external_id="t3_1j8q7cd")
    assert post.text == (
        "Bakkerij Alpha zuurdesembrood - iemand anders ook ziek?\n\nSinds zaterdag liggen mijn "
        "vriendin en ik allebei plat. Enige wat we allebei gegeten hebben is het "
        "zuurdesembrood van Bakkerij Alpha. Klantenservice reageert niet."
    )
    assert post.url == (
        "https://www.reddit.com/r/thenetherlands/comments/1j8q9ab/"
        "bakkerij_alpha_zuurdesembrood_iemand_a/"
    )
    assert post.posted_at.isoformat() == "2026-03-10T18:50:00+00:00"
    assert (post.author.handle, post.author.followers) == ("brood_liefhebber", None)
    assert (post.platform, post.thread_id, post.parent_id) == ("reddit", "t3_1j8q9ab", "")
    assert (post.likes, post.shares, post.comments) == (154, 2, 87)
    assert post.raw["data"]["subreddit"] == "thenetherlands"
    assert link.text == (
        "Alpha Bakery recalls sourdough after customers fall ill\n"
        "https://nos.nl/artikel/2561234-bakkerij-alpha-haalt-brood-terug"
    )

    second = poll(world.alpha, source)
    assert (second.pages, second.accepted, second.duplicates) == (1, 3, 0)
    assert stored(world.alpha) == PAGE1 | PAGE2 | LATER  # t3_1j8q8zz was indexed late
    assert reload(world.alpha, source).poll_cursor["mark"] == 1773170400.0
    api.check_assertions()
    with tenancy.tenant_context(world.bravo):
        assert not Mention.objects.exists()


def test_a_restart_mid_pass_resumes_after_the_last_stored_page(world, api):
    expect_token(api)
    api.expect_ordered_request(SEARCH, query_string=search()).respond_with_json(
        body("search-page1.json")
    )
    api.expect_ordered_request(SEARCH, query_string=search(after="t3_1j8q5ef")).respond_with_json(
        body("search-page2.json")
    )
    api.expect_ordered_request(SEARCH, query_string=search()).respond_with_json(
        body("search-empty.json")
    )
    source = reddit_source(world.alpha)

    first = poll(world.alpha, source, max_pages=1)
    assert (first.pages, first.accepted) == (1, 3)
    assert stored(world.alpha) == PAGE1
    cursor = reload(world.alpha, source).poll_cursor
    assert cursor["pass"] == {"after": "t3_1j8q5ef", "top": 1773168600.0}
    assert "mark" not in cursor
    resumed = poll(world.alpha, source)
    assert (resumed.pages, resumed.accepted, resumed.duplicates) == (1, 2, 0)
    assert stored(world.alpha) == PAGE1 | PAGE2
    assert poll(world.alpha, source).accepted == 0  # an empty listing moves nothing
    assert reload(world.alpha, source).poll_cursor["mark"] == 1773168600.0
    api.check_assertions()


def test_a_429_waits_for_the_reset_and_loses_nothing(world, api):
    expect_token(api)
    api.expect_ordered_request(SEARCH, query_string=search()).respond_with_json(
        body("search-page1.json")
    )
    api.expect_ordered_request(
        SEARCH, query_string=search(after="t3_1j8q5ef")
    ).respond_with_response(recorded("error-rate-limited.json"))
    api.expect_ordered_request(SEARCH, query_string=search(after="t3_1j8q5ef")).respond_with_json(
        body("search-page2.json")
    )
    source = reddit_source(world.alpha)

    before = timezone.now()
    limited = poll(world.alpha, source)
    assert (limited.pages, limited.accepted) == (1, 3)
    assert limited.error == "Reddit rate limit reached: Too Many Requests (retry after 342 s)."
    assert_waits(world.alpha, source, limited, since=before, between=(340, 350))
    resumed = poll(world.alpha, source)
    assert (resumed.accepted, resumed.duplicates, resumed.error) == (2, 0, "")
    assert stored(world.alpha) == PAGE1 | PAGE2
    api.check_assertions()


def test_an_expired_token_is_renewed_and_a_refused_app_is_a_health_error(world, api):
    expect_token(api)
    api.expect_ordered_request(SEARCH, headers=bearer()).respond_with_json(
        body("search-empty.json")
    )
    # the kept token expired early: a new one, one more try
    api.expect_ordered_request(SEARCH, headers=bearer()).respond_with_response(
        recorded("error-unauthorized.json")
    )
    expect_token(api, name="token-renewed.json")
    api.expect_ordered_request(SEARCH, headers=bearer("token-renewed.json")).respond_with_json(
        body("search-page2.json")
    )
    # then the app's secret is revoked
    api.expect_ordered_request(SEARCH, headers=bearer("token-renewed.json")).respond_with_response(
        recorded("error-unauthorized.json")
    )
    api.expect_ordered_request(TOKEN_PATH, method="POST").respond_with_response(
        recorded("error-token-refused.json")
    )
    source = reddit_source(world.alpha)

    assert poll(world.alpha, source).error == ""
    renewed = poll(world.alpha, source)
    assert (renewed.accepted, renewed.error) == (2, "")
    refused = poll(world.alpha, source)
    assert refused.error == (
        "Reddit refused the credentials (401): Unauthorized. Set new credentials on the source."
    )
    source = reload(world.alpha, source)
    assert source.last_error == refused.error
    assert next_poll(world.alpha, source) > timezone.now() + timedelta(minutes=55)
    assert stored(world.alpha) == PAGE2
    api.check_assertions()


def test_each_brand_has_its_own_token_and_platform_errors_are_in_reddits_words(world, api):
    expect_token(api)
    api.expect_ordered_request(
        "/r/thenetherlands/search",
        query_string=search(q="alphabakery", restrict_sr="1"),
        headers=bearer(),
    ).respond_with_json(body("search-page2.json"))
    # bravo's app gets its own token; alpha's is never sent for it
    expect_token(api, app=BRAVO_APP, name="token-renewed.json")
    api.expect_ordered_request(
        "/r/bannedplace/search", headers=bearer("token-renewed.json")
    ).respond_with_response(recorded("error-banned-subreddit.json"))
    alpha = reddit_source(
        world.alpha, settings={"query": "alphabakery", "subreddit": "r/thenetherlands"}
    )
    bravo = reddit_source(
        world.bravo, settings={"query": "bravo", "subreddit": "bannedplace"}, credentials=BRAVO_APP
    )
    assert poll(world.alpha, alpha).accepted == 2
    result = poll(world.bravo, bravo)
    assert result.error == "Reddit refused the request (404): Not Found."
    assert reload(world.bravo, bravo).last_error == result.error
    assert stored(world.bravo) == set()
    assert stored(world.alpha) == PAGE2
    api.check_assertions()


def test_test_connection_asks_for_a_new_token_and_searches_five(world, api):
    expect_token(api)
    api.expect_ordered_request(
        SEARCH, query_string=search(limit="5"), headers=bearer()
    ).respond_with_json(body("search-page2.json"), headers={"x-ratelimit-remaining": "996.0"})
    api.expect_ordered_request(TOKEN_PATH, method="POST").respond_with_response(
        recorded("error-token-refused.json")
    )
    good = reddit_source(world.alpha)
    wrong = reddit_source(
        world.alpha, name="old app", credentials={**ALPHA_APP, "client_secret": "x"}
    )
    empty = reddit_source(world.alpha, name="empty", settings={}, credentials={})
    with tenancy.tenant_context(world.alpha):
        check = source_test_connection(client=world.alpha, source=good)
        assert (check.ok, check.details) == (
            True,
            {"first_page": 2, "requests_left_in_window": "996.0"},
        )
        assert check.message == (
            "Reddit accepts the app's credentials; the search finds 2 posts on a first page of 5."
        )
        refused = source_test_connection(client=world.alpha, source=wrong)
        assert (refused.ok, refused.details) == (False, {"kind": "auth"})
        assert refused.message.startswith("Reddit refused the credentials (401): Unauthorized.")
        missing = source_test_connection(client=world.alpha, source=empty)
        assert missing.message == (
            "Missing setting 'query' (a Reddit search, e.g. \"alpha bakery\" OR alphabakery) or "
            "'keywords', credential 'client_id' (the Reddit app's client id), credential "
            "'client_secret' (the Reddit app's secret)."
        )
        assert not Mention.objects.exists()
    api.check_assertions()


def test_removed_posts_deleted_authors_crossposts_and_link_posts(world, api):
    expect_token(api)
    api.expect_ordered_request(SEARCH, query_string=search()).respond_with_json(
        body("search-gone-and-linked.json")
    )
    source = reddit_source(world.alpha)

    result = poll(world.alpha, source)
    # removed by a moderator, deleted by its author: kept, marked deleted; a post without an
    # id: a dead letter with the reason; the pass moves on past all three
    assert (result.accepted, result.rejected, result.error) == (5, 1, "")
    assert stored(world.alpha) == {
        "t3_1j8qm01",
        "t3_1j8ql02",
        "t3_1j8qk03",
        "t3_1j8qj04",
        "t3_1j8qi05",
    }
    with tenancy.tenant_context(world.alpha):
        deleted = set(
            Mention.objects.filter(deleted_at__isnull=False).values_list("external_id", flat=True)
        )
    assert deleted == {"t3_1j8qm01", "t3_1j8ql02"}
    assert reload(world.alpha, source).poll_cursor["mark"] == 1773172800.0
    with tenancy.tenant_context(world.alpha):
        orphaned = Mention.objects.get(external_id="t3_1j8qk03")
        crosspost = Mention.objects.get(external_id="t3_1j8qj04")
        link = Mention.objects.get(external_id="t3_1j8qi05")
        dead = DeadLetter.objects.get()
    # the account is gone, the post is not: no author named "[deleted]"
    assert orphaned.author is None
    assert orphaned.text.endswith("Geld terug, maar geen excuses.")
    # a crosspost is a share of the original and joins its thread
    assert (crosspost.thread_id, crosspost.parent_id) == ("t3_1j8q9ab", "")
    assert crosspost.repost_of == "t3_1j8q9ab"
    assert crosspost.url == (
        "https://www.reddit.com/r/Amsterdam/comments/1j8qj04/"
        "bakkerij_alpha_zuurdesembrood_iemand_anders/"
    )
    # a link post keeps its link in the text, and the permalink as its url
    assert link.text == (
        "NVWA onderzoekt zuurdesembrood van Bakkerij Alpha\n"
        "https://www.rtl.nl/nieuws/nederland/artikel/5501234/nvwa-onderzoekt-bakkerij-alpha"
    )
    assert link.url == (
        "https://www.reddit.com/r/thenetherlands/comments/1j8qi05/"
        "nvwa_onderzoekt_zuurdesembrood_van_bakkerij/"
    )
    assert link.thread_id == "t3_1j8qi05"
    assert dead.errors == [{"field": "item", "message": "a Reddit post without an id or name"}]
    assert dead.payload["data"]["author"] == "half_kapot"
    api.check_assertions()


def test_hosts_and_queries():
    assert (RedditSearch().base_url, RedditSearch().auth_url) == (
        "https://oauth.reddit.com",
        "https://www.reddit.com",
    )
    local = RedditSearch("http://localhost:8080/")
    assert (local.base_url, local.auth_url) == ("http://localhost:8080", "http://localhost:8080")
    assert RedditSearch(auth_url="https://auth.example/").auth_url == "https://auth.example"
    assert search_query({"keywords": "alpha bakery, alphabakery"}) == (
        '"alpha bakery" OR alphabakery'
    )


def test_a_post_removed_after_it_was_stored_is_marked_deleted_by_the_recheck(world, api):
    # Posts of the last day, handed over live; half an hour later a moderator removed one.
    fresh = body("search-page1.json")
    now = time.time()
    for n, child in enumerate(fresh["data"]["children"]):
        child["data"]["created_utc"] = now - 3600 - 60 * n
        child["data"]["removed_by_category"] = None
        child["data"]["selftext"] = "Nog steeds geen antwoord van de klantenservice."
    fresh["data"]["after"] = None
    names = [c["data"]["name"] for c in fresh["data"]["children"]]
    expect_token(api)
    api.expect_ordered_request(SEARCH, query_string=search()).respond_with_json(fresh)
    source = reddit_source(world.alpha)
    assert poll(world.alpha, source).accepted == len(names)
    with tenancy.tenant_context(world.alpha):
        cursor = Source.objects.get(pk=source.pk).poll_cursor
        cursor["rechecked"] = now - reddit.RECHECK_EVERY - 1
        Source.objects.filter(pk=source.pk).update(poll_cursor=cursor)

    removed = {**fresh["data"]["children"][1]["data"], "selftext": "[removed]"}
    removed["removed_by_category"] = "moderator"
    info = {
        "kind": "Listing",
        "data": {
            "children": [
                {"kind": "t3", "data": fresh["data"]["children"][0]["data"]},
                {"kind": "t3", "data": removed},
                "not a thing",
            ],
            "after": None,
        },
    }
    empty = {"kind": "Listing", "data": {"children": [], "after": None}}
    api.expect_ordered_request(SEARCH).respond_with_json(empty)
    api.expect_ordered_request(
        "/api/info", query_string={"id": ",".join(names), "raw_json": "1"}
    ).respond_with_json(info)
    result = poll(world.alpha, source)
    assert (result.accepted, result.updated, result.error) == (0, 1, "")
    with tenancy.tenant_context(world.alpha):
        gone = Mention.objects.get(external_id=removed["name"])
        assert gone.deleted_at is not None and gone.text.startswith(removed["title"])
        assert Mention.objects.filter(deleted_at__isnull=True).count() == len(names) - 1
        # read once: the removed post is no longer rechecked
        assert removed["name"] not in Source.objects.get(pk=source.pk).poll_cursor["recent"]
    with tenancy.tenant_context(world.bravo):
        assert not Mention.objects.exists()
    api.check_assertions()


def dead_letters(client) -> list[DeadLetter]:  # type: ignore[no-untyped-def]
    with tenancy.tenant_context(client):
        return list(DeadLetter.objects.order_by("pk"))


def test_entries_that_cannot_be_placed_are_dead_letters_once_and_the_pass_goes_on(world, api):
    """After the first pass, a post without created_utc used to count as time 0, older than
    the floor: the pass stopped there and the posts after it were never handed over; an entry
    that is not a post (t3) was left out in silence. Each is a dead letter now, with a bare
    fullname and a post without its data, and the pass goes on. The next pass lists them all
    again and files nothing twice."""
    expect_token(api)
    api.expect_ordered_request(SEARCH, query_string=search()).respond_with_json(
        body("search-page1.json")
    )
    api.expect_ordered_request(SEARCH, query_string=search(after="t3_1j8q5ef")).respond_with_json(
        body("search-page2.json")
    )
    for _pass in range(2):
        api.expect_ordered_request(SEARCH, query_string=search()).respond_with_json(
            body("search-later-unreadable.json")
        )
    source = reddit_source(world.alpha)
    assert poll(world.alpha, source).accepted == 5

    second = poll(world.alpha, source)
    assert (second.pages, second.accepted, second.duplicates, second.rejected, second.error) == (
        1,
        3,
        0,
        4,
        "",
    )
    assert stored(world.alpha) == PAGE1 | PAGE2 | LATER
    listed = body("search-later-unreadable.json")["data"]["children"]
    letters = dead_letters(world.alpha)
    assert [(d.payload, d.errors[0]["message"]) for d in letters] == [
        (listed[1], "a Reddit post (t3) without its creation time (created_utc, in epoch seconds)"),
        (listed[2], "a Reddit listing entry of kind 't1', not a post (t3)"),
        (listed[3], "a Reddit listing entry must be an object"),
        (listed[4], "a Reddit post (t3) must have its data as an object"),
    ]
    assert {(d.source_id, d.channel, d.status) for d in letters} == {(source.pk, "poll", "open")}
    cursor = reload(world.alpha, source).poll_cursor
    assert cursor["mark"] == 1773170400.0 and "pass" not in cursor
    assert len(cursor["dead"]) == 4

    third = poll(world.alpha, source)
    assert (third.pages, third.accepted, third.duplicates, third.rejected) == (1, 0, 0, 0)
    assert [d.pk for d in dead_letters(world.alpha)] == [d.pk for d in letters]
    assert reload(world.alpha, source).poll_cursor == cursor
    api.check_assertions()
    assert dead_letters(world.bravo) == [] and stored(world.bravo) == set()
