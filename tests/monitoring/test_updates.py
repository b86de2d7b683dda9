"""What becomes of a stored post: deleted, edited, read in full later, shared. Updates go through
the one ingestion service (matched by source and external id), change what they say and nothing
else, bring the mention back to processing, and never reach another brand's mentions."""

from __future__ import annotations

from datetime import timedelta

import pytest

from clients import tenancy
from monitoring.models import Mention, MentionSearch
from monitoring.selectors import mentions_filter
from monitoring.services.ingestion import mentions_ingest
from monitoring.services.processing import mentions_process_pending
from tests.conftest import api_client
from tests.monitoring.factories import make_source
from tests.monitoring.test_detection import ANGRY, NOW, ingest, item, quiet_history, wave_of

pytestmark = pytest.mark.django_db


def send(client, source, items):
    with tenancy.tenant_context(client):
        return mentions_ingest(client=client, source=source, items=items, channel="api")


def stored(client, external_id: str = "d1") -> Mention:
    with tenancy.tenant_context(client):
        return Mention.objects.select_related("author").get(external_id=external_id)


def test_a_deleted_post_is_marked_kept_and_reprocessed_once(world):
    source = make_source(world.alpha)
    ingest(world.alpha, source, [item(1, NOW, "Terrible service, I am furious!", "ann")])
    assert stored(world.alpha).processed_at is not None

    gone = {**item(1, NOW, "", "ann"), "deleted": True}
    result = send(world.alpha, source, [gone])
    assert (result.accepted, result.updated, result.duplicates) == (0, 1, 0)
    mention = stored(world.alpha)
    assert mention.deleted_at is not None
    assert mention.text == "Terrible service, I am furious!"  # kept for the record
    assert mention.processed_at is None  # back to processing: the wave is judged without it

    # the same news again changes nothing
    with tenancy.tenant_context(world.alpha):
        mentions_process_pending(client=world.alpha, now=NOW)
    again = send(world.alpha, source, [gone])
    assert (again.accepted, again.updated, again.duplicates) == (0, 0, 1)
    assert stored(world.alpha).processed_at is not None


def test_a_deletion_of_a_post_never_seen_is_stored_as_deleted(world):
    source = make_source(world.alpha)
    result = send(world.alpha, source, [{**item(1, NOW, "", "ann"), "deleted": True}])
    assert result.accepted == 1
    assert stored(world.alpha).deleted_at is not None
    # and the post arriving late does not bring it back to life
    send(world.alpha, source, [item(1, NOW, "Terrible service!", "ann")])
    assert stored(world.alpha).deleted_at is not None


def test_a_post_and_its_removal_in_one_batch_store_the_post_deleted(world):
    source = make_source(world.alpha)
    post = item(1, NOW, "Terrible service!", "ann")
    result = send(world.alpha, source, [post, {**post, "text": "", "deleted": True}])
    assert (result.accepted, result.duplicates) == (1, 1)
    mention = stored(world.alpha)
    assert (mention.text, mention.deleted_at is not None) == ("Terrible service!", True)


def test_a_later_edit_replaces_text_and_counts_and_is_read_again(world):
    source = make_source(world.alpha)
    ingest(world.alpha, source, [item(1, NOW, "Lovely coffee, friendly staff", "ann", likes=3)])
    assert stored(world.alpha).sentiment == "pos"

    edited = NOW + timedelta(minutes=5)
    angry = item(1, NOW, "Update: they refused my refund. Disgraceful, never again!", "ann")
    result = send(world.alpha, source, [{**angry, "edited_at": edited.isoformat(), "likes": 9}])
    assert result.updated == 1
    with tenancy.tenant_context(world.alpha):
        mentions_process_pending(client=world.alpha, now=NOW)
        assert mentions_filter(client=world.alpha, q="refund").exists()  # search sees the edit
        assert MentionSearch.objects.count() == 1
    mention = stored(world.alpha)
    assert (mention.text, mention.likes, mention.edited_at) == (angry["text"], 9, edited)
    assert mention.sentiment == "neg"

    # an older edit, arriving late, changes nothing
    older = {**item(1, NOW, "first edit", "ann"), "edited_at": (edited - timedelta(1)).isoformat()}
    assert send(world.alpha, source, [older]).updated == 0
    assert stored(world.alpha).text == angry["text"]


def test_a_post_known_by_its_ids_only_is_filled_in_when_read_in_full(world):
    source = make_source(world.alpha, platform="instagram", name="ig")
    bare = {"external_id": "d1", "posted_at": NOW.isoformat()}
    send(world.alpha, source, [bare])
    full = item(1, NOW, "Your ad is offensive", "ann", 2_000)
    full["url"] = "https://www.instagram.com/p/abc/"
    assert send(world.alpha, source, [full]).updated == 1
    mention = stored(world.alpha)
    assert (mention.text, mention.url, mention.author.handle) == (
        "Your ad is offensive",
        "https://www.instagram.com/p/abc/",
        "ann",
    )
    # read in full once: a second full read is a duplicate
    assert send(world.alpha, source, [full]).duplicates == 1


def test_unknown_counts_stay_unknown(world):
    source = make_source(world.alpha)
    send(world.alpha, source, [{**item(1, NOW, "hello", "ann"), "likes": 4, "views": None}])
    mention = stored(world.alpha)
    assert (mention.likes, mention.shares, mention.comments, mention.views) == (4, None, None, None)


def test_updates_reach_only_their_own_brand(world):
    alpha, bravo = make_source(world.alpha), make_source(world.bravo)
    # the same external id in two brands' schemas
    for client, source in ((world.alpha, alpha), (world.bravo, bravo)):
        send(client, source, [item(1, NOW, "Terrible service!", "ann")])
    send(world.alpha, alpha, [{**item(1, NOW, "", "ann"), "deleted": True}])
    assert stored(world.alpha).deleted_at is not None
    assert stored(world.bravo).deleted_at is None


def angry_wave(client, source, *, reposts: int = 0, authors: int = 8):
    quiet_history(client, source)
    posts = [item(n, NOW - timedelta(minutes=5), ANGRY[n % 6], f"c{n}", 40) for n in range(authors)]
    shares = [
        item(100 + n, NOW - timedelta(minutes=4), ANGRY[0], f"rt{n}", 40, repost_of="d0")
        for n in range(reposts)
    ]
    ingest(client, source, posts + shares)


def test_deleted_posts_leave_the_waves_counts(world):
    source = make_source(world.alpha)
    angry_wave(world.alpha, source)
    wave, alert = wave_of(world.alpha)
    assert alert is not None and wave.negative_count == 8

    gone = [{**item(n, NOW - timedelta(minutes=5), "", f"c{n}"), "deleted": True} for n in range(6)]
    ingest(world.alpha, source, gone, now=NOW + timedelta(minutes=1))
    wave, _ = wave_of(world.alpha)
    assert (wave.negative_count, wave.figures["negative_authors"]) == (2, 2)
    assert wave.level == "noise"


def test_shares_count_for_spread_not_as_negative_voices(world):
    source = make_source(world.alpha)
    angry_wave(world.alpha, source, reposts=30, authors=3)
    wave, _ = wave_of(world.alpha)
    assert wave is not None
    assert wave.negative_count == 3  # the three who wrote, not the thirty who shared
    assert wave.figures["negative_authors"] == 3
    assert wave.figures["reposts"] == 30
    assert wave.mention_count >= 33  # spread: every share is in the wave's volume
    with tenancy.tenant_context(world.bravo):
        assert not Mention.objects.exists()


def test_the_api_takes_updates_and_filters_on_them(world):
    source = make_source(world.alpha)
    api = api_client(world, world.staff_a, world.alpha, token=True)
    url = f"/api/v1/sources/{source.pk}/mentions/"
    posts = [item(1, NOW, "Terrible!", "ann"), item(2, NOW, "Terrible!", "bob", repost_of="d1")]
    assert api.post(url, {"mentions": posts}, format="json").json()["accepted"] == 2
    gone = {**item(1, NOW, "", "ann"), "deleted": True}
    answer = api.post(url, {"mentions": [gone]}, format="json").json()
    assert (answer["accepted"], answer["updated"], answer["duplicates"]) == (0, 1, 0)

    def ids(**filters):
        found = api.get("/api/v1/mentions/", filters).json()["results"]
        return {m["external_id"] for m in found}

    assert ids() == {"d1", "d2"}
    assert ids(deleted="true") == {"d1"} and ids(deleted="false") == {"d2"}
    assert ids(reposts="true") == {"d2"} and ids(reposts="false") == {"d1"}
    shown = api.get("/api/v1/mentions/", {"reposts": "true"}).json()["results"][0]
    assert (shown["repost_of"], shown["deleted_at"], shown["views"]) == ("d1", None, None)
    # the other brand's API sees none of it
    other = api_client(world, world.staff_b, world.bravo, token=True)
    assert other.get("/api/v1/mentions/", {"deleted": "true"}).json()["results"] == []
