"""X recent search: the real polling service against recorded X API v2 responses served
locally: a pass paged down with next_token then only what is newer (since_id), a restart and a
429 mid-pass resumed with no gap and no duplicate, an expired token or a stale since_id that
does not leave the source stuck, posts that cannot be mentions dead-lettered once when a pass
lists them again, refused tokens and queries in X's words, test connection, and the other brand
kept apart."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from clients import tenancy
from monitoring.connectors.x import XRecentSearch, search_query, tweet_item
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

SEARCH = "/2/tweets/search/recent"
TOKEN = "AAAAAAAAAAAAAAAAAAAAAAlphaTestBearer%3DToken"
NEXT = "b26v89c19zqg8o3fpe17gr4rd4bgm3z1y4sxhvb7nowzx"
QUERY = '("bakkerij alpha" OR #alphabakery)'
PAGE1 = {"2031443724596150321", "2031443133199286404", "2031440247518134311"}
PAGE2 = {"2031436170654646530", "2031434912363446299"}
LATER = {"2031446614471606330", "2031445519758262417"}


x_api = local_api(XRecentSearch)
recordings = Recordings("x")
body, recorded = recordings.body, recordings.response


def search(**params: str) -> dict[str, str]:
    """The query string of a recent search for the brand."""
    return {
        "query": QUERY,
        "max_results": "100",
        "tweet.fields": "created_at,lang,conversation_id,in_reply_to_user_id,referenced_tweets,"
        "public_metrics,author_id,note_tweet,entities",
        "expansions": "author_id,referenced_tweets.id,referenced_tweets.id.author_id",
        "user.fields": "username,name,public_metrics",
    } | params


def bearer(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


x_source = source_factory(
    name="Alpha on X",
    platform="x",
    kind="keyword",
    settings={"keywords": ["bakkerij alpha"], "hashtag": "alphabakery"},
    credentials={"bearer_token": TOKEN},
)


def test_a_pass_pages_down_then_only_what_is_newer_is_asked(world, x_api):
    x_api.expect_ordered_request(SEARCH, query_string=search(), headers=bearer()).respond_with_json(
        body("search-page1.json")
    )
    x_api.expect_ordered_request(SEARCH, query_string=search(next_token=NEXT)).respond_with_json(
        body("search-page2.json")
    )
    newest = "2031443724596150321"
    x_api.expect_ordered_request(SEARCH, query_string=search(since_id=newest)).respond_with_json(
        body("search-later.json")
    )
    x_api.expect_ordered_request(
        SEARCH, query_string=search(since_id="2031446614471606330")
    ).respond_with_json(body("search-empty.json"))
    source = x_source(world.alpha)

    first = poll(world.alpha, source)
    assert (first.pages, first.accepted, first.duplicates, first.rejected) == (2, 5, 0, 0)
    assert first.error == ""
    assert stored(world.alpha) == PAGE1 | PAGE2
    assert reload(world.alpha, source).poll_cursor == {"since_id": newest}
    with tenancy.tenant_context(world.alpha):
        post = Mention.objects.select_related("author").get(external_id=newest)
        reply = Mention.objects.get(external_id="2031443133199286404")
        long = Mention.objects.get(external_id="2031440247518134311")
        hashtags = Mention.objects.get(external_id="2031436170654646530")
        orphan = Mention.objects.get(external_id="2031434912363446299")
    assert post.text.startswith("Ziek geworden van het zuurdesembrood van @BakkerijAlpha.")
    assert post.url == f"https://x.com/jeroen_v/status/{newest}"
    assert post.posted_at.isoformat() == "2026-03-10T18:55:01+00:00"
    assert (post.author.handle, post.author.display_name, post.author.followers) == (
        "jeroen_v",
        "Jeroen V.",
        1840,
    )
    assert (post.platform, post.language, post.thread_id, post.parent_id) == ("x", "nl", newest, "")
    assert (post.likes, post.shares, post.comments, post.views) == (12, 32, 4, 5412)
    assert (reply.thread_id, reply.parent_id) == ("2031440247518134311", "2031440247518134311")
    assert long.text.endswith("Hoeveel mensen moeten er nog ziek worden?")  # the whole note
    assert hashtags.language == ""  # "qht": hashtags only
    assert orphan.author is None  # X could not expand a suspended author
    assert orphan.url == "https://x.com/i/web/status/2031434912363446299"
    assert orphan.raw == {"data": body("search-page2.json")["data"][1]}

    second = poll(world.alpha, source)
    assert (second.pages, second.accepted, second.duplicates) == (1, 2, 0)
    assert stored(world.alpha) == PAGE1 | PAGE2 | LATER
    assert poll(world.alpha, source).accepted == 0
    x_api.check_assertions()
    with tenancy.tenant_context(world.bravo):
        assert not Mention.objects.exists()


def test_a_restart_mid_pass_resumes_with_the_token_and_leaves_no_gap(world, x_api):
    x_api.expect_ordered_request(SEARCH, query_string=search()).respond_with_json(
        body("search-page1.json")
    )
    x_api.expect_ordered_request(SEARCH, query_string=search(next_token=NEXT)).respond_with_json(
        body("search-page2.json")
    )
    # posts made during the pass are newer than its first page: the next pass takes them
    x_api.expect_ordered_request(
        SEARCH, query_string=search(since_id="2031443724596150321")
    ).respond_with_json(body("search-later.json"))
    source = x_source(world.alpha)

    first = poll(world.alpha, source, max_pages=1)  # the worker stops after one page
    assert (first.pages, first.accepted) == (1, 3)
    assert stored(world.alpha) == PAGE1
    assert reload(world.alpha, source).poll_cursor == {
        "pass": {
            "next_token": NEXT,
            "newest_id": "2031443724596150321",
            "oldest_id": "2031440247518134311",
        }
    }
    resumed = poll(world.alpha, source)
    assert (resumed.pages, resumed.accepted, resumed.duplicates) == (1, 2, 0)
    assert stored(world.alpha) == PAGE1 | PAGE2
    assert poll(world.alpha, source).accepted == 2
    assert stored(world.alpha) == PAGE1 | PAGE2 | LATER
    x_api.check_assertions()


def test_a_429_waits_for_the_reset_and_loses_nothing(world, x_api):
    reset = int(time.time()) + 300
    x_api.expect_ordered_request(SEARCH, query_string=search()).respond_with_json(
        body("search-page1.json")
    )
    x_api.expect_ordered_request(
        SEARCH, query_string=search(next_token=NEXT)
    ).respond_with_response(recorded("error-rate-limited.json", reset=reset))
    x_api.expect_ordered_request(SEARCH, query_string=search(next_token=NEXT)).respond_with_json(
        body("search-page2.json")
    )
    source = x_source(world.alpha)

    before = timezone.now()
    limited = poll(world.alpha, source)
    assert (limited.pages, limited.accepted) == (1, 3)
    assert limited.error.startswith("X rate limit reached: Too Many Requests (retry after")
    assert_waits(world.alpha, source, limited, since=before, between=(290, 310))

    resumed = poll(world.alpha, source)  # after the reset
    assert (resumed.pages, resumed.accepted, resumed.duplicates, resumed.error) == (1, 2, 0, "")
    assert stored(world.alpha) == PAGE1 | PAGE2
    assert reload(world.alpha, source).poll_failures == 0
    x_api.check_assertions()


def test_an_expired_next_token_continues_below_the_oldest_stored_post(world, x_api):
    x_api.expect_ordered_request(SEARCH, query_string=search()).respond_with_json(
        body("search-page1.json")
    )
    x_api.expect_ordered_request(
        SEARCH, query_string=search(next_token=NEXT)
    ).respond_with_response(recorded("error-invalid-next-token.json"))
    x_api.expect_ordered_request(
        SEARCH, query_string=search(until_id="2031440247518134311")
    ).respond_with_json(body("search-page2.json"))
    source = x_source(world.alpha)
    assert poll(world.alpha, source, max_pages=1).accepted == 3
    # days later: X no longer knows the token
    resumed = poll(world.alpha, source)
    assert (resumed.accepted, resumed.duplicates, resumed.error) == (2, 0, "")
    assert stored(world.alpha) == PAGE1 | PAGE2
    assert reload(world.alpha, source).poll_cursor == {"since_id": "2031443724596150321"}
    x_api.check_assertions()


def test_a_since_id_older_than_seven_days_is_dropped_not_stuck(world, x_api):
    stale = "2028800000000000000"
    x_api.expect_ordered_request(SEARCH, query_string=search(since_id=stale)).respond_with_response(
        recorded("error-since-id-too-old.json")
    )
    x_api.expect_ordered_request(SEARCH, query_string=search()).respond_with_json(
        body("search-later.json")
    )
    source = x_source(world.alpha)
    with tenancy.tenant_context(world.alpha):
        Source.objects.filter(pk=source.pk).update(poll_cursor={"since_id": stale})
    result = poll(world.alpha, source)  # a source paused for a week and more
    assert (result.accepted, result.error) == (2, "")
    assert reload(world.alpha, source).poll_cursor == {"since_id": "2031446614471606330"}


def test_refused_tokens_and_queries_are_health_errors_in_xs_words(world, x_api):
    x_api.expect_request(SEARCH, headers=bearer("revoked")).respond_with_response(
        recorded("error-unauthorized.json")
    )
    x_api.expect_request(
        SEARCH, query_string=search(query="(bakkerij alpha")
    ).respond_with_response(recorded("error-invalid-query.json"))
    revoked = x_source(world.alpha, credentials={"bearer_token": "revoked"})
    result = poll(world.alpha, revoked)
    assert result.error == (
        "X refused the credentials (401): Unauthorized. Set new credentials on the source."
    )
    assert next_poll(world.alpha, revoked) > timezone.now() + timedelta(minutes=55)

    broken = x_source(world.alpha, name="typo", settings={"query": "(bakkerij alpha"})
    result = poll(world.alpha, broken)
    assert result.error == (
        "X refused the search (400): There were errors processing your request: "
        "missing close paren (at position 1)"
    )
    assert reload(world.alpha, broken).last_error == result.error
    assert reload(world.alpha, broken).poll_cursor == {}
    assert stored(world.alpha) == set()


def test_test_connection_searches_ten_posts_and_says_what_is_wrong(world, x_api):
    x_api.expect_request(
        SEARCH, query_string=search(max_results="10"), headers=bearer()
    ).respond_with_json(body("search-page1.json"), headers={"x-rate-limit-remaining": "449"})
    x_api.expect_request(SEARCH, headers=bearer("revoked")).respond_with_response(
        recorded("error-unauthorized.json")
    )
    good = x_source(world.alpha)
    revoked = x_source(world.alpha, name="old token", credentials={"bearer_token": "revoked"})
    empty = x_source(world.alpha, name="empty", settings={}, credentials={})
    with tenancy.tenant_context(world.alpha):
        check = source_test_connection(client=world.alpha, source=good)
        assert check.ok is True
        assert check.message == (
            "X accepts the bearer token; the query finds 3 posts on a first page of 10 from "
            "the last seven days."
        )
        assert check.details == {"first_page": 3, "requests_left_in_window": 449}
        refused = source_test_connection(client=world.alpha, source=revoked)
        assert (refused.ok, refused.details) == (False, {"kind": "auth"})
        assert "refused the credentials (401): Unauthorized" in refused.message
        missing = source_test_connection(client=world.alpha, source=empty)
        assert missing.message.startswith("Missing setting 'query' (an X search query")
        assert "credential 'bearer_token'" in missing.message
        assert not Mention.objects.exists()  # a test stores nothing


def test_retweets_are_shares_of_their_original_which_comes_once_with_its_counts(world, x_api):
    x_api.expect_ordered_request(
        SEARCH, query_string=search(query="bakkerij alpha")
    ).respond_with_json(body("search-retweets-expanded.json"))
    source = x_source(world.alpha, settings={"query": "bakkerij alpha"})

    result = poll(world.alpha, source)
    assert (result.accepted, result.rejected, result.error) == (5, 0, "")
    original_id = "2031443724596150321"
    with tenancy.tenant_context(world.alpha):
        mentions = {m.external_id: m for m in Mention.objects.select_related("author")}
        original = mentions.pop(original_id)
        assert (original.author.handle, original.repost_of) == ("jeroen_v", "")
        assert (original.likes, original.shares, original.comments, original.views) == (
            40,
            34,
            12,
            5200,
        )
        assert original.text.endswith("#alphabakery #voedselveiligheid")  # whole, not cut
        foodwatch, lotte = mentions["2031449001122334455"], mentions["2031447902133411840"]
        for share in (foodwatch, lotte):
            assert share.repost_of == original_id
            assert share.text == original.text  # the original's words, not "RT @jeroen_v: …"
            assert share.thread_id == original_id
            # a retweet's public_metrics are the original's: none of its own
            assert (share.likes, share.shares, share.comments, share.views) == (None,) * 4
        assert (foodwatch.author.handle, foodwatch.author.followers) == ("foodwatch_nl", 48210)
        assert foodwatch.url == "https://x.com/foodwatch_nl/status/2031449001122334455"
        # the original of this one was not expanded (deleted or protected): its own text
        orphan = mentions["2031447105533165568"]
        assert (orphan.repost_of, orphan.thread_id) == ("2031440000000000001",) * 2
        assert orphan.text.startswith("RT @weg_account: ")
        assert mentions["2031447511001751552"].repost_of == ""
    # the same page again stores nothing twice
    x_api.expect_ordered_request(
        SEARCH, query_string=search(query="bakkerij alpha", since_id="2031449001122334455")
    ).respond_with_json(body("search-empty.json"))
    assert poll(world.alpha, source).accepted == 0
    with tenancy.tenant_context(world.bravo):
        assert not Mention.objects.exists()
    x_api.check_assertions()


def test_a_source_may_leave_retweets_out_and_a_retweet_that_comes_is_a_share(world, x_api):
    x_api.expect_ordered_request(
        SEARCH, query_string=search(query="bakkerij alpha -is:retweet")
    ).respond_with_json(body("search-retweets.json"))
    source = x_source(world.alpha, settings={"query": "bakkerij alpha", "retweets": False})

    result = poll(world.alpha, source)
    assert (result.accepted, result.rejected, result.error) == (4, 0, "")
    with tenancy.tenant_context(world.alpha):
        shares = Mention.objects.exclude(repost_of="").values_list("external_id", "repost_of")
        assert set(shares) == {
            ("2031447902133411840", "2031443724596150321"),
            ("2031447105533165568", "2031446614471606330"),
        }
        indonesian = Mention.objects.get(external_id="2031447511001751552")
        hebrew = Mention.objects.get(external_id="2031446802260873216")
    assert (indonesian.language, hebrew.language) == ("id", "he")  # X's "in" and "iw"
    assert reload(world.alpha, source).poll_cursor == {"since_id": "2031447902133411840"}
    x_api.check_assertions()


def test_a_post_without_impression_count_has_no_views_rather_than_zero():
    tweets = body("search-retweets.json")["data"]
    assert "views" not in tweet_item(tweets[1], None)  # X gave no impression_count
    assert tweet_item(tweets[3], None)["views"] == 118


def test_queries_are_built_from_keywords_and_hashtags():
    assert search_query({"query": "from:BakkerijAlpha"}) == "from:BakkerijAlpha"
    assert search_query({"keywords": "alpha bakery, alphabakery"}) == (
        '("alpha bakery" OR alphabakery)'
    )
    assert search_query({"hashtag": "#alphabakery"}) == "#alphabakery"
    # without retweets: X applies AND before OR, so the ORs are kept together
    no = {"retweets": "false"}
    assert search_query({"query": "from:BakkerijAlpha", **no}) == "from:BakkerijAlpha -is:retweet"
    assert search_query({"query": "alpha OR bravo lang:nl", **no}) == (
        "(alpha OR bravo lang:nl) -is:retweet"
    )
    # a query that says what it wants of retweets is sent as written
    assert search_query({"query": "alpha -is:retweet", **no}) == "alpha -is:retweet"
    assert search_query({"query": "from:BakkerijAlpha is:retweet", **no}) == (
        "from:BakkerijAlpha is:retweet"
    )
    assert search_query({"query": "alpha -is:RETWEET", **no}) == "alpha -is:RETWEET"
    assert search_query({"keywords": "alpha bakery, alphabakery", **no}) == (
        '("alpha bakery" OR alphabakery) -is:retweet'
    )
    assert search_query({"hashtag": "#alphabakery", "retweets": False}) == (
        "#alphabakery -is:retweet"
    )
    assert search_query({}) == ""
    assert XRecentSearch().base_url == "https://api.x.com"


def test_short_links_are_stored_as_the_addresses_they_lead_to():
    tweet = {
        "id": "2031450000000000001",
        "created_at": "2026-03-10T19:20:00.000Z",
        "text": "Bakkerij Alpha haalt brood terug https://t.co/Ab12Cd34Ef via @nos https://t.co/Zz9",
        "entities": {
            "urls": [
                {
                    "start": 33,
                    "end": 56,
                    "url": "https://t.co/Ab12Cd34Ef",
                    "expanded_url": "https://nos.nl/artikel/2561234-bakkerij-alpha-haalt-brood-terug",
                    "display_url": "nos.nl/artikel/256123…",
                    "unwound_url": "https://nos.nl/artikel/2561234-bakkerij-alpha-haalt-brood-terug",
                },
                {"url": "https://t.co/Zz9", "expanded_url": "https://x.com/nos/status/1/photo/1"},
                {"url": "https://t.co/gone"},  # no target given: left as it is
            ]
        },
    }
    assert tweet_item(tweet, None)["text"] == (
        "Bakkerij Alpha haalt brood terug "
        "https://nos.nl/artikel/2561234-bakkerij-alpha-haalt-brood-terug via @nos "
        "https://x.com/nos/status/1/photo/1"
    )
    # a long post's links are in note_tweet's own entities
    long = {
        **tweet,
        "note_tweet": {
            "text": "Lang verhaal https://t.co/Long1",
            "entities": {"urls": [{"url": "https://t.co/Long1", "expanded_url": "https://a.nl/"}]},
        },
    }
    assert tweet_item(long, None)["text"] == "Lang verhaal https://a.nl/"


def dead_letters(client) -> list[DeadLetter]:  # type: ignore[no-untyped-def]
    with tenancy.tenant_context(client):
        return list(DeadLetter.objects.order_by("pk"))


def test_posts_that_cannot_be_mentions_are_dead_letters_once_when_listed_again(world, x_api):
    """A post without an id and a null where a post should be: dead letters with the reason,
    the posts around them stored. A week later X refuses the since_id; the pass that reads the
    seven days again lists them again and files nothing twice."""
    x_api.expect_ordered_request(SEARCH, query_string=search()).respond_with_json(
        body("search-later-unreadable.json")
    )
    newest = "2031446614471606330"
    x_api.expect_ordered_request(
        SEARCH, query_string=search(since_id=newest)
    ).respond_with_response(recorded("error-since-id-too-old.json"))
    x_api.expect_ordered_request(SEARCH, query_string=search()).respond_with_json(
        body("search-later-unreadable.json")
    )
    source = x_source(world.alpha)

    first = poll(world.alpha, source)
    assert (first.pages, first.accepted, first.rejected, first.error) == (1, 2, 2, "")
    assert stored(world.alpha) == LATER
    listed = body("search-later-unreadable.json")
    letters = dead_letters(world.alpha)
    assert [(d.payload, d.errors[0]["message"]) for d in letters] == [
        (
            {"data": listed["data"][1], "includes": {"users": [listed["includes"]["users"][1]]}},
            "an X post without an id",
        ),
        (None, "an X post must be an object"),
    ]
    assert reload(world.alpha, source).poll_cursor["since_id"] == newest

    again = poll(world.alpha, source)
    assert (again.accepted, again.duplicates, again.rejected, again.error) == (0, 2, 0, "")
    assert [d.pk for d in dead_letters(world.alpha)] == [d.pk for d in letters]
    cursor = reload(world.alpha, source).poll_cursor
    assert cursor["since_id"] == newest and len(cursor["dead"]) == 2
    x_api.check_assertions()
    assert dead_letters(world.bravo) == [] and stored(world.bravo) == set()
