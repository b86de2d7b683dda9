"""The dead-letter pages of a brand host: the list with its filters and pages, the detail with the
whole item (escaped) and why, replay (corrected in a textarea) and discard through the API's
services; read-only for a client viewer, closed to anyone not on the brand."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agency.models import User
from clients import tenancy
from clients.models import Client
from monitoring.models import DeadLetter, Mention, Source
from monitoring.services.ingestion import dead_letter_store, mentions_ingest
from monitoring.views.base import PAGE
from tests.monitoring.factories import make_source, mention

pytestmark = pytest.mark.django_db
NAIVE = "2026-03-03 18:00"  # no time zone: the doors refuse it


@pytest.fixture(autouse=True)
def _in_english(db):  # type: ignore[no-untyped-def]
    """Everyone chose English (alpha speaks Dutch otherwise): the tests read the English text."""
    User.objects.update(language="en")


def page(world, user, client) -> HttpClient:  # type: ignore[no-untyped-def]
    browser = HttpClient(HTTP_HOST=world.host(client))
    browser.force_login(user)
    return browser


def letters_of(client: Client, *items: Any, source: Source | None = None) -> list[DeadLetter]:
    """The dead letters the API door leaves for `items`, oldest first."""
    source = source or make_source(client)
    with tenancy.tenant_context(client):
        before = set(DeadLetter.objects.values_list("pk", flat=True))
        mentions_ingest(client=client, source=source, items=list(items), channel="api")
        letters = list(DeadLetter.objects.exclude(pk__in=before).order_by("id"))
    tenancy.reset_to_public()
    assert len(letters) == len(items)
    return letters


def state(client: Client, letter: DeadLetter) -> tuple[str, int]:
    """The letter's status and how many mentions carry its external id."""
    with tenancy.tenant_context(client):
        letter.refresh_from_db()
        stored = Mention.objects.filter(external_id=(letter.payload or {}).get("external_id"))
        return letter.status, stored.count()


def test_the_list_shows_when_door_source_reason_and_preview_newest_first(world):
    shop = make_source(world.alpha, name="Shop reviews")
    older, newer = letters_of(
        world.alpha, mention(1, posted_at=NAIVE, text="older item"), {"text": "no id at all"}
    )
    feed = make_source(world.alpha, name="Press feed", platform="other", kind="feed")
    with tenancy.tenant_context(world.alpha):
        imported = dead_letter_store(
            source=feed,
            channel="import",
            errors=[("line", "line 7: not JSON")],
            raw_body="garbage from the export",
        )
    tenancy.reset_to_public()
    browser = page(world, world.staff_a, world.alpha)
    html = browser.get("/dead-letters/").content.decode()
    assert html.index("garbage from the export") < html.index("no id at all")
    assert html.index("no id at all") < html.index("older item")
    assert "Import" in html and "Press feed" in html and "API" in html
    assert "<strong>external_id</strong>" in html  # the readable reason, by field
    assert f'href="/dead-letters/{older.pk}/"' in html and "(+01:00)" in html
    assert 'aria-current="page">Dead letters' in html

    def listed(**query: str) -> set[int]:
        body = browser.get("/dead-letters/", query).content.decode()
        return {pk for pk in (older.pk, newer.pk, imported.pk) if f"/dead-letters/{pk}/" in body}

    assert listed(channel="import") == {imported.pk}
    assert listed(source=str(feed.pk)) == {imported.pk}
    assert listed(q="not json") == {imported.pk}
    assert listed(q="external_id") == {newer.pk}
    assert listed(status="open") == {older.pk, newer.pk, imported.pk}
    assert listed(status="discarded") == set()
    # a value that is no filter is dropped, the others still apply
    assert listed(status="nope", channel="import") == {imported.pk}
    assert listed(source="abc", page="-3") == {older.pk, newer.pk, imported.pk}
    assert f'<option value="{shop.pk}">Shop reviews (X)</option>' in html  # one with no letters too


def test_the_list_is_paginated(world):
    source = make_source(world.alpha)
    with tenancy.tenant_context(world.alpha):
        for n in range(PAGE + 1):
            dead_letter_store(
                source=source, channel="api", errors=[("text", "bad")], raw_body=f"item-{n:03d}"
            )
    tenancy.reset_to_public()
    browser = page(world, world.staff_a, world.alpha)
    first = browser.get("/dead-letters/").content.decode()
    assert f"item-{PAGE:03d}" in first and "item-000" not in first
    assert "Page 1 of 2" in first and 'href="?page=2"' in first
    second = browser.get("/dead-letters/", {"page": "2"}).content.decode()
    assert "item-000" in second and f"item-{PAGE:03d}" not in second
    assert browser.get("/dead-letters/", {"page": "999"}).status_code == 200


def test_the_detail_shows_the_whole_item_escaped_and_why(world):
    (letter,) = letters_of(
        world.alpha, mention(3, posted_at=NAIVE, text='<script>alert("x")</script><b>bold</b>')
    )
    browser = page(world, world.staff_a, world.alpha)
    html = browser.get(f"/dead-letters/{letter.pk}/").content.decode()
    assert "<script>alert" not in html and "<b>bold" not in html
    assert "&lt;script&gt;alert(\\&quot;x\\&quot;)&lt;/script&gt;&lt;b&gt;bold" in html
    assert '"external_id": "m3"' not in html  # quotes are escaped too
    assert "&quot;external_id&quot;: &quot;m3&quot;" in html  # pretty-printed: key, colon, space
    assert "<strong>posted_at</strong>" in html
    assert "by the API door" in html
    # the textarea holds the item, to correct
    assert (
        'name="payload"' in html and "&quot;posted_at&quot;: &quot;2026-03-03 18:00&quot;" in html
    )


def test_replaying_json_that_is_not_json_is_a_field_error(world):
    (letter,) = letters_of(world.alpha, mention(4, posted_at=NAIVE))
    browser = page(world, world.staff_a, world.alpha)
    for text in ('{"external_id": "m4",', '{"n": NaN}', "[" * 5000 + "]" * 5000):
        response = browser.post(f"/dead-letters/{letter.pk}/replay/", {"payload": text})
        assert response.status_code == 400
        assert "This is not valid JSON" in response.content.decode()
    stored = browser.post(f"/dead-letters/{letter.pk}/replay/", {"payload": '{"a": "\\u0000"}'})
    assert (
        stored.status_code == 400 and "Null characters are not allowed." in stored.content.decode()
    )
    assert state(world.alpha, letter) == ("open", 0)


def test_a_payload_still_invalid_shows_the_services_reason_and_stays_open(world):
    (letter,) = letters_of(world.alpha, mention(5, posted_at=NAIVE))
    browser = page(world, world.staff_a, world.alpha)
    # as kept
    again = browser.post(f"/dead-letters/{letter.pk}/replay/", {"payload": _as_json(letter)})
    assert again.status_code == 422
    html = again.content.decode()
    assert "Rejected again: it stays open" in html and "<strong>posted_at</strong>" in html
    # corrected, but wrongly: its new reason, and the person's text is kept in the textarea
    wrong = changed(letter, posted_at="2026-03-03T18:00:00+01:00", likes=-4)
    response = browser.post(f"/dead-letters/{letter.pk}/replay/", {"payload": _as_json(wrong)})
    html = response.content.decode()
    assert response.status_code == 422 and "<strong>likes</strong>" in html
    assert "&quot;likes&quot;: -4" in html
    assert state(world.alpha, letter) == ("open", 0)


def test_a_corrected_payload_is_stored_once_even_when_replayed_twice(world):
    (letter,) = letters_of(world.alpha, mention(6, posted_at=NAIVE))
    browser = page(world, world.staff_a, world.alpha)
    fixed = _as_json(changed(letter, posted_at="2026-03-03T18:00:00+01:00"))
    response = browser.post(f"/dead-letters/{letter.pk}/replay/", {"payload": fixed})
    assert response.status_code == 302 and response["Location"] == f"/dead-letters/{letter.pk}/"
    html = browser.get(response["Location"]).content.decode()
    assert (
        "Replayed: stored as a mention." in html
        and "The payload below is the corrected one." in html
    )
    assert 'name="payload"' not in html  # nothing left to replay
    assert state(world.alpha, letter) == ("replayed", 1)
    assert letter.resolution["by"] == world.staff_a.email and letter.resolution["corrected"]
    twice = browser.post(f"/dead-letters/{letter.pk}/replay/", {"payload": fixed}, follow=True)
    assert f"Dead letter {letter.pk} is already replayed." in twice.content.decode()
    assert state(world.alpha, letter) == ("replayed", 1)


def test_discarding_needs_a_reason(world):
    (letter,) = letters_of(world.alpha, {"junk": True})
    browser = page(world, world.staff_a, world.alpha)
    for reason in ("", "   "):
        refused = browser.post(f"/dead-letters/{letter.pk}/discard/", {"reason": reason})
        assert refused.status_code == 400
        assert "Say why it is discarded." in refused.content.decode()
    assert state(world.alpha, letter)[0] == "open"
    done = browser.post(f"/dead-letters/{letter.pk}/discard/", {"reason": "test junk"}, follow=True)
    html = done.content.decode()
    assert "Discarded." in html and "test junk" in html and world.staff_a.email in html
    assert state(world.alpha, letter)[0] == "discarded"
    assert letter.resolution == {"by": world.staff_a.email, "reason": "test junk"}
    again = browser.post(f"/dead-letters/{letter.pk}/discard/", {"reason": "x"}, follow=True)
    assert "is already discarded" in again.content.decode()


def test_a_viewer_reads_without_controls_and_a_forged_post_is_refused(world):
    (letter,) = letters_of(world.alpha, mention(7, posted_at=NAIVE))
    browser = page(world, world.viewer_a, world.alpha)
    html = browser.get(f"/dead-letters/{letter.pk}/").content.decode()
    assert "&quot;external_id&quot;: &quot;m7&quot;" in html  # reads the item
    assert "<textarea" not in html and '<form method="post" action="/dead-letters' not in html
    assert browser.get("/dead-letters/").status_code == 200
    fixed = _as_json(changed(letter, posted_at="2026-03-03T18:00:00+01:00"))
    assert browser.post(f"/dead-letters/{letter.pk}/replay/", {"payload": fixed}).status_code == 403
    assert browser.post(f"/dead-letters/{letter.pk}/discard/", {"reason": "x"}).status_code == 403
    assert state(world.alpha, letter) == ("open", 0)


def test_another_brands_dead_letters_stay_out_of_reach(world):
    (alpha,) = letters_of(world.alpha, mention(8, posted_at=NAIVE, text="alpha only letter"))
    (bravo,) = letters_of(world.bravo, mention(9, posted_at=NAIVE, text="bravo only letter"))
    on_alpha = page(world, world.staff_a, world.alpha).get("/dead-letters/").content.decode()
    assert "alpha only letter" in on_alpha and "bravo only letter" not in on_alpha
    on_bravo = page(world, world.staff_b, world.bravo)
    assert "alpha only letter" not in on_bravo.get("/dead-letters/").content.decode()
    if alpha.pk != bravo.pk:  # (ids are per schema: an alpha id may name a bravo letter)
        assert on_bravo.get(f"/dead-letters/{alpha.pk}/").status_code == 404
        fixed = _as_json(changed(alpha, posted_at="2026-03-03T18:00:00+01:00"))
        replay = on_bravo.post(f"/dead-letters/{alpha.pk}/replay/", {"payload": fixed})
        assert replay.status_code == 404
        assert (
            on_bravo.post(f"/dead-letters/{alpha.pk}/discard/", {"reason": "x"}).status_code == 404
        )
    missing = max(alpha.pk, bravo.pk) + 1000
    assert on_bravo.get(f"/dead-letters/{missing}/").status_code == 404
    staff_a = page(world, world.staff_a, world.bravo)
    assert staff_a.get("/dead-letters/").status_code == 403
    assert staff_a.get(f"/dead-letters/{bravo.pk}/").status_code == 403
    assert staff_a.post(f"/dead-letters/{bravo.pk}/discard/", {"reason": "x"}).status_code == 403
    outsider = page(world, world.outsider, world.alpha)
    assert outsider.get("/dead-letters/").status_code == 403
    assert outsider.get(f"/dead-letters/{alpha.pk}/").status_code == 403
    assert state(world.alpha, alpha) == ("open", 0) and state(world.bravo, bravo) == ("open", 0)


def test_the_pages_cost_a_fixed_number_of_queries(world):
    source = make_source(world.alpha)
    other = make_source(world.alpha, name="second")
    letters_of(world.alpha, *(mention(n, posted_at=NAIVE) for n in range(3)), source=source)
    (letter,) = letters_of(world.alpha, {"junk": 1}, source=other)
    browser = page(world, world.staff_a, world.alpha)
    browser.get("/dead-letters/")  # warm

    def count(path: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert browser.get(path).status_code == 200
        return len(captured)

    listed = count("/dead-letters/")
    detail = count(f"/dead-letters/{letter.pk}/")
    letters_of(world.alpha, *(mention(n, posted_at=NAIVE) for n in range(10, 15)), source=other)
    make_source(world.alpha, name="third")
    assert count("/dead-letters/") == listed  # not one query per letter or source
    assert (listed, detail) == (LIST_QUERIES, DETAIL_QUERIES)


LIST_QUERIES = 7  # search path, session, user, access, sources, count, the page
DETAIL_QUERIES = 5  # search path, session, user, access, the letter with its source


# Any character a form can carry: lone surrogates cannot be sent as UTF-8 at all (the test
# client refuses to encode them); arbitrary bytes come through the raw `body` instead.
SENDABLE = st.characters(exclude_categories=["Cs"])


@given(
    payload=st.text(SENDABLE, max_size=300),
    reason=st.text(SENDABLE, max_size=600),
    query=st.dictionaries(
        st.sampled_from(["status", "channel", "source", "q", "job", "page"]),
        st.text(SENDABLE, max_size=40),
    ),
    body=st.binary(max_size=300),
)
@settings(
    deadline=None,
    database=None,
    max_examples=40,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_whatever_arrives_the_pages_answer_without_a_server_error(
    world, payload, reason, query, body
):
    (letter,) = letters_of(world.alpha, mention(11, posted_at=NAIVE))
    browser = page(world, world.staff_a, world.alpha)
    answers = [
        browser.get("/dead-letters/", query),
        browser.get(f"/dead-letters/{letter.pk}/", query),
        browser.post(f"/dead-letters/{letter.pk}/replay/", {"payload": payload}),
        browser.post(
            f"/dead-letters/{letter.pk}/replay/",
            body,
            content_type="application/x-www-form-urlencoded",
        ),
        browser.post(f"/dead-letters/{letter.pk}/discard/", {"reason": reason}),
    ]
    assert [a.status_code for a in answers if a.status_code >= 500] == []
    status, stored = state(world.alpha, letter)
    # open still, or resolved by exactly what the person sent: never a half-stored replay
    assert (status, stored) in {("open", 0), ("replayed", 1), ("discarded", 0)}
    assert browser.get("/dead-letters/").status_code == 200
    with tenancy.tenant_context(world.alpha):
        DeadLetter.objects.all().delete()
        Mention.objects.all().delete()
    tenancy.reset_to_public()


def changed(letter: DeadLetter, **changes: Any) -> dict[str, Any]:
    """The letter's item with `changes`: what a person types into the textarea."""
    assert isinstance(letter.payload, dict)
    return {**letter.payload, **changes}


def _as_json(value: Any) -> str:
    return json.dumps(value.payload if isinstance(value, DeadLetter) else value, indent=2)
