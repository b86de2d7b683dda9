"""The Meta webhook mapping (monitoring/connectors/meta.py) on payloads in Meta's own shapes,
recorded in tests/monitoring/data/connectors/meta/: what becomes a mention, with which author and
thread, and what is skipped on purpose (and said so in the log)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from clients import tenancy
from monitoring.connectors.meta import meta_items
from monitoring.models import DeadLetter, Mention
from monitoring.schemas import validate_item
from tests.monitoring import hooks
from tests.monitoring.connectors.helpers import Recordings
from tests.monitoring.factories import make_source

RECORDED = Recordings("meta")
APP_SECRET = "meta-connector"
HOST = "alpha.agency.localhost"


def mapped(name: str) -> list[dict[str, Any]]:
    """The items of a recorded payload, each checked against the ingestion schema."""
    result = meta_items(RECORDED.body(name))
    assert not isinstance(result, str), result
    items, raws = result
    assert len(items) == len(raws)
    for item in items:
        assert isinstance(validate_item(item), dict), (item, validate_item(item))
    return items


def test_page_mentions_are_mentions_with_or_without_text():
    post, comment = mapped("page-mentions.json")
    assert post == {
        "external_id": "7730012_5501234",
        "posted_at": "2026-03-03T18:20:00+00:00",
        "text": "",
        "url": "https://www.facebook.com/7730012_5501234",
        "author": {"handle": "7730012", "display_name": "Marta Jansen"},
        "platform": "facebook",
        "thread_id": "7730012_5501234",
        "parent_id": "",
    }
    assert (comment["external_id"], comment["thread_id"]) == ("6602001_3310987", "8841177_6602001")
    assert comment["text"].startswith("Acme Coffee sold me")
    assert comment["author"] == {"handle": "8841177", "display_name": "Tom Berg"}
    assert comment["posted_at"] == "2026-03-03T18:19:10+00:00"


def test_feed_events_with_sender_fields_keep_their_author():
    post, comment = mapped("page-feed-sender.json")
    assert post["author"] == {"handle": "100004923811207", "display_name": "Lena Vos"}
    assert comment["author"] == {"handle": "100007711223344", "display_name": "Piet de Wit"}
    assert (comment["thread_id"], comment["parent_id"]) == ("104659418_9990", "104659418_9990")


def test_older_instagram_comments_keep_what_author_and_thread_they_have():
    bare, named, by_id = mapped("instagram-comments-legacy.json")
    # Nothing names the author: no author, rather than an invented "unknown" one.
    assert "author" not in bare or bare["author"] is None
    assert bare["thread_id"] == "" and bare["text"] == "Why is the app down again?"
    assert named["author"] == {"handle": "brew_watcher"}
    assert named["thread_id"] == "17918195224117851"
    assert by_id["author"] == {"handle": "17841401234567890"}
    assert (by_id["thread_id"], by_id["parent_id"]) == (
        "17918195224117852",
        "17865799348089041",
    )


def test_whatsapp_reactions_system_and_unsupported_messages_are_not_mentions():
    (text,) = mapped("whatsapp-not-messages.json")
    assert text["text"] == "Still waiting for an answer about my batch."
    assert text["author"] == {"handle": "16505551234", "display_name": "Sheena Nelson"}


def test_whatsapp_usernames_keep_the_author_and_the_thread():
    (message,) = mapped("whatsapp-usernames.json")
    assert message["author"] == {"handle": "NL.13491208655302741918", "display_name": "Noor Haddad"}
    assert message["thread_id"] == "NL.13491208655302741918"
    assert message["text"] == "Your store in Utrecht refused my refund"


def test_removals_are_deletions_of_the_same_posts_and_comments():
    comment, post, mention = mapped("page-removals.json")
    assert (comment["external_id"], comment["deleted"]) == ("9988_5551", True)
    assert (post["external_id"], post["deleted"]) == ("104659418_9970", True)
    assert (mention["external_id"], mention["deleted"]) == ("7730012_5501234", True)
    assert mention["posted_at"] == "2026-03-03T18:23:20+00:00"  # no created_time: the entry's


def feed_comment(verb: str, message: str, at: int) -> bytes:
    """A Page feed event about one comment, as Meta sends it."""
    value = {
        "item": "comment",
        "post_id": "104659418_9988",
        "comment_id": "9988_5551",
        "parent_id": "104659418_9988",
        "verb": verb,
        "created_time": 1772562190,
        "from": {"id": "6112298", "name": "Angry Customer"},
        "message": message,
    }
    payload = {
        "object": "page",
        "entry": [{"id": "104659418", "time": at, "changes": [{"field": "feed", "value": value}]}],
    }
    return json.dumps(payload).encode()


@pytest.mark.django_db
def test_an_edited_then_removed_comment_updates_the_stored_mention(world):
    source = make_source(
        world.alpha, platform="facebook", kind="owned", credentials={"app_secret": APP_SECRET}
    )
    bravo = make_source(
        world.bravo, platform="facebook", kind="owned", credentials={"app_secret": APP_SECRET}
    )
    for brand_source, host in ((source, HOST), (bravo, "bravo.agency.localhost")):
        added = feed_comment("add", "Your coffee made me sick", 1772562190)
        assert hooks.meta_post(host, brand_source, added, secret=APP_SECRET).json()["accepted"]

    edited = feed_comment("edited", "Your coffee made me sick. Three of us!", 1772562250)
    answer = hooks.meta_post(HOST, source, edited, secret=APP_SECRET).json()
    assert (answer["accepted"], answer["updated"]) == (0, 1)
    with tenancy.tenant_context(world.alpha):
        comment = Mention.objects.get(external_id="9988_5551")
        assert comment.text == "Your coffee made me sick. Three of us!"
        assert comment.edited_at.timestamp() == 1772562250
        assert comment.deleted_at is None

    removed = feed_comment("remove", "", 1772562300)
    assert hooks.meta_post(HOST, source, removed, secret=APP_SECRET).json()["updated"] == 1
    with tenancy.tenant_context(world.alpha):
        comment = Mention.objects.get(external_id="9988_5551")
        assert comment.deleted_at is not None
        assert comment.text == "Your coffee made me sick. Three of us!"  # kept for the record
        assert DeadLetter.objects.count() == 0
    with tenancy.tenant_context(world.bravo):  # the other brand's copy is untouched
        other = Mention.objects.get(external_id="9988_5551")
        assert (other.text, other.deleted_at) == ("Your coffee made me sick", None)


@pytest.mark.django_db
def test_a_page_mention_without_text_is_stored_through_the_webhook(world):
    source = make_source(
        world.alpha, platform="facebook", kind="owned", credentials={"app_secret": APP_SECRET}
    )
    body = json.dumps(RECORDED.body("page-mentions.json")).encode()
    response = hooks.meta_post(HOST, source, body, secret=APP_SECRET)
    assert response.status_code == 200, response.content
    assert response.json()["accepted"] == 2
    with tenancy.tenant_context(world.alpha):
        tagged = Mention.objects.get(external_id="7730012_5501234")
        assert (tagged.text, tagged.author.display_name) == ("", "Marta Jansen")
        assert tagged.raw["change"]["field"] == "mention"
        assert DeadLetter.objects.count() == 0


@pytest.mark.django_db
def test_whatsapp_reactions_are_neither_stored_nor_dead_lettered(world):
    source = make_source(
        world.alpha, platform="whatsapp", kind="owned", credentials={"app_secret": APP_SECRET}
    )
    body = json.dumps(RECORDED.body("whatsapp-not-messages.json")).encode()
    response = hooks.meta_post(HOST, source, body, secret=APP_SECRET)
    assert response.status_code == 200, response.content
    assert response.json()["accepted"] == 1
    with tenancy.tenant_context(world.alpha):
        assert list(Mention.objects.values_list("text", flat=True)) == [
            "Still waiting for an answer about my batch."
        ]
        assert DeadLetter.objects.count() == 0
