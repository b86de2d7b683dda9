"""LinkedIn: the real polling service against recorded Community Management API responses
served locally: the organization's posts, their comments page by page, a walk resumed after a
restart or a daily limit with no gap and no duplicate, a refused token, a deleted post, test
connection, and the other brand kept apart."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import pytest
from django.utils import timezone

from clients import tenancy
from monitoring.connectors import linkedin
from monitoring.connectors.linkedin import LinkedInOrganization
from monitoring.models import Mention
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
