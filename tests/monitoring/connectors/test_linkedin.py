"""LinkedIn: the real polling service against recorded Community Management API responses
served locally: the organization's posts, their comments page by page, a walk resumed after a
restart or a daily limit with no gap and no duplicate, unreadable posts and comments dead-lettered
once, a refused token, a deleted post, test connection, and the other brand kept apart."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.utils import timezone

from clients import tenancy
from monitoring.connectors import linkedin
from monitoring.connectors.linkedin import LinkedInOrganization
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

ORG = "urn:li:organization:2414183"
POST1 = "urn:li:share:7302000000000000001"
POST2 = "urn:li:ugcPost:7301000000000000002"
TOKEN = "AQV-alpha-token"
HEADERS = {
    "Authorization": f"Bearer {TOKEN}",
    "LinkedIn-Version": linkedin.VERSION,
    "X-Restli-Protocol-Version": "2.0.0",
}
POSTS = {"q": "author", "author": ORG, "count": "10", "sortBy": "LAST_MODIFIED"}


ACTIVITY1 = "urn:li:activity:7302000000000000011"
C1, C2, C3, C6 = (f"urn:li:comment:({ACTIVITY1},7302000000000000{n})" for n in (101, 102, 103, 106))
# 104, on the second post, is the organization's own reply: not a mention
C5 = "urn:li:comment:(urn:li:activity:7301000000000000012,7301000000000000105)"


@pytest.fixture(autouse=True)
def _short_pages(monkeypatch):  # type: ignore[no-untyped-def]
    """Pages of two comments keep the recordings short."""
    monkeypatch.setattr(linkedin, "PAGE", 2)


api = local_api(LinkedInOrganization)
body = Recordings("linkedin").body


def comments_path(post: str) -> str:
    # the URN is percent-encoded in the path; the server sees it decoded
    assert quote(post, safe="") != post
    return f"/rest/socialActions/{post}/comments"


def expect(server, path: str, query: dict[str, str], name: str, status: int = 200, **kw):  # type: ignore[no-untyped-def]
    server.expect_ordered_request(path, query_string=query, headers=HEADERS).respond_with_json(
        body(name), status=status, **kw
    )


def expect_first_walk(server) -> None:  # type: ignore[no-untyped-def]
    expect(server, "/rest/posts", POSTS, "posts.json")
    expect(server, comments_path(POST1), {"start": "0", "count": "2"}, "comments-post1-page1.json")
    expect(server, comments_path(POST1), {"start": "2", "count": "2"}, "comments-post1-page2.json")
    expect(server, comments_path(POST2), {"start": "0", "count": "2"}, "comments-post2.json")


page_source = source_factory(
    name="LinkedIn page",
    platform="linkedin",
    kind="owned",
    settings={"organization_id": "2414183", "since": "2026-03-01T00:00:00Z"},
    credentials={"access_token": TOKEN},
)


def test_comments_on_the_pages_posts_are_read_then_only_what_is_new(world, api):
    expect_first_walk(api)
    expect(api, "/rest/posts", POSTS, "posts.json")
    expect(
        api, comments_path(POST1), {"start": "0", "count": "2"}, "comments-post1-page1-later.json"
    )
    expect(
        api, comments_path(POST1), {"start": "2", "count": "2"}, "comments-post1-page2-later.json"
    )
    expect(api, comments_path(POST2), {"start": "0", "count": "2"}, "comments-post2.json")
    source = page_source(world.alpha)

    first = poll(world.alpha, source)
    # the posts, two pages of the first post's comments, the second post's
    assert (first.pages, first.accepted, first.duplicates, first.error) == (4, 4, 0, "")
    assert stored(world.alpha) == {C1, C2, C3, C5}
    with tenancy.tenant_context(world.alpha):
        reply = Mention.objects.select_related("author").get(external_id=C3)
    assert reply.text == "@Jan klopt, bij ons op kantoor precies hetzelfde."
    assert (reply.platform, reply.thread_id, reply.parent_id) == ("linkedin", POST1, C1)
    assert reply.author.handle == "urn:li:person:H7nYc4sJuC"
    assert reply.posted_at.isoformat() == "2026-03-03T18:40:00+00:00"
    assert reply.url == (
        f"https://www.linkedin.com/feed/update/{POST1}/?commentUrn={quote(C3, safe='')}"
    )
    cursor = reload(world.alpha, source).poll_cursor
    assert "walk" not in cursor
    assert cursor["posts"][POST1] == {"t": 1772563200000, "ids": [C3]}

    second = poll(world.alpha, source)
    assert (second.accepted, second.duplicates, second.error) == (1, 0, "")
    assert stored(world.alpha) == {C1, C2, C3, C5, C6}
    api.check_assertions()
    assert stored(world.bravo) == set()


def test_a_restart_resumes_at_the_saved_post_and_offset(world, api):
    expect_first_walk(api)
    source = page_source(world.alpha)

    assert poll(world.alpha, source, max_pages=1).accepted == 0  # the list of posts
    assert reload(world.alpha, source).poll_cursor["walk"] == {"queue": [POST1, POST2], "start": 0}
    assert poll(world.alpha, source, max_pages=1).accepted == 2
    walk = reload(world.alpha, source).poll_cursor["walk"]
    assert (walk["queue"], walk["start"], walk["sent"]) == ([POST1, POST2], 2, [C1, C2])
    rest = poll(world.alpha, source)
    assert (rest.pages, rest.accepted, rest.duplicates) == (2, 2, 0)
    assert stored(world.alpha) == {C1, C2, C3, C5}
    api.check_assertions()


def test_a_daily_limit_waits_until_midnight_utc_and_loses_nothing(world, api):
    expect(api, "/rest/posts", POSTS, "posts.json")
    expect(api, comments_path(POST1), {"start": "0", "count": "2"}, "comments-post1-page1.json")
    expect(
        api,
        comments_path(POST1),
        {"start": "2", "count": "2"},
        "error-429.json",
        status=429,
        headers={"x-li-responseorigin": "RGW", "x-restli-protocol-version": "2.0.0"},
    )
    expect(api, comments_path(POST1), {"start": "2", "count": "2"}, "comments-post1-page2.json")
    expect(api, comments_path(POST2), {"start": "0", "count": "2"}, "comments-post2.json")
    source = page_source(world.alpha)

    before = timezone.now()
    result = poll(world.alpha, source)
    assert (result.pages, result.accepted) == (2, 2)
    assert result.error.startswith(
        "LinkedIn rate limit reached: Resource level throttle APPLICATION DAY limit for calls to "
        "this resource is reached (serviceErrorCode 101). LinkedIn's daily limits reset at "
        "midnight UTC"
    )
    midnight = before.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    assert_waits(world.alpha, source, result, since=midnight, between=(55, 65))

    after = poll(world.alpha, source)
    assert (after.accepted, after.duplicates, after.error) == (2, 0, "")
    assert stored(world.alpha) == {C1, C2, C3, C5}
    api.check_assertions()


def test_a_refused_token_is_a_health_error(world, api):
    api.expect_request("/rest/posts").respond_with_json(body("error-401.json"), status=401)
    source = page_source(world.alpha, credentials={"access_token": "AQV-expired"})
    result = poll(world.alpha, source)
    assert result.error.startswith(
        "LinkedIn refused the credentials (401): Invalid access token (serviceErrorCode 65600). "
        "Set new credentials on the source"
    )
    source = reload(world.alpha, source)
    assert source.last_error == result.error
    assert next_poll(world.alpha, source) > timezone.now() + timedelta(minutes=55)
    assert stored(world.alpha) == set()


def test_a_post_deleted_during_the_walk_is_skipped(world, api):
    expect(api, "/rest/posts", POSTS, "posts.json")
    expect(api, comments_path(POST1), {"start": "0", "count": "2"}, "error-404.json", status=404)
    expect(api, comments_path(POST2), {"start": "0", "count": "2"}, "comments-empty.json")
    source = page_source(world.alpha)
    result = poll(world.alpha, source)
    assert (result.accepted, result.error) == (0, "")
    cursor = reload(world.alpha, source).poll_cursor
    assert set(cursor["posts"]) == {POST2} and "walk" not in cursor
    api.check_assertions()


def test_test_connection_reads_one_post(world, api):
    one = POSTS | {"count": "1"}
    expect(api, "/rest/posts", one, "posts-one.json")
    expect(api, "/rest/posts", one, "error-403.json", status=403)
    source = page_source(world.alpha)
    with tenancy.tenant_context(world.alpha):
        good = source_test_connection(client=world.alpha, source=source)
        assert (good.ok, good.message) == (
            True,
            f"LinkedIn answered: the posts of {ORG} are readable (2 posts).",
        )
        denied = source_test_connection(client=world.alpha, source=source)
        assert denied.ok is False and denied.details == {"kind": "auth"}
        assert denied.message.startswith(
            "LinkedIn refused the credentials (403): Not enough permissions to access"
        )
        assert not Mention.objects.exists()
    api.check_assertions()


def test_an_organization_without_posts_stores_nothing_and_brands_stay_apart(world, api):
    api.expect_request(
        "/rest/posts", query_string=POSTS, headers={"Authorization": "Bearer AQV-bravo"}
    ).respond_with_json(body("posts-empty.json"))
    bravo = page_source(world.bravo, credentials={"access_token": "AQV-bravo"})
    result = poll(world.bravo, bravo)
    assert (result.pages, result.accepted, result.error) == (1, 0, "")
    assert "walk" not in reload(world.bravo, bravo).poll_cursor
    assert stored(world.bravo) == set() and stored(world.alpha) == set()


def dead_letters(client) -> list[DeadLetter]:  # type: ignore[no-untyped-def]
    with tenancy.tenant_context(client):
        return list(DeadLetter.objects.order_by("pk"))


C7 = f"urn:li:comment:({ACTIVITY1},7302000000000000107)"


def expect_unreadable_walk(server) -> None:  # type: ignore[no-untyped-def]
    expect(server, "/rest/posts", POSTS, "posts.json")
    for n, start in enumerate(("0", "2", "4"), start=1):
        expect(
            server,
            comments_path(POST1),
            {"start": start, "count": "2"},
            f"comments-post1-unreadable-page{n}.json",
        )
    expect(server, comments_path(POST2), {"start": "0", "count": "2"}, "comments-post2.json")


def test_unreadable_comments_are_dead_letters_once_and_the_walk_moves_past_them(world, api):
    """A bare URN where a comment should be, a comment without its URN and one without its
    creation time: each a dead letter with its raw element and the reason, the comments around
    them stored, the offset counted over every element listed; the next walk lists them all
    again and files nothing twice."""
    expect_unreadable_walk(api)
    expect_unreadable_walk(api)
    source = page_source(world.alpha)

    first = poll(world.alpha, source)
    assert (first.pages, first.accepted, first.rejected, first.error) == (5, 4, 3, "")
    assert stored(world.alpha) == {C1, C2, C3, C5}
    raw = [body(f"comments-post1-unreadable-page{n}.json")["elements"] for n in (1, 2, 3)]
    letters = dead_letters(world.alpha)
    assert [(d.payload, d.raw_body, d.errors) for d in letters] == [
        (
            C7,
            json.dumps(C7),
            [
                {
                    "field": "item",
                    "message": f"a LinkedIn comment on {POST1} must be an object, not a string",
                }
            ],
        ),
        (
            raw[1][0],
            json.dumps(raw[1][0]),
            [
                {
                    "field": "item",
                    "message": f"a LinkedIn comment on {POST1} without an id ($URN, "
                    "commentUrn, or object and id)",
                }
            ],
        ),
        (
            raw[2][0],
            json.dumps(raw[2][0]),
            [
                {
                    "field": "item",
                    "message": f"a LinkedIn comment on {POST1} without its creation time "
                    "(created.time, in epoch milliseconds)",
                }
            ],
        ),
    ]
    assert {(d.source_id, d.channel, d.status) for d in letters} == {(source.pk, "poll", "open")}
    cursor = reload(world.alpha, source).poll_cursor
    assert "walk" not in cursor
    assert cursor["posts"][POST1] == {"t": 1772563200000, "ids": [C3]}
    assert len(cursor["dead"]) == 3

    second = poll(world.alpha, source)
    assert (second.pages, second.accepted, second.duplicates, second.rejected) == (5, 0, 0, 0)
    assert [d.pk for d in dead_letters(world.alpha)] == [d.pk for d in letters]
    assert reload(world.alpha, source).poll_cursor == cursor
    api.check_assertions()
    assert dead_letters(world.bravo) == [] and stored(world.bravo) == set()


def test_unreadable_posts_are_dead_letters_once_and_the_others_are_walked(world, api):
    """A bare share URN and a post without its id in the organization's posts: their comments
    cannot be asked for, so each is a dead letter saying so; the post after them is walked."""
    for _walk in range(2):
        expect(api, "/rest/posts", POSTS, "posts-unreadable.json")
        expect(api, comments_path(POST2), {"start": "0", "count": "2"}, "comments-post2.json")
    source = page_source(world.alpha)

    first = poll(world.alpha, source)
    assert (first.pages, first.accepted, first.rejected, first.error) == (2, 1, 2, "")
    assert stored(world.alpha) == {C5}
    listed = body("posts-unreadable.json")["elements"]
    letters = dead_letters(world.alpha)
    assert [(d.payload, d.raw_body, d.errors[0]["message"]) for d in letters] == [
        (
            listed[0],
            json.dumps(listed[0]),
            "a LinkedIn post of the organization must be an object, not a string: its "
            "comments cannot be read",
        ),
        (
            listed[1],
            json.dumps(listed[1]),
            "a LinkedIn post of the organization without an id (its share or ugcPost URN): "
            "its comments cannot be read",
        ),
    ]
    cursor = reload(world.alpha, source).poll_cursor
    assert set(cursor["posts"]) == {POST2} and "walk" not in cursor

    second = poll(world.alpha, source)
    assert (second.pages, second.accepted, second.duplicates, second.rejected) == (2, 0, 0, 0)
    assert len(dead_letters(world.alpha)) == 2
    api.check_assertions()
    assert dead_letters(world.bravo) == [] and stored(world.bravo) == set()
