"""Push ingestion: signed webhooks (ours and Meta's), with recorded Meta payloads."""

from __future__ import annotations

import json
import time

import pytest
from django.test import Client as HttpClient

from clients import tenancy
from monitoring.models import DeadLetter, Mention, Source
from tests.monitoring import hooks
from tests.monitoring.factories import make_source, mention

pytestmark = pytest.mark.django_db
SECRET = "whsec-alpha"
APP_SECRET = "meta-app-secret"


def signed_post(
    host: str, source: Source, body: bytes, *, secret: str = SECRET, stamp: int | None = None
):
    return hooks.signed_post(host, source, body, secret=secret, stamp=stamp)


def meta_post(host: str, source: Source, payload: dict, *, secret: str = APP_SECRET):
    return hooks.meta_post(host, source, json.dumps(payload).encode(), secret=secret)


def count(client) -> int:
    with tenancy.tenant_context(client):
        return Mention.objects.count()


def test_a_signed_batch_is_ingested(world):
    source = make_source(world.alpha, credentials={"webhook_secret": SECRET})
    body = json.dumps({"mentions": [mention(1), mention(2)]}).encode()
    response = signed_post("alpha.agency.localhost", source, body)
    assert response.status_code == 200, response.content
    assert response.json()["accepted"] == 2
    assert signed_post("alpha.agency.localhost", source, body).json()["duplicates"] == 2
    assert count(world.alpha) == 2


@pytest.mark.parametrize(
    ("secret", "age", "reason"),
    [
        ("wrong-secret", 0, "signature does not match"),
        (SECRET, 301, "replay window"),
        (SECRET, -400, "replay window"),
    ],
)
def test_bad_signatures_and_stale_timestamps_are_refused(world, secret, age, reason, caplog):
    source = make_source(world.alpha, credentials={"webhook_secret": SECRET})
    body = json.dumps([mention(1)]).encode()
    response = signed_post(
        "alpha.agency.localhost", source, body, secret=secret, stamp=int(time.time()) - age
    )
    assert response.status_code == 403
    assert reason in response.json()["error"]["message"]
    assert reason in caplog.text  # logged
    assert count(world.alpha) == 0
    with tenancy.tenant_context(world.alpha):
        assert DeadLetter.objects.count() == 0
        # Whoever knows the public id cannot write the source's health with unsigned posts.
        refused = Source.objects.get(pk=source.pk)
        assert refused.last_error == "" and refused.last_error_at is None


def test_a_source_is_reachable_only_on_its_own_brand_host(world):
    source = make_source(world.alpha, credentials={"webhook_secret": SECRET})
    response = signed_post("bravo.agency.localhost", source, json.dumps([mention(1)]).encode())
    assert response.status_code == 404
    assert count(world.alpha) == 0 and count(world.bravo) == 0


def test_a_body_that_is_not_json_is_kept_as_a_dead_letter(world):
    source = make_source(world.alpha, credentials={"webhook_secret": SECRET})
    response = signed_post("alpha.agency.localhost", source, b"<xml>oops</xml>")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["body"]
    with tenancy.tenant_context(world.alpha):
        assert DeadLetter.objects.get().raw_body == "<xml>oops</xml>"


def test_meta_verification_handshake(world):
    source = make_source(
        world.alpha,
        platform="facebook",
        kind="owned",
        credentials={"app_secret": APP_SECRET, "verify_token": "vt-123"},
    )
    page = HttpClient(HTTP_HOST="alpha.agency.localhost")
    url = f"/api/v1/hooks/{source.public_id}/meta/"
    ok = page.get(
        url, {"hub.mode": "subscribe", "hub.verify_token": "vt-123", "hub.challenge": "1158201444"}
    )
    assert ok.status_code == 200 and ok.content == b"1158201444"
    bad = page.get(
        url, {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"}
    )
    assert bad.status_code == 403


FACEBOOK_FEED = {
    "object": "page",
    "entry": [
        {
            "id": "104659418",
            "time": 1772560800,
            "changes": [
                {
                    "field": "feed",
                    "value": {
                        "from": {"id": "6112298", "name": "Angry Customer"},
                        "post": {"status_type": "mobile_status_update", "is_published": True},
                        "message": "Third time my order is late. Never again.",
                        "post_id": "104659418_9988",
                        "comment_id": "9988_5551",
                        "parent_id": "104659418_9988",
                        "created_time": 1772560790,
                        "item": "comment",
                        "verb": "add",
                    },
                },
                {
                    "field": "feed",
                    "value": {
                        "item": "reaction",
                        "verb": "add",
                        "reaction_type": "angry",
                        "post_id": "104659418_9988",
                        "created_time": 1772560795,
                    },
                },
            ],
        }
    ],
}
INSTAGRAM_COMMENTS = {
    "object": "instagram",
    "entry": [
        {
            "id": "17841405309211844",
            "time": 1772560900,
            "changes": [
                {
                    "field": "comments",
                    "value": {
                        "from": {"id": "232323232", "username": "coffee_lover"},
                        "media": {"id": "123123123", "media_product_type": "FEED"},
                        "id": "17865799348089039",
                        "text": "Same here, cold coffee again",
                    },
                }
            ],
        }
    ],
}
WHATSAPP_MESSAGES = {
    "object": "whatsapp_business_account",
    "entry": [
        {
            "id": "102290129340398",
            "changes": [
                {
                    "field": "messages",
                    "value": {
                        "messaging_product": "whatsapp",
                        "metadata": {
                            "display_phone_number": "15550783881",
                            "phone_number_id": "106540352242922",
                        },
                        "contacts": [
                            {"profile": {"name": "Sheena Nelson"}, "wa_id": "16505551234"}
                        ],
                        "messages": [
                            {
                                "from": "16505551234",
                                "id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMx",
                                "timestamp": "1772561000",
                                "text": {"body": "Is the recall about my batch?"},
                                "type": "text",
                            }
                        ],
                        "statuses": [],
                    },
                }
            ],
        }
    ],
}


def test_meta_payloads_become_mentions_with_threads_kept(world):
    source = make_source(
        world.alpha, platform="facebook", kind="owned", credentials={"app_secret": APP_SECRET}
    )
    for payload in (FACEBOOK_FEED, INSTAGRAM_COMMENTS, WHATSAPP_MESSAGES):
        response = meta_post("alpha.agency.localhost", source, payload)
        assert response.status_code == 200, response.content
        assert response.json()["accepted"] == 1
    with tenancy.tenant_context(world.alpha):
        fb = Mention.objects.get(platform="facebook")
        assert (fb.external_id, fb.thread_id, fb.parent_id) == (
            "9988_5551",
            "104659418_9988",
            "104659418_9988",
        )
        assert fb.author.display_name == "Angry Customer" and fb.text.startswith("Third time")
        assert fb.raw["change"]["value"]["verb"] == "add"
        ig = Mention.objects.get(platform="instagram")
        assert (ig.author.handle, ig.thread_id) == ("coffee_lover", "123123123")
        wa = Mention.objects.get(platform="whatsapp")
        assert (wa.author.display_name, wa.text) == (
            "Sheena Nelson",
            "Is the recall about my batch?",
        )
        assert wa.posted_at.timestamp() == 1772561000


def test_meta_signature_is_checked(world, caplog):
    source = make_source(
        world.alpha, platform="facebook", kind="owned", credentials={"app_secret": APP_SECRET}
    )
    response = meta_post("alpha.agency.localhost", source, FACEBOOK_FEED, secret="not-the-secret")
    assert response.status_code == 403
    assert "X-Hub-Signature-256" in caplog.text
    assert count(world.alpha) == 0


def test_an_unknown_meta_object_is_kept_for_inspection(world):
    source = make_source(
        world.alpha, platform="facebook", kind="owned", credentials={"app_secret": APP_SECRET}
    )
    response = meta_post("alpha.agency.localhost", source, {"object": "permissions", "entry": []})
    assert response.status_code == 400
    with tenancy.tenant_context(world.alpha):
        assert DeadLetter.objects.get().payload["object"] == "permissions"
