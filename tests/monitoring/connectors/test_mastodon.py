"""Mastodon: the real polling service against recorded Mastodon REST responses served locally
(the source's instance is the local server): a hashtag read forward with min_id and the Link
header, a statuses search paged by offset above its min_id, a restart and a 429 (with its ISO
reset time) mid-way resumed with no gap and no duplicate, unreadable statuses dead-lettered once,
refused tokens and servers that need an account, test connection, and the other brand kept
apart."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from django.utils import timezone

from clients import tenancy
from monitoring.connectors import mastodon
from monitoring.connectors.base import retry_after_seconds, seconds_until
from monitoring.connectors.mastodon import plain_text
from monitoring.models import DeadLetter, Mention, Source
from monitoring.services.polling import source_test_connection
from tests.monitoring.connectors.helpers import (
    Recordings,
    assert_waits,
    next_poll,
    poll,
    reload,
    source_factory,
    stored,
)

pytestmark = pytest.mark.django_db

TAG = "/api/v1/timelines/tag/alphabakery"
SEARCH = "/api/v2/search"
TOKEN = "ZA-Yj3aBD8U8Cm7lKUp-lm9O9BmDgdhHzDeqsY8tlL0"
S03, S04, S05 = "116206299512832003", "116206345256960017", "116206397095936002"
S06, S07, S08, S09 = (
    "116206420623360005",
    "116206430453760009",
    "116206435368960001",
    "116206463877120004",
)
NEWEST = {S03, S04, S05}


@pytest.fixture
def small_pages(monkeypatch):  # type: ignore[no-untyped-def]
    """Pages of three (Mastodon's `limit`), so that three recorded statuses fill one."""
    monkeypatch.setattr(mastodon, "LIMIT", 3)


recordings = Recordings("mastodon")
body, recorded = recordings.body, recordings.response
mastodon_source = source_factory(
    name="#alphabakery on Mastodon", platform="mastodon", kind="hashtag"
)


def tag_source(client, server, **fields) -> Source:  # type: ignore[no-untyped-def]
    """The hashtag's source; its instance is the local server (the Link header's `base`)."""
    settings = {"instance": server.url_for(""), "hashtag": "#alphabakery"}
    return mastodon_source(client, **({"settings": settings} | fields))


def serve(server, name: str, **query: str) -> None:  # type: ignore[no-untyped-def]
    base = server.url_for("").rstrip("/")
    server.expect_ordered_request(TAG, query_string={"limit": "3"} | query).respond_with_response(
        recorded(name, base=base)
    )


def test_a_hashtag_is_read_forward_from_its_newest_page(world, httpserver, small_pages):
    serve(httpserver, "tag-newest.json")
    serve(httpserver, "tag-after-1.json", min_id=S05)  # a full page: more are waiting
    serve(httpserver, "tag-after-2.json", min_id=S08)
    serve(httpserver, "tag-empty.json", min_id=S09)
    source = tag_source(world.alpha, httpserver)

    first = poll(world.alpha, source)
    assert (first.pages, first.accepted, first.rejected, first.error) == (1, 3, 0, "")
    assert stored(world.alpha) == NEWEST
    assert reload(world.alpha, source).poll_cursor == {"min_id": S05}
    with tenancy.tenant_context(world.alpha):
        answer = Mention.objects.select_related("author").get(external_id=S05)
        asked = Mention.objects.get(external_id=S04)
        local = Mention.objects.select_related("author").get(external_id=S03)
    assert answer.text == (
        "@marieke Meld het via https://www.voedselwacht.example/melden & bewaar het brood. "
        "#alphabakery"
    )
    assert answer.url == f"https://social.overheid.nl/@voedselwacht/{S05}"
    assert answer.posted_at.isoformat() == "2026-03-10T18:55:01+00:00"
    assert (answer.author.handle, answer.author.display_name, answer.author.followers) == (
        "voedselwacht@social.overheid.nl",
        "Voedselwacht",
        18200,
    )
    assert (answer.platform, answer.language, answer.thread_id, answer.parent_id) == (
        "mastodon",
        "nl",
        "",
        S04,
    )
    assert (answer.likes, answer.shares, answer.comments) == (44, 20, 0)
    assert asked.text == (
        "Drie dagen ziek na het zuurdesembrood van Bakkerij Alpha.\n"
        "Klantenservice belt niet terug. #alphabakery\n\nWie nog meer?"
    )
    assert (asked.thread_id, asked.parent_id) == (S04, "")
    assert local.author.handle == "dirk@mastodon.social"  # a local acct, with its server

    second = poll(world.alpha, source)
    assert (second.pages, second.accepted, second.duplicates) == (2, 4, 0)
    assert stored(world.alpha) == NEWEST | {S06, S07, S08, S09}
    with tenancy.tenant_context(world.alpha):
        warned = Mention.objects.get(external_id=S08)
    assert warned.text == (
        "voedselvergiftiging\n\nDetails over de terugroepactie, met foto's #alphabakery"
    )
    assert reload(world.alpha, source).poll_cursor == {"min_id": S09}
    third = poll(world.alpha, source)
    assert (third.pages, third.accepted) == (1, 0)
    assert reload(world.alpha, source).poll_cursor == {"min_id": S09}
    httpserver.check_assertions()
    with tenancy.tenant_context(world.bravo):
        assert not Mention.objects.exists()


def test_a_restart_resumes_after_the_last_stored_page(world, httpserver, small_pages):
    serve(httpserver, "tag-newest.json")
    serve(httpserver, "tag-after-1.json", min_id=S05)
    serve(httpserver, "tag-after-2.json", min_id=S08)
    source = tag_source(world.alpha, httpserver)
    poll(world.alpha, source)

    stopped = poll(world.alpha, source, max_pages=1)
    assert (stopped.pages, stopped.accepted) == (1, 3)
    assert stored(world.alpha) == NEWEST | {S06, S07, S08}
    assert reload(world.alpha, source).poll_cursor == {"min_id": S08}
    resumed = poll(world.alpha, source)
    assert (resumed.accepted, resumed.duplicates) == (1, 0)
    assert stored(world.alpha) == NEWEST | {S06, S07, S08, S09}
    httpserver.check_assertions()


def test_a_429_waits_until_mastodons_iso_reset_and_loses_nothing(world, httpserver, small_pages):
    reset = (datetime.now(UTC) + timedelta(minutes=5)).isoformat(timespec="microseconds")
    serve(httpserver, "tag-newest.json")
    serve(httpserver, "tag-after-1.json", min_id=S05)
    httpserver.expect_ordered_request(
        TAG, query_string={"limit": "3", "min_id": S08}
    ).respond_with_response(recorded("error-rate-limited.json", reset=reset))
    serve(httpserver, "tag-after-2.json", min_id=S08)
    source = tag_source(world.alpha, httpserver)
    poll(world.alpha, source)

    before = timezone.now()
    limited = poll(world.alpha, source)
    assert (limited.pages, limited.accepted) == (1, 3)
    assert re.fullmatch(
        r"Mastodon rate limit reached: Too many requests \(retry after (299|300) s\)\.",
        limited.error,
    )
    assert_waits(world.alpha, source, limited, since=before, between=(290, 305))
    resumed = poll(world.alpha, source)
    assert (resumed.accepted, resumed.duplicates, resumed.error) == (1, 0, "")
    assert stored(world.alpha) == NEWEST | {S06, S07, S08, S09}
    httpserver.check_assertions()


def test_a_search_pages_by_offset_above_its_min_id(world, httpserver):
    def search(**params: str) -> dict[str, str]:
        return {"q": "alpha", "type": "statuses", "limit": "40", "resolve": "false"} | params

    bearer = {"Authorization": f"Bearer {TOKEN}"}
    httpserver.expect_ordered_request(
        SEARCH, query_string=search(), headers=bearer
    ).respond_with_json(body("search-newest.json"))
    # min_id a second before S05: the server compares it by its second and sends S05 again
    earlier = "116206397030400000"
    httpserver.expect_ordered_request(
        SEARCH, query_string=search(min_id=earlier), headers=bearer
    ).respond_with_json(body("search-newer.json"))
    httpserver.expect_ordered_request(
        SEARCH, query_string=search(min_id=earlier, offset="40"), headers=bearer
    ).respond_with_json(body("search-empty.json"))
    source = tag_source(
        world.alpha,
        httpserver,
        kind="keyword",
        settings={"instance": httpserver.url_for(""), "query": "alpha"},
        credentials={"access_token": TOKEN},
    )
    assert poll(world.alpha, source).accepted == 3
    assert reload(world.alpha, source).poll_cursor == {"min_id": S05}
    stopped = poll(world.alpha, source, max_pages=1)  # a restart mid-pass
    assert (stopped.accepted, stopped.duplicates) == (3, 0)
    assert reload(world.alpha, source).poll_cursor == {
        "min_id": S05,
        "pass": {"offset": 40, "top": S09},
    }
    ended = poll(world.alpha, source)  # an empty page ends the pass
    assert (ended.pages, ended.accepted) == (1, 0)
    assert reload(world.alpha, source).poll_cursor == {"min_id": S09}
    assert stored(world.alpha) == NEWEST | {S06, S07, S09}
    httpserver.check_assertions()


def test_refused_tokens_and_servers_that_need_an_account_are_health_errors(world, httpserver):
    httpserver.expect_request(
        TAG, headers={"Authorization": "Bearer revoked"}
    ).respond_with_response(recorded("error-unauthorized.json"))
    httpserver.expect_request(TAG).respond_with_response(recorded("error-requires-account.json"))
    revoked = tag_source(world.alpha, httpserver, credentials={"access_token": "revoked"})
    result = poll(world.alpha, revoked)
    assert result.error == (
        "Mastodon refused the credentials (401): The access token is invalid. "
        "Set new credentials on the source."
    )
    assert next_poll(world.alpha, revoked) > timezone.now() + timedelta(minutes=55)
    anonymous = tag_source(world.alpha, httpserver, name="no account")
    result = poll(world.alpha, anonymous)
    assert result.error == (
        "Mastodon shows this only to signed-in apps (422): This method requires an "
        "authenticated user. Set the credential 'access_token' of an account on the server."
    )
    assert reload(world.alpha, anonymous).last_error == result.error
    assert stored(world.alpha) == set()


def test_test_connection_names_the_account_and_what_is_missing(world, httpserver):
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    httpserver.expect_request(
        "/api/v1/accounts/verify_credentials", headers=bearer
    ).respond_with_json(body("verify-credentials.json"))
    httpserver.expect_request(TAG, headers=bearer).respond_with_response(
        recorded("tag-newest.json", base=httpserver.url_for("").rstrip("/"))
    )
    good = tag_source(world.alpha, httpserver, credentials={"access_token": TOKEN})
    empty = tag_source(world.alpha, httpserver, name="empty", settings={})
    search = tag_source(
        world.alpha,
        httpserver,
        name="search",
        settings={"instance": "mastodon.social", "query": "x"},
    )
    server = httpserver.url_for("").split("/")[2]
    with tenancy.tenant_context(world.alpha):
        check = source_test_connection(client=world.alpha, source=good)
        assert (check.ok, check.details) == (True, {"first_page": 3})
        assert check.message == (
            f"Mastodon ({server}) accepts the token of @stormdesk_alpha and answered: "
            "3 statuses on the first page."
        )
        missing = source_test_connection(client=world.alpha, source=empty)
        assert missing.message == (
            "Missing setting 'instance' (the server's address, e.g. https://mastodon.social), "
            "setting 'hashtag' (without #) or 'query' (a full-text search)."
        )
        needs_token = source_test_connection(client=world.alpha, source=search)
        assert needs_token.message.startswith("Missing credential 'access_token' (Mastodon")
        assert not Mention.objects.exists()


def test_iso_reset_times_and_html_content():
    now = datetime(2026, 3, 10, 19, 0, tzinfo=UTC)
    assert seconds_until("2026-03-10T19:05:00.000000Z", now) == 300.0
    assert seconds_until("1773169500", now) is None
    # a number is an epoch time or seconds left, not an ISO time
    headers = httpx.Headers({"X-RateLimit-Reset": "342"})
    assert retry_after_seconds(headers) == 342.0
    assert plain_text("<p>a &amp; b<br>c</p><p>d</p>") == "a & b\nc\n\nd"


def test_a_handle_keeps_the_servers_port():
    """A server on a port other than 443 is its own server: user@host:port, whether the acct
    says it (a remote account) or only the account's URL does (a local one)."""
    status = body("tag-newest.json")["body"][0]
    local = status | {
        "account": status["account"]
        | {
            "username": "kees",
            "acct": "kees",
            "url": "https://toot.bakkers.example:8443/@kees",
            "uri": "https://toot.bakkers.example:8443/users/kees",
        }
    }
    remote = status | {"account": status["account"] | {"acct": "anna@toot.bakkers.example:8443"}}
    assert mastodon.status_item(local)["author"]["handle"] == "kees@toot.bakkers.example:8443"
    assert mastodon.status_item(remote)["author"]["handle"] == "anna@toot.bakkers.example:8443"


def test_a_boost_is_a_share_of_the_status_it_boosts_which_comes_once():
    original = body("tag-newest.json")["body"][0]
    booster = original["account"] | {"acct": "kees@toot.bakkers.example", "followers_count": 9100}
    boost = {
        "id": str(int(original["id"]) + 5),
        "created_at": "2026-03-10T19:30:00.000Z",
        "content": "",
        "url": None,
        "uri": "https://toot.bakkers.example/users/kees/statuses/1/activity",
        "account": booster,
        "reblog": original,
        "favourites_count": 0,
        "reblogs_count": 0,
        "replies_count": 0,
    }
    statuses, items, raws = mastodon._read([boost], "1", mastodon.DeadLetterMemory({}))
    assert statuses == [boost] and raws == [original, boost]
    first, share = items
    assert first == mastodon.status_item(original)  # the boosted status, with its counts
    assert isinstance(share, dict)
    assert share["repost_of"] == original["id"] and share["external_id"] == boost["id"]
    assert share["author"]["handle"] == "kees@toot.bakkers.example"
    assert share["text"] == first["text"] and share["posted_at"] == boost["created_at"]
    assert share["url"] == boost["uri"]
    assert not {"likes", "shares", "comments"} & set(share)  # a boost's counts are the original's


S10, S11 = "116206495662080007", "116206486290432003"


def dead_letters(client) -> list[DeadLetter]:  # type: ignore[no-untyped-def]
    with tenancy.tenant_context(client):
        return list(DeadLetter.objects.order_by("pk"))


def test_unreadable_statuses_on_a_hashtag_are_dead_letters_once(world, httpserver):
    """A null where a status should be and a status without an id: each a dead letter with the
    raw entry and the reason, the statuses around them stored and the cursor moved past them;
    the same page listed again files nothing twice."""
    base = httpserver.url_for("").rstrip("/")

    def serve40(name: str, **query: str) -> None:
        httpserver.expect_ordered_request(
            TAG, query_string={"limit": "40"} | query
        ).respond_with_response(recorded(name, base=base))

    serve40("tag-newest.json")
    serve40("tag-unreadable.json", min_id=S05)
    serve40("tag-unreadable.json", min_id=S10)  # a server repeating the page
    source = tag_source(world.alpha, httpserver)
    poll(world.alpha, source)

    second = poll(world.alpha, source)
    assert (second.pages, second.accepted, second.rejected, second.error) == (1, 2, 2, "")
    assert stored(world.alpha) == NEWEST | {S10, S11}
    listed = body("tag-unreadable.json")["body"]
    letters = dead_letters(world.alpha)
    assert [(d.payload, d.raw_body, d.errors) for d in letters] == [
        (
            None,
            "null",
            [{"field": "item", "message": "a Mastodon status must be an object, not null"}],
        ),
        (
            listed[2],
            json.dumps(listed[2]),
            [{"field": "item", "message": "a Mastodon status without an id"}],
        ),
    ]
    assert {(d.source_id, d.channel) for d in letters} == {(source.pk, "poll")}
    cursor = reload(world.alpha, source).poll_cursor
    assert cursor["min_id"] == S10 and len(cursor["dead"]) == 2

    again = poll(world.alpha, source)
    assert (again.pages, again.accepted, again.duplicates, again.rejected) == (1, 0, 0, 0)
    assert [d.pk for d in dead_letters(world.alpha)] == [d.pk for d in letters]
    assert reload(world.alpha, source).poll_cursor == cursor
    httpserver.check_assertions()
    assert dead_letters(world.bravo) == [] and stored(world.bravo) == set()


def test_unreadable_statuses_in_a_search_are_dead_letters_once_per_pass(world, httpserver):
    """A search pass reads above its min_id again, so what cannot be a mention (a bare status
    URL, a status without an id, one whose id is not a number, as Pleroma's are) is listed on
    every pass: a dead letter the first time only; the pass goes on past a page of them."""

    def search(**params: str) -> dict[str, str]:
        return {"q": "alpha", "type": "statuses", "limit": "40", "resolve": "false"} | params

    def serve(name: str, **params: str) -> None:
        httpserver.expect_ordered_request(
            SEARCH, query_string=search(**params), headers={"Authorization": f"Bearer {TOKEN}"}
        ).respond_with_json(body(name))

    after_s05, after_s10 = "116206397030400000", "116206495596544000"  # a second before
    serve("search-newest.json")
    serve("search-unreadable.json", min_id=after_s05)
    serve("search-empty.json", min_id=after_s05, offset="40")
    serve("search-unreadable.json", min_id=after_s10)
    serve("search-empty.json", min_id=after_s10, offset="40")
    source = tag_source(
        world.alpha,
        httpserver,
        kind="keyword",
        settings={"instance": httpserver.url_for(""), "query": "alpha"},
        credentials={"access_token": TOKEN},
    )
    poll(world.alpha, source)

    second = poll(world.alpha, source)
    assert (second.pages, second.accepted, second.rejected, second.error) == (2, 2, 3, "")
    assert stored(world.alpha) == NEWEST | {S10, S11}
    listed = body("search-unreadable.json")["statuses"]
    letters = dead_letters(world.alpha)
    assert [(d.payload, d.raw_body, d.errors[0]["message"]) for d in letters] == [
        (listed[1], json.dumps(listed[1]), "a Mastodon status must be an object, not a string"),
        (listed[2], json.dumps(listed[2]), "a Mastodon status without an id"),
        (
            listed[3],
            json.dumps(listed[3]),
            "a Mastodon status whose id is not a number: 'AT7z3kQ0rJmU9vX2Bc'",
        ),
    ]
    cursor = reload(world.alpha, source).poll_cursor
    assert set(cursor) == {"min_id", "dead"} and cursor["min_id"] == S10

    third = poll(world.alpha, source)
    assert (third.pages, third.accepted, third.duplicates, third.rejected) == (2, 0, 0, 0)
    assert len(dead_letters(world.alpha)) == 3
    assert reload(world.alpha, source).poll_cursor == cursor
    httpserver.check_assertions()
    assert dead_letters(world.bravo) == [] and stored(world.bravo) == set()
