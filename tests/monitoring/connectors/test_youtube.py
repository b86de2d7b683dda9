"""YouTube: the real polling service against recorded YouTube Data API v3 responses served
locally: comment threads page by page, a walk resumed after a restart or a spent quota with no
gap and no duplicate, refused keys and tokens, disabled comments, search, unmappable threads,
replies and search results dead-lettered once however often a walk lists them, test connection,
and the other brand kept apart."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from clients import tenancy
from monitoring.connectors.youtube import YouTubeComments, quota_reset_in
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

THREADS = "/youtube/v3/commentThreads"
CHANNEL = "UC4lphaB4keryNL0q8Xy2Zw1"
KEY = "AIzaSyD-alpha-test-key"
PAGE2 = "QURTSl9pM3BhZ2UyX3Rva2Vu"
FIRST_PAGE = {"UgzAlpha0001", "UgzAlpha0001.9zReply0001", "UgzAlpha0002", "UgzAlpha0003"}
SECOND_PAGE = {"UgzAlpha0004", "UgzAlpha0005"}


youtube = local_api(YouTubeComments)
body = Recordings("youtube").body


def threads(**params: str) -> dict[str, str]:
    """The query of a commentThreads request on the brand's channel."""
    return {
        "part": "snippet,replies",
        "allThreadsRelatedToChannelId": CHANNEL,
        "order": "time",
        "maxResults": "100",
        "textFormat": "plainText",
        "key": KEY,
    } | params


comments_source = source_factory(
    name="Comments on our videos",
    platform="youtube",
    kind="owned",
    settings={"channel_id": CHANNEL, "since": "2026-03-01T00:00:00Z"},
    credentials={"api_key": KEY},
)


def test_comments_are_read_page_by_page_then_only_what_is_new(world, youtube):
    youtube.expect_ordered_request(THREADS, query_string=threads()).respond_with_json(
        body("comment-threads-page1.json")
    )
    youtube.expect_ordered_request(
        THREADS, query_string=threads(pageToken=PAGE2)
    ).respond_with_json(body("comment-threads-page2.json"))
    # the next poll: its first page reaches what was read before; the walk ends at the page
    # with nothing newer (order=time is only roughly newest first), not at the first old thread
    youtube.expect_ordered_request(THREADS, query_string=threads()).respond_with_json(
        body("comment-threads-later.json")
    )
    youtube.expect_ordered_request(
        THREADS, query_string=threads(pageToken="QURTSl9pM2xhdGVyX3BhZ2Uy")
    ).respond_with_json(body("comment-threads-later-page2.json"))
    source = comments_source(world.alpha)

    first = poll(world.alpha, source)
    assert (first.pages, first.accepted, first.duplicates, first.error) == (2, 6, 0, "")
    assert stored(world.alpha) == FIRST_PAGE | SECOND_PAGE
    with tenancy.tenant_context(world.alpha):
        top = Mention.objects.select_related("author").get(external_id="UgzAlpha0001")
        reply = Mention.objects.get(external_id="UgzAlpha0001.9zReply0001")
    assert top.text == "Ik werd ziek van jullie zuurdesembrood. Wat is er aan de hand?"
    assert (top.platform, top.thread_id, top.parent_id) == ("youtube", "aLpHaVid001", "")
    assert (top.likes, top.comments) == (14, 1)
    assert top.posted_at.isoformat() == "2026-03-03T18:40:00+00:00"
    assert top.url == "https://www.youtube.com/watch?v=aLpHaVid001&lc=UgzAlpha0001"
    assert (top.author.handle, top.author.display_name) == ("UCjeroenV0000000000000aa", "@jeroen_v")
    assert (reply.thread_id, reply.parent_id) == ("aLpHaVid001", "UgzAlpha0001")
    cursor = reload(world.alpha, source).poll_cursor
    assert "walk" not in cursor
    assert cursor["targets"][f"channel:{CHANNEL}"]["since"] == "2026-03-03T18:40:00+00:00"

    # new threads, a late-listed one within the overlap and a new reply; nothing twice
    second = poll(world.alpha, source)
    assert (second.pages, second.accepted, second.duplicates, second.error) == (2, 3, 0, "")
    assert stored(world.alpha) == FIRST_PAGE | SECOND_PAGE | {
        "UgzAlpha0006",
        "UgzAlpha0007",
        "UgzAlpha0001.9zReply0002",
    }
    youtube.check_assertions()
    assert stored(world.bravo) == set()


def test_a_page_out_of_time_order_is_read_whole_and_long_threads_get_all_replies(world, youtube):
    """A pinned thread and a late-approved one head the page with old times, newer threads
    follow; a thread has 7 replies of which YouTube embedded 5. Every thread newer than
    `since` is kept, the 2 other replies are read with comments.list (one request a fetch,
    counted by the budget), and the walk ends at the page with nothing newer."""
    youtube.expect_ordered_request(THREADS, query_string=threads()).respond_with_json(
        body("comment-threads-unordered.json")
    )
    replies = {
        "part": "snippet",
        "parentId": "UgzAlpha0201",
        "maxResults": "100",
        "textFormat": "plainText",
        "key": KEY,
    }
    youtube.expect_ordered_request("/youtube/v3/comments", query_string=replies).respond_with_json(
        body("comments-replies-page1.json")
    )
    youtube.expect_ordered_request(
        "/youtube/v3/comments", query_string=replies | {"pageToken": "Z2V0X25ld2VzdF9yZXBsaWVzXzI"}
    ).respond_with_json(body("comments-replies-page2.json"))
    youtube.expect_ordered_request(
        THREADS, query_string=threads(pageToken="QURTSl9pM3Vub3JkZXJlZDI")
    ).respond_with_json(body("comment-threads-unordered-page2.json"))
    source = comments_source(
        world.alpha, settings={"channel_id": CHANNEL, "since": "2026-03-03T12:00:00Z"}
    )

    result = poll(world.alpha, source)
    # the thread without a top-level comment is a dead letter, not dropped in silence
    assert (result.pages, result.accepted, result.duplicates, result.rejected) == (4, 11, 0, 1)
    replies_stored = {f"UgzAlpha0201.9zRe{n:04d}" for n in range(1, 8)}
    assert (
        stored(world.alpha)
        == {
            "UgzAlpha0201",
            "UgzAlpha0202",
            "UgzAlpha0204",
            "UgzAlpha0205",
        }
        | replies_stored
    )
    with tenancy.tenant_context(world.alpha):
        late = Mention.objects.get(external_id="UgzAlpha0201.9zRe0007")
    assert (late.thread_id, late.parent_id) == ("aLpHaVid004", "UgzAlpha0201")
    assert late.url == "https://www.youtube.com/watch?v=aLpHaVid004&lc=UgzAlpha0201.9zRe0007"
    state = reload(world.alpha, source).poll_cursor["targets"][f"channel:{CHANNEL}"]
    assert state["since"] == "2026-03-03T20:10:00+00:00"
    assert state["counts"]["UgzAlpha0201"] == 7
    youtube.check_assertions()


def test_a_restart_resumes_at_the_saved_page_token(world, youtube):
    youtube.expect_ordered_request(THREADS, query_string=threads()).respond_with_json(
        body("comment-threads-page1.json")
    )
    youtube.expect_ordered_request(
        THREADS, query_string=threads(pageToken=PAGE2)
    ).respond_with_json(body("comment-threads-page2.json"))
    source = comments_source(world.alpha)

    # the worker stops after one page (as one killed between pages would)
    first = poll(world.alpha, source, max_pages=1)
    assert (first.pages, first.accepted) == (1, 4)
    walk = reload(world.alpha, source).poll_cursor["walk"]
    assert walk == {
        "target": f"channel:{CHANNEL}",
        "token": PAGE2,
        "top": "2026-03-03T18:40:00+00:00",
    }
    second = poll(world.alpha, source)
    assert (second.pages, second.accepted, second.duplicates) == (1, 2, 0)
    assert stored(world.alpha) == FIRST_PAGE | SECOND_PAGE
    youtube.check_assertions()


def test_a_page_token_youtube_no_longer_accepts_restarts_the_walk_without_duplicates(
    world, youtube
):
    youtube.expect_ordered_request(THREADS, query_string=threads()).respond_with_json(
        body("comment-threads-page1.json")
    )
    youtube.expect_ordered_request(
        THREADS, query_string=threads(pageToken=PAGE2)
    ).respond_with_json(body("error-invalid-page-token.json"), status=400)
    youtube.expect_ordered_request(THREADS, query_string=threads()).respond_with_json(
        body("comment-threads-page1.json")
    )
    youtube.expect_ordered_request(
        THREADS, query_string=threads(pageToken=PAGE2)
    ).respond_with_json(body("comment-threads-page2.json"))
    source = comments_source(world.alpha)
    assert poll(world.alpha, source, max_pages=1).accepted == 4

    again = poll(world.alpha, source)
    # page 1 was read again, but what it had handed over is not handed over twice
    assert (again.accepted, again.duplicates, again.error) == (2, 0, "")
    assert stored(world.alpha) == FIRST_PAGE | SECOND_PAGE
    youtube.check_assertions()


def test_a_spent_quota_waits_for_midnight_pacific_and_loses_nothing(world, youtube):
    youtube.expect_ordered_request(THREADS, query_string=threads()).respond_with_json(
        body("comment-threads-page1.json")
    )
    youtube.expect_ordered_request(
        THREADS, query_string=threads(pageToken=PAGE2)
    ).respond_with_json(
        body("error-quota-exceeded.json"),
        status=403,
        headers={"Vary": "Origin, X-Origin, Referer", "Server": "scaffolding on HTTPServer2"},
    )
    youtube.expect_ordered_request(
        THREADS, query_string=threads(pageToken=PAGE2)
    ).respond_with_json(body("comment-threads-page2.json"))
    source = comments_source(world.alpha)

    before = timezone.now()
    result = poll(world.alpha, source)
    assert (result.pages, result.accepted) == (1, 4)
    assert result.error.startswith(
        "YouTube quota for today is spent (403): The request cannot be completed because you "
        "have exceeded your quota. Google resets it at midnight Pacific time"
    )
    # not before Google resets the quota
    reset = before + timedelta(seconds=quota_reset_in(before))
    assert_waits(world.alpha, source, result, since=reset, between=(-5, 5))

    # after the reset: the walk goes on where it stopped
    after = poll(world.alpha, source)
    assert (after.accepted, after.duplicates, after.error) == (2, 0, "")
    assert stored(world.alpha) == FIRST_PAGE | SECOND_PAGE
    assert reload(world.alpha, source).poll_failures == 0
    youtube.check_assertions()


def test_a_refused_key_or_expired_token_is_a_health_error(world, youtube):
    youtube.expect_request(THREADS, query_string=threads()).respond_with_json(
        body("error-key-invalid.json"), status=400
    )
    source = comments_source(world.alpha)
    result = poll(world.alpha, source)
    assert result.error == (
        "YouTube refused the credentials (400): API key not valid. Please pass a valid API key. "
        "Set new credentials on the source."
    )
    assert next_poll(world.alpha, source) > timezone.now() + timedelta(minutes=55)

    youtube.clear()
    params = threads()
    del params["key"]  # a token is sent as a bearer, without the key
    youtube.expect_request(
        THREADS, query_string=params, headers={"Authorization": "Bearer ya29.expired"}
    ).respond_with_json(
        body("error-invalid-credentials.json"),
        status=401,
        headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
    )
    by_token = comments_source(world.alpha, credentials={"access_token": "ya29.expired"})
    result = poll(world.alpha, by_token)
    assert result.error.startswith(
        "YouTube refused the credentials (401): Request had invalid authentication credentials"
    )
    assert reload(world.alpha, by_token).last_error == result.error
    assert stored(world.alpha) == set()


def test_disabled_comments_on_one_video_do_not_stop_the_others(world, youtube):
    def video(video_id: str) -> dict[str, str]:
        params = threads(videoId=video_id)
        del params["allThreadsRelatedToChannelId"]
        return params

    youtube.expect_ordered_request(THREADS, query_string=video("aLpHaVid003")).respond_with_json(
        body("error-comments-disabled.json"), status=403
    )
    youtube.expect_ordered_request(THREADS, query_string=video("aLpHaVid002")).respond_with_json(
        body("comment-threads-video2.json")
    )
    source = comments_source(
        world.alpha,
        settings={"video_ids": ["aLpHaVid003", "aLpHaVid002"], "since": "2026-03-01T00:00:00Z"},
    )
    result = poll(world.alpha, source)
    assert (result.accepted, result.error) == (1, "")
    assert stored(world.alpha) == {"UgzAlpha0101"}
    cursor = reload(world.alpha, source).poll_cursor
    assert set(cursor["targets"]) == {"video:aLpHaVid002"} and "walk" not in cursor
    youtube.check_assertions()


def test_search_turns_videos_into_mentions_and_runs_once_an_hour(world, youtube):
    search = {
        "part": "snippet",
        "q": "bakkerij alpha",
        "type": "video",
        "order": "date",
        "maxResults": "50",
        "publishedAfter": "2026-03-02T23:00:00Z",  # `since` less the hour YouTube may lag
        "key": KEY,
    }
    youtube.expect_ordered_request("/youtube/v3/search", query_string=search).respond_with_json(
        body("search-page1.json")
    )
    youtube.expect_ordered_request(
        "/youtube/v3/search", query_string=search | {"pageToken": "CDIQAA"}
    ).respond_with_json(body("search-page2.json"))
    source = comments_source(
        world.alpha,
        name="YouTube search",
        kind="keyword",
        settings={"query": "bakkerij alpha", "since": "2026-03-03T00:00:00Z"},
    )
    result = poll(world.alpha, source)
    assert (result.pages, result.accepted, result.error) == (2, 3, "")
    assert stored(world.alpha) == {"nEwSvid0001", "vLoGvid0002", "rEviEwvid03"}
    with tenancy.tenant_context(world.alpha):
        vlog = Mention.objects.select_related("author").get(external_id="vLoGvid0002")
    assert vlog.text == "Ik test het brood van Bakkerij Alpha & dit gebeurde"
    assert vlog.url == "https://www.youtube.com/watch?v=vLoGvid0002"
    assert vlog.author.display_name == "Broodvlogger"
    # 100 quota units a page: the next search waits an hour, and sends nothing before
    assert poll(world.alpha, source).accepted == 0
    assert len(youtube.log) == 2
    youtube.check_assertions()


def test_test_connection_reads_the_channel_and_says_what_is_wrong(world, youtube):
    youtube.expect_ordered_request(
        "/youtube/v3/channels", query_string={"part": "snippet", "id": CHANNEL, "key": KEY}
    ).respond_with_json(body("channels.json"))
    youtube.expect_ordered_request("/youtube/v3/channels").respond_with_json(
        body("channels-none.json")
    )
    youtube.expect_ordered_request("/youtube/v3/channels").respond_with_json(
        body("error-quota-exceeded.json"), status=403
    )
    source = comments_source(world.alpha)
    with tenancy.tenant_context(world.alpha):
        good = source_test_connection(client=world.alpha, source=source)
        assert (good.ok, good.message) == (
            True,
            "YouTube answered: the comments on channel 'Bakkerij Alpha' are readable.",
        )
        gone = source_test_connection(client=world.alpha, source=source)
        assert (gone.ok, gone.message) == (False, f"YouTube has no channel '{CHANNEL}'.")
        spent = source_test_connection(client=world.alpha, source=source)
        assert spent.ok is False and spent.details == {"kind": "rate_limited"}
        assert "quota for today is spent" in spent.message
        bare = Source(platform="youtube", kind="owned", pull=True, settings={})
        missing = source_test_connection(client=world.alpha, source=bare)
        assert missing.ok is False
        assert (
            "setting 'channel_id'" in missing.message and "credential 'api_key'" in missing.message
        )
        assert not Mention.objects.exists()  # a test stores nothing
    youtube.check_assertions()


def test_an_empty_channel_stores_nothing_and_the_other_brand_sees_nothing(world, youtube):
    youtube.expect_request(THREADS, query_string=threads()).respond_with_json(
        body("comment-threads-page1.json")
    )
    youtube.expect_request(THREADS, query_string=threads(key="AIza-bravo")).respond_with_json(
        body("comment-threads-empty.json")
    )
    alpha = comments_source(world.alpha, settings={"channel_id": CHANNEL, "since": "2026-03-03"})
    bravo = comments_source(
        world.bravo,
        settings={"channel_id": CHANNEL, "since": "2026-03-03"},
        credentials={"api_key": "AIza-bravo"},
    )
    assert poll(world.bravo, bravo).accepted == 0
    assert reload(world.bravo, bravo).poll_cursor["targets"][f"channel:{CHANNEL}"] == {
        "since": "2026-03-03T00:00:00+00:00",
        "seen": {},
    }
    assert poll(world.alpha, alpha, max_pages=1).accepted == 4
    assert stored(world.bravo) == set()
    assert stored(world.alpha) == FIRST_PAGE


def dead_letters(client) -> list[DeadLetter]:  # type: ignore[no-untyped-def]
    with tenancy.tenant_context(client):
        return list(DeadLetter.objects.order_by("pk"))


def test_an_unmappable_embedded_reply_and_thread_are_dead_letters_once(world, youtube):
    """A thread embeds a reply without its publishedAt (a thread of two replies is not read
    again with comments.list): the reply used to be left out in silence. It is a dead letter
    now, as is a thread without its top-level comment, and each walk, which reads back to
    `since` less the overlap, lists both again without filing them twice."""
    for _walk in range(2):
        youtube.expect_ordered_request(THREADS, query_string=threads()).respond_with_json(
            body("comment-threads-broken-reply.json")
        )
    source = comments_source(
        world.alpha, settings={"channel_id": CHANNEL, "since": "2026-03-03T12:00:00Z"}
    )

    first = poll(world.alpha, source)
    assert (first.pages, first.accepted, first.duplicates, first.rejected, first.error) == (
        1,
        3,
        0,
        2,
        "",
    )
    assert stored(world.alpha) == {"UgzAlpha0001", "UgzAlpha0001.9zReply0001", "UgzAlpha0002"}
    listed = body("comment-threads-broken-reply.json")["items"]
    letters = dead_letters(world.alpha)
    assert [(d.payload, d.errors[0]["message"]) for d in letters] == [
        (listed[0]["replies"]["comments"][1], "a YouTube reply needs an id and publishedAt"),
        (
            listed[1],
            "a YouTube comment thread needs a topLevelComment with an id and publishedAt",
        ),
    ]
    cursor = reload(world.alpha, source).poll_cursor
    assert cursor["targets"][f"channel:{CHANNEL}"]["since"] == "2026-03-03T18:40:00+00:00"
    assert "walk" not in cursor and len(cursor["dead"]) == 2

    second = poll(world.alpha, source)
    assert (second.pages, second.accepted, second.duplicates, second.rejected) == (1, 0, 0, 0)
    assert [d.pk for d in dead_letters(world.alpha)] == [d.pk for d in letters]
    assert reload(world.alpha, source).poll_cursor == cursor
    youtube.check_assertions()
    assert dead_letters(world.bravo) == [] and stored(world.bravo) == set()


def test_a_reply_read_again_in_full_is_a_dead_letter_once(world, youtube):
    """A thread of 7 replies, 5 embedded, one of them without its publishedAt: embedded and
    listed by comments.list it is one dead letter. A reply more makes the next walk read all
    replies again with comments.list: the reply is not filed twice."""
    replies = {
        "part": "snippet",
        "parentId": "UgzAlpha0201",
        "maxResults": "100",
        "textFormat": "plainText",
        "key": KEY,
    }
    for threads_name, replies_name in (
        ("comment-threads-long.json", "comments-replies-broken.json"),
        ("comment-threads-long-later.json", "comments-replies-broken-later.json"),
    ):
        youtube.expect_ordered_request(THREADS, query_string=threads()).respond_with_json(
            body(threads_name)
        )
        youtube.expect_ordered_request(
            "/youtube/v3/comments", query_string=replies
        ).respond_with_json(body(replies_name))
    source = comments_source(
        world.alpha, settings={"channel_id": CHANNEL, "since": "2026-03-03T12:00:00Z"}
    )
    readable = {f"UgzAlpha0201.9zRe{n:04d}" for n in (1, 2, 4, 5, 6, 7)}

    first = poll(world.alpha, source)
    assert (first.pages, first.accepted, first.duplicates, first.rejected) == (2, 7, 0, 1)
    assert stored(world.alpha) == {"UgzAlpha0201"} | readable
    [letter] = dead_letters(world.alpha)
    assert letter.payload["id"] == "UgzAlpha0201.9zRe0003"
    assert letter.errors == [
        {"field": "item", "message": "a YouTube reply needs an id and publishedAt"}
    ]

    second = poll(world.alpha, source)
    assert (second.pages, second.accepted, second.duplicates, second.rejected) == (2, 1, 0, 0)
    assert stored(world.alpha) == {"UgzAlpha0201", "UgzAlpha0201.9zRe0008"} | readable
    assert [d.pk for d in dead_letters(world.alpha)] == [letter.pk]
    state = reload(world.alpha, source).poll_cursor["targets"][f"channel:{CHANNEL}"]
    assert state["counts"]["UgzAlpha0201"] == 8
    youtube.check_assertions()
    assert dead_letters(world.bravo) == [] and stored(world.bravo) == set()


def test_a_search_result_whose_id_is_not_an_object_is_a_dead_letter_once(world, youtube):
    """search.list gives a result's id as an object ({"kind", "videoId"}): a bare string says
    not what it is the id of, and used to stop the poll with an error. It is a dead letter; the
    next search, which reads back an hour, does not file it again."""
    search = {
        "part": "snippet",
        "q": "bakkerij alpha",
        "type": "video",
        "order": "date",
        "maxResults": "50",
        "key": KEY,
    }
    for after in ("2026-03-02T23:00:00Z", "2026-03-03T18:30:00Z"):
        youtube.expect_ordered_request(
            "/youtube/v3/search", query_string=search | {"publishedAfter": after}
        ).respond_with_json(body("search-string-id.json"))
    source = comments_source(
        world.alpha,
        name="YouTube search",
        kind="keyword",
        settings={"query": "bakkerij alpha", "since": "2026-03-03T00:00:00Z"},
    )

    first = poll(world.alpha, source)
    assert (first.pages, first.accepted, first.rejected, first.error) == (1, 2, 1, "")
    assert stored(world.alpha) == {"nEwSvid0001", "vLoGvid0002"}
    [letter] = dead_letters(world.alpha)
    assert letter.payload == body("search-string-id.json")["items"][1]
    assert letter.errors[0]["message"] == (
        "a YouTube search result needs an id.videoId and publishedAt"
    )
    # an hour and more later
    with tenancy.tenant_context(world.alpha):
        cursor = Source.objects.get(pk=source.pk).poll_cursor
        searched = datetime.fromisoformat(cursor["searched_at"]) - timedelta(hours=2)
        cursor["searched_at"] = searched.isoformat()
        Source.objects.filter(pk=source.pk).update(poll_cursor=cursor)

    second = poll(world.alpha, source)
    assert (second.pages, second.accepted, second.duplicates, second.rejected) == (1, 0, 0, 0)
    assert [d.pk for d in dead_letters(world.alpha)] == [letter.pk]
    youtube.check_assertions()
    assert dead_letters(world.bravo) == [] and stored(world.bravo) == set()


def test_a_commenters_channel_id_given_as_text_is_read_as_the_channel(world, youtube):
    """authorChannelId is an object ({"value": "UC..."}); one given as the id itself used to
    stop the poll with an error."""
    youtube.expect_ordered_request(THREADS, query_string=threads()).respond_with_json(
        body("comment-threads-channel-id-text.json")
    )
    source = comments_source(world.alpha)
    result = poll(world.alpha, source)
    assert (result.accepted, result.rejected, result.error) == (1, 0, "")
    with tenancy.tenant_context(world.alpha):
        comment = Mention.objects.select_related("author").get(external_id="UgzAlpha0002")
    assert (comment.author.handle, comment.author.display_name) == (
        "UCsanneK00000000000000aa",
        "@sanne.k",
    )
    youtube.check_assertions()
    assert dead_letters(world.bravo) == [] and stored(world.bravo) == set()
