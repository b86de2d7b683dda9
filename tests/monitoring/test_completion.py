"""Mentions Meta's webhooks give by ids only, read in full through the Graph API: stored at once
by the webhook (nothing lost), a completion run queued after its commit, the stored mention
filled in (text, link, author, counts) and processed; a refused token on the source's health;
a mention the API cannot give tried a bounded number of times; the other brand untouched."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from pytest_httpserver import HTTPServer

from clients import tenancy
from monitoring.connectors.graph import appsecret_proof
from monitoring.connectors.instagram import InstagramGraph
from monitoring.models import Mention, Source
from monitoring.services import completion
from monitoring.services.completion import mentions_complete, mentions_to_complete
from tests.monitoring import hooks
from tests.monitoring.broker import sent_by
from tests.monitoring.connectors.helpers import Recordings
from tests.monitoring.factories import make_source

pytestmark = pytest.mark.django_db

RECORDED = Recordings("instagram")
ACCOUNT = "17841463520874106"
TOKEN = "EAAJx7ZBpKq0sBO4alphaPageToken"
APP_SECRET = "meta-completion"
COMMENT = "17990011223344556"
MEDIA = "18222333444555667"
COMMENT_FIELDS = (
    f"mentioned_comment.comment_id({COMMENT})"
    "{id,text,timestamp,like_count,username,media{id,permalink}}"
)
MEDIA_FIELDS = (
    f"mentioned_media.media_id({MEDIA})"
    "{id,caption,timestamp,like_count,comments_count,username,permalink,media_type}"
)


@pytest.fixture
def graph(settings, httpserver: HTTPServer) -> HTTPServer:
    settings.CONNECTOR_BASE_URLS = {InstagramGraph.__name__.lower(): httpserver.url_for("")}
    return httpserver


def answer(server: HTTPServer, fields: str, name: str) -> None:
    saved = RECORDED.body(name)
    handler = server.expect_ordered_request(
        f"/{ACCOUNT}",
        query_string={"fields": fields, "appsecret_proof": appsecret_proof(APP_SECRET, TOKEN)},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    if "status" in saved and "body" in saved:
        handler.respond_with_response(RECORDED.response(name))
    else:
        handler.respond_with_json(saved)


def instagram_source(client, **credentials) -> Source:  # type: ignore[no-untyped-def]
    return make_source(
        client,
        name="Alpha on Instagram",
        platform="instagram",
        kind="owned",
        settings={"account_id": ACCOUNT},
        credentials={"app_secret": APP_SECRET, "access_token": TOKEN} | credentials,
    )


def hook(host: str, source: Source):  # type: ignore[no-untyped-def]
    body = json.dumps(RECORDED.body("webhook-mentions.json")).encode()
    return hooks.meta_post(host, source, body, secret=APP_SECRET)


def test_a_mention_by_ids_is_stored_at_once_then_read_in_full(
    world, graph, django_capture_on_commit_callbacks
):
    source = instagram_source(world.alpha)

    def delivered():  # type: ignore[no-untyped-def]
        with django_capture_on_commit_callbacks(execute=True):
            return hook("alpha.agency.localhost", source)

    response, messages = sent_by(delivered)
    assert response.status_code == 200 and response.json()["accepted"] == 2
    tasks = [m["task"] for m in messages]
    assert "monitoring.tasks.mentions_complete" in tasks  # queued after the webhook's commit
    with tenancy.tenant_context(world.alpha):
        bare = Mention.objects.get(external_id=COMMENT)
        assert (bare.text, bare.author, bare.thread_id) == ("", None, "18222333444555666")
        assert mentions_to_complete(client=world.alpha).count() == 2

    answer(graph, COMMENT_FIELDS, "mentioned-comment.json")
    answer(graph, MEDIA_FIELDS, "mentioned-media.json")
    with tenancy.tenant_context(world.alpha):
        result = mentions_complete(client=world.alpha, source_id=source.pk)
        assert (result.wanted, result.completed, result.failed, result.error) == (2, 2, 0, "")
        comment = Mention.objects.select_related("author").get(external_id=COMMENT)
        assert comment.text.startswith("@bakkerij.alpha jullie brood heeft mijn hele gezin")
        assert (comment.author.handle, comment.likes) == ("sanne.kookt", 3)
        assert comment.url == "https://www.instagram.com/p/DGzSanne001/"
        assert comment.processed_at is None  # read again by processing, with its words now
        reel = Mention.objects.get(external_id=MEDIA)
        assert (reel.url, reel.comments) == ("https://www.instagram.com/reel/DGzFood0667/", 41)
        assert not mentions_to_complete(client=world.alpha).exists()
        # nothing left: a second run asks the platform nothing
        assert mentions_complete(client=world.alpha, source_id=source.pk).wanted == 0
    graph.check_assertions()
    with tenancy.tenant_context(world.bravo):
        assert not Mention.objects.exists()


def test_a_refused_token_is_the_sources_health_error(world, graph):
    source = instagram_source(world.alpha)
    hook("alpha.agency.localhost", source)
    answer(graph, COMMENT_FIELDS, "error-token-expired.json")
    with tenancy.tenant_context(world.alpha):
        result = mentions_complete(client=world.alpha, source_id=source.pk)
        assert result.completed == 0 and result.error
        health = Source.objects.get(pk=source.pk)
        assert health.last_error == result.error
        assert mentions_to_complete(client=world.alpha).count() == 2  # kept for the next run


def test_no_token_says_what_to_set(world, graph):
    source = make_source(
        world.alpha,
        platform="instagram",
        kind="owned",
        settings={"account_id": ACCOUNT},
        credentials={"app_secret": APP_SECRET},
    )
    hook("alpha.agency.localhost", source)
    with tenancy.tenant_context(world.alpha):
        result = mentions_complete(client=world.alpha, source_id=source.pk)
        assert "set the credential 'access_token'" in result.error
        assert Source.objects.get(pk=source.pk).last_error == result.error


def test_a_mention_the_api_cannot_give_is_tried_a_bounded_number_of_times(world, graph):
    source = instagram_source(world.alpha)
    hook("alpha.agency.localhost", source)
    with tenancy.tenant_context(world.alpha):
        Mention.objects.filter(external_id=MEDIA).delete()  # only the comment is left to read
        for _ in range(completion.COMPLETE_TRIES):
            answer(graph, COMMENT_FIELDS, "mentioned-none.json")
        for _ in range(completion.COMPLETE_TRIES):
            assert mentions_complete(client=world.alpha, source_id=source.pk).failed == 1
        # given up: no more requests for it
        assert mentions_complete(client=world.alpha, source_id=source.pk).wanted == 0
        assert Mention.objects.get(external_id=COMMENT).text == ""  # still stored, as it came
    graph.check_assertions()
    cache.clear()


def test_the_other_brands_sources_are_not_read(world, graph):
    alpha = instagram_source(world.alpha)
    bravo = instagram_source(world.bravo)
    hook("alpha.agency.localhost", alpha)
    with tenancy.tenant_context(world.bravo):
        # bravo's source has the same kind of credentials, but none of alpha's mentions
        assert mentions_complete(client=world.bravo, source_id=bravo.pk).wanted == 0
        assert not mentions_to_complete(client=world.bravo).exists()


def facebook_source(client) -> Source:  # type: ignore[no-untyped-def]
    return make_source(
        client,
        name="Alpha's Facebook Page",
        platform="facebook",
        kind="owned",
        credentials={"app_secret": APP_SECRET, "access_token": TOKEN},
    )


def test_a_page_mention_without_its_message_is_read_in_full(world, graph):
    source = facebook_source(world.alpha)
    body = json.dumps(RECORDED.body("webhook-page-mention.json")).encode()
    assert (
        hooks.meta_post("alpha.agency.localhost", source, body, secret=APP_SECRET).json()[
            "accepted"
        ]
        == 1
    )
    graph.expect_ordered_request(
        "/7730012_5501234",
        query_string={
            "fields": "id,message,created_time,permalink_url,from{id,name}",
            "appsecret_proof": appsecret_proof(APP_SECRET, TOKEN),
        },
    ).respond_with_json(RECORDED.body("page-post.json"))
    with tenancy.tenant_context(world.alpha):
        assert mentions_complete(client=world.alpha, source_id=source.pk).completed == 1
        post = Mention.objects.get(external_id="7730012_5501234")
        assert post.text.startswith("Mijn kinderen zijn ziek van het brood")
        assert post.url == "https://www.facebook.com/7730012/posts/5501234"
    graph.check_assertions()


def test_a_page_mention_in_a_comment_is_completed_as_that_comment(world, graph):
    """A Page `mention` whose item is "comment" names the comment and its post by ids: the
    comment is read (not its post) and fills in the mention the webhook stored."""
    post, comment = "7730012_5501234", "5501234_7712001"
    source = facebook_source(world.alpha)
    body = json.dumps(RECORDED.body("webhook-page-mention-comment.json")).encode()
    hooked = hooks.meta_post("alpha.agency.localhost", source, body, secret=APP_SECRET)
    assert hooked.json()["accepted"] == 1
    with tenancy.tenant_context(world.alpha):
        bare = Mention.objects.get()
        assert (bare.external_id, bare.thread_id, bare.text) == (comment, post, "")
    graph.expect_ordered_request(
        f"/{comment}",
        query_string={
            "fields": "id,message,created_time,permalink_url,from{id,name},parent{id}",
            "appsecret_proof": appsecret_proof(APP_SECRET, TOKEN),
        },
        headers={"Authorization": f"Bearer {TOKEN}"},
    ).respond_with_json(RECORDED.body("page-comment.json"))
    with tenancy.tenant_context(world.alpha):
        result = mentions_complete(client=world.alpha, source_id=source.pk)
        assert (result.wanted, result.completed, result.failed, result.error) == (1, 1, 0, "")
        completed = Mention.objects.select_related("author").get()  # the same one, no second
        assert completed.pk == bare.pk
        assert completed.text.startswith("Bakkerij Alpha, wij ook! Onze zoon lag twee dagen")
        assert completed.url == "https://www.facebook.com/7730012/posts/5501234?comment_id=7712001"
        assert (completed.thread_id, completed.parent_id) == (post, "")
        assert (completed.author.handle, completed.author.display_name) == (
            "7731190",
            "Pieter Smit",
        )
        assert not mentions_to_complete(client=world.alpha).exists()
    graph.check_assertions()
    with tenancy.tenant_context(world.bravo):
        assert not Mention.objects.exists()


def test_a_post_deleted_since_does_not_hold_up_the_others(world, graph):
    source = instagram_source(world.alpha)
    hook("alpha.agency.localhost", source)
    answer(graph, COMMENT_FIELDS, "error-media-gone.json")  # the older one: deleted since
    answer(graph, MEDIA_FIELDS, "mentioned-media.json")
    with tenancy.tenant_context(world.alpha):
        result = mentions_complete(client=world.alpha, source_id=source.pk)
        assert (result.completed, result.failed, result.error) == (1, 1, "")
        assert Mention.objects.get(external_id=MEDIA).text.startswith("Video: zo test je")
        assert Mention.objects.get(external_id=COMMENT).text == ""  # tried again later
        assert Source.objects.get(pk=source.pk).last_error == ""  # not the source's failure
    graph.check_assertions()
    cache.clear()
