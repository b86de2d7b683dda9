"""The reproducers of the bad-input report (issue 10), door by door: one bad item never costs
the valid ones, never poisons the brand, and is kept as a dead letter with a readable reason.

The property-based tests (test_doors_properties.py) check the same invariant on random input;
these pin the cases the tester found, each of which answered 500 or poisoned a brand before.
"""

from __future__ import annotations

import json
import time

import pytest
from django.test import Client as HttpClient

from clients import tenancy
from monitoring.models import Author, AuthorReach, DeadLetter, Mention, Source
from tests.conftest import api_client
from tests.monitoring import hooks
from tests.monitoring.factories import make_source, mention

pytestmark = pytest.mark.django_db
SECRET = "whsec-doors"
APP_SECRET = "meta-doors"
HOST = "alpha.agency.localhost"


def signed(source: Source, body: bytes, *, stamp: str | None = None, host: str = HOST):
    return hooks.signed_post(host, source, body, secret=SECRET, stamp=stamp)


def meta_signed(source: Source, body: bytes):
    return hooks.meta_post(HOST, source, body, secret=APP_SECRET)


def batch_api(world, source: Source, body: bytes):
    return api_client(world, world.staff_a, world.alpha, token=True).post(
        f"/api/v1/sources/{source.pk}/mentions/", body, content_type="application/json"
    )


def webhook_source(world) -> Source:
    return make_source(
        world.alpha,
        credentials={"webhook_secret": SECRET, "app_secret": APP_SECRET, "verify_token": "vt"},
    )


def assert_brand_readable(world, source: Source) -> None:
    """What the poisoned brand could no longer do: list, export, take valid webhooks, answer
    Meta's handshake; and offboarding's export (every row read back through psycopg)."""
    api = api_client(world, world.staff_a, world.alpha, token=True)
    for path in ("/api/v1/sources/", "/api/v1/mentions/", "/api/v1/dead-letters/"):
        response = api.get(path)
        assert response.status_code == 200, (path, response.content[:300])
    export = api.get("/api/v1/mentions/export.csv")
    assert export.status_code == 200
    b"".join(export.streaming_content)  # type: ignore[attr-defined]
    stamp = f"fresh-{time.monotonic_ns()}"
    response = signed(
        source, json.dumps([mention(1, external_id=stamp, posted_at=now_iso())]).encode()
    )
    assert response.status_code == 200, response.content
    handshake = HttpClient(HTTP_HOST=HOST).get(
        f"/api/v1/hooks/{source.public_id}/meta/",
        {"hub.mode": "subscribe", "hub.verify_token": "vt", "hub.challenge": "42"},
    )
    assert handshake.status_code == 200 and handshake.content == b"42"
    with tenancy.tenant_context(world.alpha):
        list(Mention.objects.values_list("posted_at", "received_at"))
        list(AuthorReach.objects.values_list("observed_at", flat=True))
        list(Author.objects.values_list("followers_updated_at", flat=True))
        list(Source.objects.values_list("last_posted_at", "last_success_at"))


def now_iso() -> str:
    from django.utils import timezone

    return timezone.now().isoformat()


def stored_ids(world) -> set[str]:
    with tenancy.tenant_context(world.alpha):
        return set(Mention.objects.values_list("external_id", flat=True))


def letters(world) -> list[DeadLetter]:
    with tenancy.tenant_context(world.alpha):
        return list(DeadLetter.objects.order_by("id"))


# --- Out-of-range dates ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("posted_at", "reason"),
    [
        ("9999-12-31T23:59:59-14:00", "in the future"),
        (1e11, "before 2000"),
        (1e20, "after 9999"),
        ("0001-01-01T00:00:00Z", "before 2000"),
        ("1970-01-01T00:00:00Z", "before 2000"),
    ],
)
def test_a_date_out_of_range_is_an_item_error_and_the_brand_stays_readable(
    world, posted_at, reason
):
    source = webhook_source(world)
    items = [mention(n, posted_at=now_iso()) for n in range(4)]
    items.insert(2, mention(99, posted_at=posted_at, author={"handle": "x", "followers": 5}))
    response = signed(source, json.dumps({"mentions": items}).encode())
    assert response.status_code == 207, response.content
    body = response.json()
    assert body["accepted"] == 4
    [rejected] = body["rejected"]
    assert rejected["index"] == 2
    assert rejected["errors"][0]["field"] == "posted_at"
    assert reason in rejected["errors"][0]["message"]
    assert stored_ids(world) == {"m0", "m1", "m2", "m3"}
    [letter] = letters(world)
    assert letter.payload["external_id"] == "m99"
    assert letter.batch_index == 2
    assert_brand_readable(world, source)


def test_a_meta_time_far_in_the_future_is_an_item_error(world):
    source = webhook_source(world)
    change = {"field": "comments", "value": {"id": "c1", "text": "hi", "from": {"username": "u"}}}
    good = {"id": "page", "time": int(time.time()), "changes": [change]}
    bad = {"id": "page", "time": 253402300799, "changes": [{**change, "value": {"id": "c2"}}]}
    body = json.dumps({"object": "instagram", "entry": [good, bad]}).encode()
    response = meta_signed(source, body)
    assert response.status_code == 207, response.content
    assert stored_ids(world) == {"c1"}
    assert "in the future" in letters(world)[0].errors[0]["message"]
    assert_brand_readable(world, source)


# --- One hostile item in a batch of valid ones ---------------------------------------------------

HOSTILE = {
    "lone surrogate": (b'{"external_id": "s\\ud800", "posted_at": "%s"}', "external_id"),
    "NUL in external_id": (b'{"external_id": "n\\u0000ul", "posted_at": "%s"}', "external_id"),
    "integer above 64 bits": (
        b'{"external_id": "big", "posted_at": "%s", "likes": 123456789012345678901234567890}',
        "likes",
    ),
    "NaN": (b'{"external_id": "nan", "posted_at": "%s", "likes": NaN}', "likes"),
    "Infinity": (b'{"external_id": "inf", "posted_at": "%s", "shares": -Infinity}', "shares"),
    "300 levels of nesting": (
        b'{"external_id": "deep", "posted_at": "%s", "text": ' + b"[" * 300 + b"]" * 300 + b"}",
        "text",
    ),
    "100,000-deep array": (b"[" * 100_000 + b"]" * 100_000, "item"),
    "not UTF-8": (b'{"external_id": "\xff\xfe", "posted_at": "%s"}', "item"),
    "syntax error": (b'{"external_id": "x", "posted_at": "%s",,}', "item"),
    "year 0001": (b'{"external_id": "old", "posted_at": "0001-01-01T00:00:00Z"}', "posted_at"),
}


def hostile_body(case: str) -> bytes:
    template, _ = HOSTILE[case]
    bad = template.replace(b"%s", now_iso().encode()) if b"%s" in template else template
    valid = [json.dumps(mention(n, posted_at=now_iso())).encode() for n in range(4)]
    return b'{"mentions": [' + b", ".join([*valid[:2], bad, *valid[2:]]) + b"]}"


@pytest.mark.parametrize("case", list(HOSTILE))
def test_one_hostile_item_in_a_signed_batch_costs_only_itself(world, case):
    source = webhook_source(world)
    response = signed(source, hostile_body(case))
    assert response.status_code == 207, response.content[:500]
    body = response.json()
    assert body["accepted"] == 4
    [rejected] = body["rejected"]
    assert rejected["index"] == 2
    assert rejected["errors"][0]["field"] == HOSTILE[case][1]
    assert stored_ids(world) == {"m0", "m1", "m2", "m3"}
    [letter] = letters(world)
    assert letter.batch_index == 2
    assert letter.errors == rejected["errors"] or letter.errors[0]["field"] == "item"
    assert letter.raw_body or letter.raw_bytes
    assert_brand_readable(world, source)


@pytest.mark.parametrize("case", list(HOSTILE))
def test_one_hostile_item_in_a_batch_api_post_costs_only_itself(world, case):
    source = webhook_source(world)
    response = batch_api(world, source, hostile_body(case))
    assert response.status_code == 207, response.content[:500]
    assert response.json()["accepted"] == 4
    assert stored_ids(world) == {"m0", "m1", "m2", "m3"}
    assert len(letters(world)) == 1
    assert_brand_readable(world, source)


def test_an_unreadable_item_is_kept_byte_for_byte(world):
    source = webhook_source(world)
    response = signed(source, hostile_body("not UTF-8"))
    assert response.status_code == 207
    [letter] = letters(world)
    assert (
        bytes(letter.raw_bytes or b"")
        == b'{"external_id": "\xff\xfe", "posted_at": "'
        + bytes(letter.raw_bytes or b"").split(b'"posted_at": "')[1].split(b'"')[0]
        + b'"}'
    )
    assert "not valid UTF-8 (byte 0xff" in letter.errors[0]["message"]
    assert "\\xff\\xfe" in letter.raw_body


def test_a_body_that_is_not_json_is_kept_whole_as_bytes(world):
    source = webhook_source(world)
    body = b"\x00\xff not json at all \x80"
    response = signed(source, body)
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["body"]
    [letter] = letters(world)
    assert bytes(letter.raw_bytes or b"") == body
    assert "\\x00" in letter.raw_body  # readable, and storable as text
    assert_brand_readable(world, source)


def test_a_big_integer_id_is_kept_exact(world):
    source = webhook_source(world)
    body = b'[{"external_id": 123456789012345678901234567890, "posted_at": "%s"}]' % (
        now_iso().encode()
    )
    response = signed(source, body)
    assert response.status_code == 200, response.content
    assert stored_ids(world) == {"123456789012345678901234567890"}


# --- Headers, sizes, caps -------------------------------------------------------------------------


# (fullwidth digits too: str.isdigit() takes them)
@pytest.mark.parametrize("stamp", ["9" * 400, "²", "\uff11\uff12\uff13", "12 34", "-5", ""])
def test_a_malformed_timestamp_header_is_refused_not_a_500(world, stamp):
    source = webhook_source(world)
    response = signed(source, json.dumps([mention(1)]).encode(), stamp=stamp)
    assert response.status_code == 403
    assert "X-Stormdesk-Timestamp" in response.json()["error"]["message"]
    assert stored_ids(world) == set()


@pytest.mark.parametrize("signature", ["v1=é" * 3, "v1=" + "a" * 5000])
def test_a_malformed_signature_header_is_refused_not_a_500(world, signature):
    source = webhook_source(world)
    response = HttpClient(HTTP_HOST=HOST).post(
        f"/api/v1/hooks/{source.public_id}/",
        b"[]",
        content_type="application/json",
        HTTP_X_STORMDESK_TIMESTAMP=str(int(time.time())),
        HTTP_X_STORMDESK_SIGNATURE=signature,
    )
    assert response.status_code == 403
    meta = HttpClient(HTTP_HOST=HOST).post(
        f"/api/v1/hooks/{source.public_id}/meta/",
        b"{}",
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=signature,
    )
    assert meta.status_code == 403
    handshake = HttpClient(HTTP_HOST=HOST).get(
        f"/api/v1/hooks/{source.public_id}/meta/",
        {"hub.mode": "subscribe", "hub.verify_token": "é" * 10, "hub.challenge": "1"},
    )
    assert handshake.status_code == 403


def padded_batch(size: int) -> bytes:
    """A valid batch of one mention, padded with whitespace to `size` bytes."""
    body = json.dumps([mention(1, posted_at=now_iso())]).encode()
    return body[:-1] + b" " * (size - len(body)) + b"]"


def test_a_body_between_django_default_and_our_cap_is_taken(world):
    source = webhook_source(world)
    body = padded_batch(3 * 1024 * 1024)  # above Django's 2.5 MB default
    assert signed(source, body).status_code == 200
    assert batch_api(world, source, body).status_code == 200


def test_a_body_over_the_cap_is_a_json_413_on_every_door(world):
    source = webhook_source(world)
    body = padded_batch(5 * 1024 * 1024 + 1)
    for response in (
        signed(source, body),
        meta_signed(source, body),
        batch_api(world, source, body),
    ):
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "too_large"
    assert stored_ids(world) == set()


def test_the_item_cap_is_the_same_on_every_door(world):
    source = webhook_source(world)
    items = [{"external_id": f"e{n}", "posted_at": now_iso()} for n in range(10_001)]
    body = json.dumps(items).encode()
    for response in (signed(source, body), batch_api(world, source, body)):
        assert response.status_code == 413, response.content[:200]
        assert "10000" in response.json()["error"]["message"]
    assert stored_ids(world) == set()
    ok = signed(source, json.dumps(items[:10_000]).encode())
    assert ok.status_code == 200 and ok.json()["accepted"] == 10_000


def test_a_hostile_item_for_one_brand_leaves_the_other_alone(world):
    source = webhook_source(world)
    other = make_source(world.bravo, credentials={"webhook_secret": SECRET})
    response = signed(source, hostile_body("lone surrogate"))
    assert response.status_code == 207
    with tenancy.tenant_context(world.bravo):
        assert DeadLetter.objects.count() == 0 and Mention.objects.count() == 0
    # The same source id on the other brand's host is unknown there.
    assert signed(source, hostile_body("NaN"), host="bravo.agency.localhost").status_code == 404
    assert signed(other, hostile_body("NaN"), host="bravo.agency.localhost").status_code == 207
    assert len(letters(world)) == 1


def test_the_dead_letter_api_gives_the_bytes_as_received(world):
    import base64

    source = webhook_source(world)
    body = b"\xff\xfe not json"
    assert signed(source, body).status_code == 400
    api = api_client(world, world.viewer_a, world.alpha, token=True)
    [letter] = api.get("/api/v1/dead-letters/").json()["results"]
    assert base64.b64decode(letter["raw_base64"]) == body
    assert letter["errors"][0]["field"] == "body"
    other = api_client(world, world.viewer_b, world.bravo, token=True)
    assert other.get("/api/v1/dead-letters/").json()["results"] == []
    assert other.get(f"/api/v1/dead-letters/{letter['id']}/").status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        b'{"name": "s\\ud800", "platform": "x", "kind": "keyword"}',
        b'{"name": "nan", "platform": "x", "kind": "keyword", "expected_per_hour": NaN}',
        b'{"name": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b'{"name": "\xff", "platform": "x", "kind": "keyword"}',
    ],
    ids=["lone surrogate", "NaN", "100,000-deep", "not UTF-8"],
)
def test_every_api_write_answers_a_json_400_for_json_it_cannot_store(world, body):
    api = api_client(world, world.staff_a, world.alpha, token=True)
    for method, path in (
        ("post", "/api/v1/sources/"),
        ("patch", "/api/v1/brand/settings/"),
        ("post", "/api/v1/dead-letters/1/discard/"),
    ):
        response = getattr(api, method)(path, body, content_type="application/json")
        assert response.status_code == 400, (path, response.content[:300])
        assert response.json()["error"]["code"] == "parse_error"
    with tenancy.tenant_context(world.alpha):
        assert Source.objects.count() == 0
    assert api.get("/api/v1/sources/").status_code == 200


def test_a_body_without_its_length_is_capped_by_the_api_parsers_too(settings):
    """DRF reads the stream, not request.body: a chunked body over the cap is a 413 there."""
    import io

    from agency.parsers import StrictJSONParser, TooLarge
    from monitoring.api.intake import MentionBatchParser

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    for parser in (StrictJSONParser(), MentionBatchParser()):
        with pytest.raises(TooLarge):
            parser.parse(io.BytesIO(b"[" + b" " * 1000 + b"]"))
        assert parser.parse(io.BytesIO(b"[" + b" " * 997 + b"]")) is not None
