"""Instagram: the real polling service against recorded Graph API responses served locally: the
brand's media, their comments (out of time order, replies past the embedded page, the brand's
own replies) and the media it is tagged in, then only what is new; a walk resumed after a
worker stopped between any two pages, or after a rate limit, with no gap and no duplicate; an
unmappable comment dead-lettered once; expired tokens, missing permissions, outages and deleted
media in Graph's words; hashtag search; test connection; and the other brand kept apart.
(The details of webhook mentions are test_graph.py's.)"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from clients import tenancy
from monitoring.connectors.instagram import InstagramGraph
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

ACCOUNT = "17841463520874106"
TOKEN = "EAAJx7ZBpKq0sBO4alphaPageToken"  # also in the recorded paging.next links
M1, M2, M3 = "18034567890123451", "18034567890123452", "18034567890123453"
C = "1798765432100{:04d}".format
TAGGED, TAGGED_LATER = "17999888777000301", "17999888777000302"
# The brand's own reply (C(111)) is no mention; C(100) is older than `since`; C(104) has no
# timestamp (a dead letter); M3 has no comments (not read).
FIRST = {C(101), C(112), C(102), C(113), C(103), "17912345678000201", TAGGED}
LATER = {C(106), C(114), TAGGED_LATER}
AFTER_MEDIA = "QVFIUm1lZAGlhX3BhZA2UyX2FscGhh"
AFTER_M1 = "QVFIUmNvbW1lbnRzX20xX3BhZA2Uy"
AFTER_M1_LATER = "QVFIUmNvbW1lbnRzX20xX2xhdGVyMgZDZD"

# The fields Stormdesk asks Graph for, as written here: a change in the connector shows.
MEDIA_FIELDS = "id,caption,permalink,timestamp,comments_count,like_count,username"
COMMENT_FIELDS = (
    "id,text,timestamp,username,like_count,from{id,username},parent_id,"
    "replies{id,text,timestamp,username,like_count,from{id,username}}"
)
REPLY_FIELDS = "id,text,timestamp,username,like_count,from{id,username},parent_id"
TAG_FIELDS = "id,caption,permalink,timestamp,username,like_count,comments_count,media_type"
HASHTAG_FIELDS = "id,caption,permalink,timestamp,like_count,comments_count,media_type"

api = local_api(InstagramGraph)
recordings = Recordings("instagram")
body = recordings.body


def bearer(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def query(fields: str, after: str | None = None, limit: int = 50, **more: str) -> dict[str, str]:
    params = {"fields": fields, "limit": str(limit), **more}
    return params | ({"after": after} if after else {})


def expect(server, path: str, params: dict[str, str], name: str, token: str = TOKEN) -> None:  # type: ignore[no-untyped-def]
    handler = server.expect_ordered_request(path, query_string=params, headers=bearer(token))
    saved = body(name)
    if isinstance(saved, dict) and "status" in saved and "body" in saved:
        handler.respond_with_response(recordings.response(name))
    else:
        handler.respond_with_json(saved)


def expect_media(server) -> None:  # type: ignore[no-untyped-def]
    expect(server, f"/{ACCOUNT}/media", query(MEDIA_FIELDS, limit=3), "media-page1.json")
    expect(server, f"/{ACCOUNT}/media", query(MEDIA_FIELDS, AFTER_MEDIA, 1), "media-page2.json")


def expect_first_walk(server) -> None:  # type: ignore[no-untyped-def]
    """Media (two pages), M1's comments with C(101)'s other replies between its two pages, M2's
    comments, the tags. M3 has no comments: no request."""
    expect_media(server)
    expect(server, f"/{M1}/comments", query(COMMENT_FIELDS), "comments-m1-page1.json")
    expect(server, f"/{C(101)}/replies", query(REPLY_FIELDS), "replies-c101.json")
    expect(server, f"/{M1}/comments", query(COMMENT_FIELDS, AFTER_M1), "comments-m1-page2.json")
    expect(server, f"/{M2}/comments", query(COMMENT_FIELDS), "comments-m2.json")
    expect(server, f"/{ACCOUNT}/tags", query(TAG_FIELDS), "tags.json")


def epoch(value: str) -> float:
    return datetime.fromisoformat(value).timestamp()


owned_source = source_factory(
    name="Instagram @bakkerij.alpha",
    platform="instagram",
    kind="owned",
    settings={"account_id": ACCOUNT, "since": "2026-03-01T00:00:00Z", "recent_media": 3},
    credentials={"access_token": TOKEN},
)
hashtag_source = source_factory(
    name="#alphabakery",
    platform="instagram",
    kind="hashtag",
    settings={"account_id": ACCOUNT, "hashtag": "#AlphaBakery", "since": "2026-03-03T00:00:00Z"},
    credentials={"access_token": TOKEN},
)


def test_comments_replies_and_tags_are_read_then_only_what_is_new(world, api):
    expect_first_walk(api)
    # M1's count went from 8 to 10: its comments are read until both new ones are found and a
    # page has nothing newer; M2's count did not change: not read; then the tags
    expect(api, f"/{ACCOUNT}/media", query(MEDIA_FIELDS, limit=3), "media-later.json")
    expect(api, f"/{M1}/comments", query(COMMENT_FIELDS), "comments-m1-later-page1.json")
    expect(
        api,
        f"/{M1}/comments",
        query(COMMENT_FIELDS, AFTER_M1_LATER),
        "comments-m1-later-page2.json",
    )
    expect(api, f"/{ACCOUNT}/tags", query(TAG_FIELDS), "tags-later.json")
    source = owned_source(world.alpha)

    first = poll(world.alpha, source)
    assert (first.pages, first.accepted, first.duplicates, first.rejected, first.error) == (
        7,
        7,
        0,
        1,
        "",
    )
    assert stored(world.alpha) == FIRST
    with tenancy.tenant_context(world.alpha):
        top = Mention.objects.select_related("author").get(external_id=C(101))
        embedded = Mention.objects.get(external_id=C(112))
        replied = Mention.objects.get(external_id=C(113))
        unliked = Mention.objects.get(external_id=C(102))
        tagged = Mention.objects.select_related("author").get(external_id=TAGGED)
        dead = DeadLetter.objects.get()
    assert top.text == "Ik ben ziek geworden van jullie zuurdesembrood. Wat zit erin?"
    assert (top.platform, top.thread_id, top.parent_id) == ("instagram", M1, "")
    assert top.posted_at.isoformat() == "2026-03-03T18:05:00+00:00"
    # Instagram gives comments no address: the media's
    assert top.url == "https://www.instagram.com/p/DGxAlpha001/"
    assert (top.author.handle, top.author.followers) == ("jeroen.v", None)
    assert (top.likes, top.comments) == (14, None)  # no reply count from Graph: unknown
    # an embedded reply names no parent_id: its comment is the parent
    assert (embedded.thread_id, embedded.parent_id) == (M1, C(101))
    assert (replied.thread_id, replied.parent_id) == (M1, C(101))
    assert unliked.likes is None  # no like_count: unknown, not 0
    assert tagged.text.startswith("Getest: het zuurdesembrood van @bakkerij.alpha.")
    assert (tagged.author.handle, tagged.thread_id, tagged.parent_id) == (
        "foodblog.amsterdam",
        TAGGED,
        "",
    )
    assert (tagged.likes, tagged.comments) == (1204, 85)
    assert tagged.url == "https://www.instagram.com/p/DGzFood0301/"
    assert dead.errors == [{"field": "item", "message": "an Instagram comment without a timestamp"}]
    assert dead.payload["id"] == C(104)
    cursor = reload(world.alpha, source).poll_cursor
    assert "walk" not in cursor
    assert TOKEN not in json.dumps(cursor)  # Graph's next links carry the token: never kept
    assert cursor["media"][M1]["since"] == epoch("2026-03-03T19:02:00+00:00")
    assert cursor["media"][M1]["n"] == 8 and M3 not in cursor["media"]
    assert cursor["tags"]["since"] == epoch("2026-03-03T20:15:00+00:00")

    second = poll(world.alpha, source)
    assert (second.pages, second.accepted, second.duplicates, second.rejected, second.error) == (
        4,
        3,
        0,
        0,
        "",
    )
    assert stored(world.alpha) == FIRST | LATER
    with tenancy.tenant_context(world.alpha):
        # listed again, the comment without a timestamp is not dead-lettered again
        assert DeadLetter.objects.count() == 1
        assert Mention.objects.get(external_id=C(114)).parent_id == C(101)
    api.check_assertions()
    assert stored(world.bravo) == set()


def test_a_media_whose_count_did_not_change_is_still_read_in_full_every_hour(world, api):
    """A deleted comment and a new one leave comments_count as it was: M2 is read again once
    REREAD passed since its last read, and hands over nothing twice."""
    expect_first_walk(api)
    expect(api, f"/{ACCOUNT}/media", query(MEDIA_FIELDS, limit=3), "media-later.json")
    expect(api, f"/{M1}/comments", query(COMMENT_FIELDS), "comments-m1-later-page1.json")
    expect(
        api,
        f"/{M1}/comments",
        query(COMMENT_FIELDS, AFTER_M1_LATER),
        "comments-m1-later-page2.json",
    )
    expect(api, f"/{M2}/comments", query(COMMENT_FIELDS), "comments-m2.json")
    expect(api, f"/{ACCOUNT}/tags", query(TAG_FIELDS), "tags-later.json")
    source = owned_source(world.alpha)
    assert poll(world.alpha, source).accepted == 7
    with tenancy.tenant_context(world.alpha):
        cursor = Source.objects.get(pk=source.pk).poll_cursor
        cursor["media"][M2]["read"] -= 3601  # its last read, an hour and a second ago
        Source.objects.filter(pk=source.pk).update(poll_cursor=cursor, next_poll_at=None)

    later = poll(world.alpha, source)
    assert (later.pages, later.accepted, later.duplicates, later.error) == (5, 3, 0, "")
    assert stored(world.alpha) == FIRST | LATER
    api.check_assertions()


@pytest.mark.parametrize("stopped_after", range(1, 7))
def test_a_worker_stopped_between_any_two_pages_resumes_with_no_gap_and_no_duplicate(
    world, api, stopped_after
):
    expect_first_walk(api)
    source = owned_source(world.alpha)

    # the worker stops after some pages (as one killed between pages would: each page is
    # stored with the cursor after it)
    first = poll(world.alpha, source, max_pages=stopped_after)
    assert first.pages == stopped_after
    assert "walk" in reload(world.alpha, source).poll_cursor
    resumed = poll(world.alpha, source)
    assert (first.pages + resumed.pages, first.accepted + resumed.accepted) == (7, 7)
    assert (resumed.duplicates, resumed.rejected + first.rejected, resumed.error) == (0, 1, "")
    assert stored(world.alpha) == FIRST
    api.check_assertions()


def test_a_restart_between_the_pages_of_a_media_resumes_at_graphs_after(world, api):
    expect_first_walk(api)
    source = owned_source(world.alpha)
    assert poll(world.alpha, source, max_pages=3).accepted == 3  # C(101), C(112), C(102)
    walk = reload(world.alpha, source).poll_cursor["walk"]
    # C(101)'s other replies next, then M1's next page of comments
    assert walk["step"] == "replies" and walk["expand"] == [{"comment": C(101)}]
    assert walk["after"] == AFTER_M1
    assert [entry[0] for entry in walk["queue"]] == [M1, M2, M3]
    assert walk["top"] == epoch("2026-03-03T18:50:00+00:00")
    resumed = poll(world.alpha, source)
    assert (resumed.pages, resumed.accepted, resumed.duplicates) == (4, 4, 0)
    api.check_assertions()


def test_a_spent_account_limit_waits_as_long_as_meta_estimates_and_loses_nothing(world, api):
    expect_media(api)
    expect(api, f"/{M1}/comments", query(COMMENT_FIELDS), "comments-m1-page1.json")
    expect(api, f"/{C(101)}/replies", query(REPLY_FIELDS), "error-rate-limited-account.json")
    expect(api, f"/{C(101)}/replies", query(REPLY_FIELDS), "replies-c101.json")
    expect(api, f"/{M1}/comments", query(COMMENT_FIELDS, AFTER_M1), "comments-m1-page2.json")
    expect(api, f"/{M2}/comments", query(COMMENT_FIELDS), "comments-m2.json")
    expect(api, f"/{ACCOUNT}/tags", query(TAG_FIELDS), "tags.json")
    source = owned_source(world.alpha)

    before = timezone.now()
    limited = poll(world.alpha, source)
    assert (limited.pages, limited.accepted) == (3, 3)
    assert limited.error == (
        "Instagram rate limit reached (code 80002, subcode 2446079): (#80002) There have been "
        "too many calls to this Instagram account. Wait a bit and try again. For more info, "
        "please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting "
        "(fbtrace_id AcQ4bX9c2Lm7Pq0Rt5VwYz1). Meta estimates access returns in 19 min."
    )
    # X-Business-Use-Case-Usage: estimated_time_to_regain_access 19 (minutes)
    assert_waits(world.alpha, source, limited, since=before, between=(19 * 60 - 5, 19 * 60 + 5))

    resumed = poll(world.alpha, source)
    assert (resumed.accepted, resumed.duplicates, resumed.error) == (4, 0, "")
    assert stored(world.alpha) == FIRST
    assert reload(world.alpha, source).poll_failures == 0
    api.check_assertions()


def test_an_app_limit_in_a_403_is_a_rate_limit_not_an_auth_failure(world, api):
    """Graph's body decides, not the status: code 4 in a 403 is the app's hourly limit. Without
    an estimate the source waits RATE_WAIT."""
    expect(api, f"/{ACCOUNT}/media", query(MEDIA_FIELDS, limit=3), "error-app-limit.json")
    source = owned_source(world.alpha)
    before = timezone.now()
    result = poll(world.alpha, source)
    assert result.error == (
        "Instagram rate limit reached (code 4): (#4) Application request limit reached "
        "(fbtrace_id AZk2Tq8x1Vb3Nc5Md7Lf9Hg). Meta gave no estimate; polling resumes in 15 min."
    )
    assert_waits(world.alpha, source, result, since=before, between=(895, 905))


def test_an_expired_token_or_a_missing_permission_is_a_health_error(world, api):
    expect(api, f"/{ACCOUNT}/media", query(MEDIA_FIELDS, limit=3), "error-token-expired.json")
    source = owned_source(world.alpha)
    result = poll(world.alpha, source)
    assert result.error == (
        "Instagram refused the access token (code 190, subcode 463): Error validating access "
        "token: Session has expired on Tuesday, 03-Mar-26 10:00:00 PST. The current time is "
        "Tuesday, 03-Mar-26 11:30:12 PST (fbtrace_id AQp7Ws3Ed5Rf7Tg9Yh1Uj3I). Set a new access "
        "token on the source."
    )
    assert reload(world.alpha, source).last_error == result.error
    assert next_poll(world.alpha, source) > timezone.now() + timedelta(minutes=55)

    api.clear()
    expect(api, f"/{ACCOUNT}/media", query(MEDIA_FIELDS, limit=3), "error-permission.json")
    other = owned_source(world.alpha, name="second")
    refused = poll(world.alpha, other)
    assert refused.error.startswith(
        "Instagram refused access (code 10): (#10) Application does not have permission for "
        "this action (fbtrace_id Bq1Wa3Sz5Xe7Dc9Rf2Tg4Y). The token lacks a permission"
    )
    assert next_poll(world.alpha, other) > timezone.now() + timedelta(minutes=55)
    assert stored(world.alpha) == set()


def test_an_outage_backs_off_and_a_deleted_media_does_not_stop_the_walk(world, api):
    expect(api, f"/{ACCOUNT}/media", query(MEDIA_FIELDS, limit=3), "error-temporary.json")
    source = owned_source(world.alpha)
    before = timezone.now()
    down = poll(world.alpha, source)
    assert down.error == (
        "Instagram is having trouble (500, code 2): An unexpected error has occurred. Please "
        "retry your request later (fbtrace_id Dk4Lm6Nb8Vc1Xz3As5Dq7W)."
    )
    assert_waits(world.alpha, source, down, since=before, between=(295, 305))

    api.clear()
    expect_media(api)
    expect(api, f"/{M1}/comments", query(COMMENT_FIELDS), "comments-m1-page1.json")
    expect(api, f"/{C(101)}/replies", query(REPLY_FIELDS), "replies-c101.json")
    expect(api, f"/{M1}/comments", query(COMMENT_FIELDS, AFTER_M1), "comments-m1-page2.json")
    # deleted after it was listed
    expect(api, f"/{M2}/comments", query(COMMENT_FIELDS), "error-media-gone.json")
    expect(api, f"/{ACCOUNT}/tags", query(TAG_FIELDS), "tags.json")
    with tenancy.tenant_context(world.alpha):
        Source.objects.filter(pk=source.pk).update(next_poll_at=None)
    result = poll(world.alpha, source)
    assert (result.accepted, result.error) == (6, "")
    assert stored(world.alpha) == FIRST - {"17912345678000201"}
    assert M2 not in reload(world.alpha, source).poll_cursor["media"]
    api.check_assertions()


def test_a_nearly_spent_limit_ends_the_poll_early_and_the_next_one_goes_on(world, api):
    api.expect_ordered_request(
        f"/{ACCOUNT}/media", query_string=query(MEDIA_FIELDS, limit=3)
    ).respond_with_json(
        body("media-page1.json"),
        headers={"X-App-Usage": '{"call_count":97,"total_cputime":40,"total_time":52}'},
    )
    expect(api, f"/{ACCOUNT}/media", query(MEDIA_FIELDS, AFTER_MEDIA, 1), "media-page2.json")
    source = owned_source(world.alpha)
    paused = poll(world.alpha, source, max_pages=2)
    assert (paused.pages, paused.error) == (1, "")
    assert reload(world.alpha, source).poll_cursor["walk"]["after"] == AFTER_MEDIA
    assert poll(world.alpha, source, max_pages=1).pages == 1
    api.check_assertions()


def test_a_hashtag_is_searched_once_and_its_recent_media_have_no_author(world, api):
    search = {"user_id": ACCOUNT, "q": "alphabakery"}
    recent = f"/{17843826142012701}/recent_media"
    page = {"user_id": ACCOUNT, **query(HASHTAG_FIELDS)}
    expect(api, "/ig_hashtag_search", search, "hashtag-search.json")
    expect(api, recent, page, "recent-media-page1.json")
    expect(api, recent, page | {"after": "QVFIUmhhc2h0YWdfcGFnZTIZD"}, "recent-media-page2.json")
    expect(api, recent, page, "recent-media-later.json")  # the id is kept: no second search
    expect(
        api,
        "/ig_hashtag_search",
        {"user_id": ACCOUNT, "q": "bakkerijalpha"},
        "hashtag-search-none.json",
    )
    source = hashtag_source(world.alpha)

    first = poll(world.alpha, source)
    # the media without a timestamp is a dead letter; the one from before `since` is not kept
    assert (first.pages, first.accepted, first.rejected, first.error) == (3, 2, 1, "")
    assert stored(world.alpha) == {"18101010101010101", "18101010101010102"}
    with tenancy.tenant_context(world.alpha):
        media = Mention.objects.get(external_id="18101010101010102")
    assert media.author is None  # recent_media names no author: none, not "unknown"
    assert media.text == "Mijn zuurdesem van #alphabakery ligt in de prullenbak"
    assert (media.url, media.thread_id) == (
        "https://www.instagram.com/p/DGzHash102/",
        "18101010101010102",
    )
    assert (media.likes, media.comments) == (40, 7)
    assert reload(world.alpha, source).poll_cursor["hashtag"] == {
        "name": "alphabakery",
        "id": "17843826142012701",
    }
    later = poll(world.alpha, source)
    assert (later.pages, later.accepted, later.duplicates) == (1, 1, 0)

    # another hashtag is searched anew; one Instagram does not know says so
    with tenancy.tenant_context(world.alpha):
        Source.objects.filter(pk=source.pk).update(
            settings={"account_id": ACCOUNT, "hashtag": "BakkerijAlpha"}, next_poll_at=None
        )
    unknown = poll(world.alpha, source)
    assert unknown.error == (
        "Instagram has no hashtag #bakkerijalpha (a hashtag Instagram deems sensitive is not "
        "found either)."
    )
    api.check_assertions()


def test_a_source_switched_between_hashtag_and_account_starts_the_right_walk(world, api):
    recent = f"/{17843826142012701}/recent_media"
    expect(
        api, "/ig_hashtag_search", {"user_id": ACCOUNT, "q": "alphabakery"}, "hashtag-search.json"
    )
    expect(api, recent, {"user_id": ACCOUNT, **query(HASHTAG_FIELDS)}, "recent-media-page1.json")
    expect(api, f"/{ACCOUNT}/media", query(MEDIA_FIELDS, limit=3), "media-page1.json")
    source = hashtag_source(world.alpha)
    assert poll(world.alpha, source, max_pages=2).accepted == 2  # mid-walk of the hashtag
    with tenancy.tenant_context(world.alpha):
        Source.objects.filter(pk=source.pk).update(
            settings={"account_id": ACCOUNT, "recent_media": 3}, next_poll_at=None
        )
    switched = poll(world.alpha, source, max_pages=1)
    assert (switched.pages, switched.error) == (1, "")
    assert reload(world.alpha, source).poll_cursor["walk"]["step"] == "media"
    # and back: the hashtag's id is still known, its media are read from the top, not at the
    # account walk's `after`
    with tenancy.tenant_context(world.alpha):
        Source.objects.filter(pk=source.pk).update(
            settings={"account_id": ACCOUNT, "hashtag": "alphabakery"}, next_poll_at=None
        )
    expect(api, recent, {"user_id": ACCOUNT, **query(HASHTAG_FIELDS)}, "recent-media-later.json")
    back = poll(world.alpha, source)
    assert (back.pages, back.accepted, back.duplicates, back.error) == (1, 1, 0, "")
    api.check_assertions()


def test_the_31st_hashtag_of_the_week_says_so(world, api):
    expect(
        api,
        "/ig_hashtag_search",
        {"user_id": ACCOUNT, "q": "alphabakery"},
        "error-hashtag-limit.json",
    )
    source = hashtag_source(world.alpha)
    result = poll(world.alpha, source)
    assert result.error.startswith(
        "Instagram refused the hashtag search (code 24, subcode 2207024): (#24) The hashtag "
        "search limit has been reached for this Instagram account (fbtrace_id "
        "Ep2Oi4Uy6Tr8Ew1Qa3Sd5F). An account may search at most 30 different hashtags in 7 days"
    )
    assert reload(world.alpha, source).last_error == result.error
    assert stored(world.alpha) == set()


def test_test_connection_names_the_account_and_what_is_wrong(world, api):
    secret = "8f1e0c7d6b5a4e3f2a1b0c9d8e7f6a5b"
    proof = hmac.new(secret.encode(), TOKEN.encode(), hashlib.sha256).hexdigest()
    fields = {"fields": "id,username,name"}
    expect(api, f"/{ACCOUNT}", fields, "account.json")
    # with the app secret, every request carries its appsecret_proof
    expect(api, f"/{ACCOUNT}", fields | {"appsecret_proof": proof}, "account.json")
    expect(api, f"/{ACCOUNT}", fields, "error-token-expired.json")
    source = owned_source(world.alpha)
    proved = owned_source(
        world.alpha, name="proved", credentials={"access_token": TOKEN, "app_secret": secret}
    )
    with tenancy.tenant_context(world.alpha):
        good = source_test_connection(client=world.alpha, source=source)
        assert (good.ok, good.message) == (
            True,
            "Instagram answered: the account @bakkerij.alpha is readable; the comments on its "
            "media and the media it is tagged in are readable.",
        )
        assert good.details == {"username": "bakkerij.alpha", "name": "Bakkerij Alpha"}
        assert source_test_connection(client=world.alpha, source=proved).ok is True
        expired = source_test_connection(client=world.alpha, source=source)
        assert (expired.ok, expired.details) == (False, {"kind": "auth"})
        assert "Set a new access token on the source." in expired.message
        bare = Source(platform="instagram", kind="owned", pull=True, settings={})
        missing = source_test_connection(client=world.alpha, source=bare)
        assert missing.message == (
            "Missing setting 'account_id' (the brand's Instagram professional account id (IG "
            "user id, 1784...)), credential 'access_token' (a Facebook user or Page access token "
            "with instagram_basic, instagram_manage_comments and pages_read_engagement)."
        )
        assert not Mention.objects.exists()  # a test stores nothing
    api.check_assertions()


def test_each_brand_polls_with_its_own_token_and_sees_only_its_own(world, api):
    expect_first_walk(api)
    bravo_token = "EAAJbravoBoatsPageToken"
    expect(
        api,
        "/17841400000009999/media",
        query(MEDIA_FIELDS, limit=20),
        "media-empty.json",
        bravo_token,
    )
    expect(api, "/17841400000009999/tags", query(TAG_FIELDS), "media-empty.json", bravo_token)
    alpha = owned_source(world.alpha)
    bravo = owned_source(
        world.bravo,
        name="Instagram @bravo.boats",
        settings={"account_id": "17841400000009999", "since": "2026-03-01T00:00:00Z"},
        credentials={"access_token": bravo_token},
    )
    assert poll(world.alpha, alpha).accepted == 7
    result = poll(world.bravo, bravo)
    assert (result.pages, result.accepted, result.error) == (2, 0, "")
    assert stored(world.bravo) == set()
    assert stored(world.alpha) == FIRST
    with tenancy.tenant_context(world.bravo):
        assert not DeadLetter.objects.exists()
    api.check_assertions()
