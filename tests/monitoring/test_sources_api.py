"""Sources, batch ingestion, mentions, dead letters over the brand-host API, with isolation."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from clients import tenancy
from monitoring.models import DeadLetter, Mention, Source
from monitoring.services.processing import mentions_process
from monitoring.services.sources import source_credentials
from tests.conftest import api_client
from tests.monitoring.factories import make_source, mention

pytestmark = pytest.mark.django_db


def test_credentials_are_encrypted_and_never_returned(world):
    api = api_client(world, world.staff_a, world.alpha)
    response = api.post(
        "/api/v1/sources/",
        {
            "name": "Page",
            "platform": "facebook",
            "kind": "owned",
            "credentials": {"app_secret": "s3cr3t-value", "verify_token": "vt"},
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["has_credentials"] is True and "credentials" not in body
    assert "s3cr3t-value" not in response.content.decode()
    with tenancy.tenant_context(world.alpha):
        source = Source.objects.get(pk=body["id"])
        assert "s3cr3t-value" not in source.credentials_encrypted
        assert source_credentials(source=source)["app_secret"] == "s3cr3t-value"
    listed = api.get("/api/v1/sources/").content.decode()
    assert "s3cr3t-value" not in listed and '"verify_token"' not in listed
    # replace one secret, remove another
    api.patch(
        f"/api/v1/sources/{body['id']}/", {"credentials": {"verify_token": None}}, format="json"
    )
    with tenancy.tenant_context(world.alpha):
        assert source_credentials(source=Source.objects.get(pk=body["id"])) == {
            "app_secret": "s3cr3t-value"
        }


def test_source_errors_name_the_field(world):
    response = api_client(world, world.staff_a, world.alpha).post(
        "/api/v1/sources/", {"name": "X", "platform": "myspace", "kind": "owned"}, format="json"
    )
    assert response.status_code == 400
    assert "platform" in response.json()["error"]["fields"]


def test_source_health_shows_rate_lag_and_silence(world):
    source = make_source(world.alpha, expected_per_hour=30.0)
    with tenancy.tenant_context(world.alpha):
        Source.objects.filter(pk=source.pk).update(created_at=timezone.now() - timedelta(days=2))
    health = (
        api_client(world, world.viewer_a, world.alpha)
        .get(f"/api/v1/sources/{source.pk}/")
        .json()["health"]
    )
    # 30 an hour and nothing for two days: a blind spot
    assert health["silent"] is True and health["mentions_last_hour"] == 0
    recent = mention(1, posted_at=(timezone.now() - timedelta(minutes=3)).isoformat())
    api_client(world, world.staff_a, world.alpha).post(
        f"/api/v1/sources/{source.pk}/mentions/", [recent], format="json"
    )
    health = (
        api_client(world, world.viewer_a, world.alpha)
        .get(f"/api/v1/sources/{source.pk}/")
        .json()["health"]
    )
    assert health["silent"] is False and health["mentions_last_hour"] == 1
    assert 170 < health["lag_seconds"] < 400


def test_imported_history_is_not_counted_as_just_arrived(world):
    source = make_source(world.alpha, expected_per_hour=30.0)
    other = make_source(world.bravo, expected_per_hour=30.0)
    with tenancy.tenant_context(world.alpha):
        Source.objects.filter(pk=source.pk).update(created_at=timezone.now() - timedelta(days=2))
    last_month = [
        mention(n, posted_at=(timezone.now() - timedelta(days=30, minutes=n)).isoformat())
        for n in range(50)
    ]
    api = api_client(world, world.staff_a, world.alpha)
    assert (
        api.post(f"/api/v1/sources/{source.pk}/mentions/", last_month, format="json").json()[
            "accepted"
        ]
        == 50
    )
    health = api.get(f"/api/v1/sources/{source.pk}/").json()["health"]
    # fifty mentions received a moment ago, all a month old: still no sign of life
    assert health["mentions_last_hour"] == 0 and health["silent"] is True
    bravo = api_client(world, world.staff_b, world.bravo).get(f"/api/v1/sources/{other.pk}/")
    assert bravo.json()["health"]["mentions_last_hour"] == 0


def test_batch_post_reports_each_rejected_item(world):
    source = make_source(world.alpha)
    api = api_client(world, world.staff_a, world.alpha, token=True)
    url = f"/api/v1/sources/{source.pk}/mentions/"
    response = api.post(url, {"mentions": [mention(1), mention(2, likes=-1)]}, format="json")
    assert response.status_code == 207
    body = response.json()
    assert (body["accepted"], body["duplicates"]) == (1, 0)
    assert body["rejected"][0]["index"] == 1
    assert body["rejected"][0]["errors"] == [
        {"field": "likes", "message": "Input should be greater than or equal to 0"}
    ]
    assert api.post(url, [mention(1)], format="json").json()["duplicates"] == 1
    assert api.post(url, [{"x": 1}], format="json").status_code == 422
    response = api.post(url, {"items": "nope"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["mentions"]
    with tenancy.tenant_context(world.alpha):
        assert DeadLetter.objects.count() == 3  # the bad item, the {"x": 1}, the wrong shape


def test_viewers_and_other_brands_cannot_ingest(world):
    source = make_source(world.alpha)
    url = f"/api/v1/sources/{source.pk}/mentions/"
    assert (
        api_client(world, world.viewer_a, world.alpha)
        .post(url, [mention(1)], format="json")
        .status_code
        == 403
    )
    assert (
        api_client(world, world.staff_b, world.alpha)
        .post(url, [mention(1)], format="json")
        .status_code
        == 403
    )
    # bravo's host does not know alpha's source id
    other = api_client(world, world.staff_b, world.bravo).post(url, [mention(1)], format="json")
    assert other.status_code == 404
    with tenancy.tenant_context(world.alpha):
        assert Mention.objects.count() == 0


def test_mentions_list_filters_and_searches_in_the_mentions_language(
    world, django_assert_max_num_queries
):
    source = make_source(world.alpha)
    api = api_client(world, world.staff_a, world.alpha)
    api.post(
        f"/api/v1/sources/{source.pk}/mentions/",
        [
            mention(1, text="De bezorgers zijn weer veel te laat", language="nl"),
            mention(
                2, text="Leveransen är försenad igen", language="sv", author={"handle": "sven"}
            ),
            mention(3, text="Delivery delayed three hours", language="en"),
            mention(4, text="Het bezorgen ging prima", language="nl"),
        ],
        format="json",
    )
    with tenancy.tenant_context(world.alpha):  # search documents are written by processing
        ids = list(Mention.objects.values_list("pk", flat=True))
        assert mentions_process(client=world.alpha, mention_ids=ids) == 4
    # Dutch stemming: "bezorger" finds "bezorgers"; not the English or Swedish posts
    found = api.get("/api/v1/mentions/", {"q": "bezorger"}).json()["results"]
    assert [m["external_id"] for m in found] == ["m1"]
    assert [
        m["external_id"] for m in api.get("/api/v1/mentions/", {"q": "försenade"}).json()["results"]
    ] == ["m2"]
    assert [
        m["external_id"] for m in api.get("/api/v1/mentions/", {"q": "delays"}).json()["results"]
    ] == ["m3"]
    assert [
        m["external_id"]
        for m in api.get("/api/v1/mentions/", {"author": "@sven"}).json()["results"]
    ] == ["m2"]
    since = api.get("/api/v1/mentions/", {"since": mention(3)["posted_at"]}).json()["results"]
    assert [m["external_id"] for m in since] == ["m4", "m3"]
    with django_assert_max_num_queries(8):
        page = api.get("/api/v1/mentions/", {"page_size": 2}).json()
    assert len(page["results"]) == 2 and page["next"]
    rest = api.get(page["next"].replace("http://testserver", "")).json()["results"]
    assert [m["external_id"] for m in page["results"] + rest] == ["m4", "m3", "m2", "m1"]
    bad = api.get("/api/v1/mentions/", {"since": "yesterday", "platform": "myspace"})
    assert bad.status_code == 400 and set(bad.json()["error"]["fields"]) == {"since", "platform"}


def test_mentions_export_csv(world):
    source = make_source(world.alpha)
    api = api_client(world, world.viewer_a, world.alpha)
    api_client(world, world.staff_a, world.alpha).post(
        f"/api/v1/sources/{source.pk}/mentions/", [mention(i) for i in range(3)], format="json"
    )
    response = api.get("/api/v1/mentions/export.csv", {"platform": "x"})
    assert response.status_code == 200
    content = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    rows = list(csv.DictReader(io.StringIO(content.decode())))
    assert [r["external_id"] for r in rows] == ["m2", "m1", "m0"]
    assert rows[0]["author_handle"] == "user2"


def test_other_brands_mentions_stay_invisible(world):
    alpha_source, bravo_source = make_source(world.alpha), make_source(world.bravo)
    api_client(world, world.staff_a, world.alpha).post(
        f"/api/v1/sources/{alpha_source.pk}/mentions/",
        [mention(1, text="alpha only")],
        format="json",
    )
    api_client(world, world.staff_b, world.bravo).post(
        f"/api/v1/sources/{bravo_source.pk}/mentions/",
        [mention(2, text="bravo only")],
        format="json",
    )
    admin = world.admin
    alpha_texts = [
        m["text"]
        for m in api_client(world, admin, world.alpha).get("/api/v1/mentions/").json()["results"]
    ]
    bravo_texts = [
        m["text"]
        for m in api_client(world, admin, world.bravo).get("/api/v1/mentions/").json()["results"]
    ]
    assert alpha_texts == ["alpha only"] and bravo_texts == ["bravo only"]
    assert (
        api_client(world, admin, world.bravo).get(f"/api/v1/sources/{alpha_source.pk}/").status_code
        == 404
    )


def test_dead_letters_are_listed_inspected_and_replayed_after_a_fix(world):
    source = make_source(world.alpha)
    staff = api_client(world, world.staff_a, world.alpha)
    staff.post(
        f"/api/v1/sources/{source.pk}/mentions/",
        [mention(1, posted_at="2026-03-03 18:00")],
        format="json",
    )
    letters = staff.get("/api/v1/dead-letters/", {"status": "open"}).json()["results"]
    assert len(letters) == 1
    letter = staff.get(f"/api/v1/dead-letters/{letters[0]['id']}/").json()
    assert letter["errors"][0]["field"] == "posted_at"
    # replaying as it is fails again and stays open
    again = staff.post(f"/api/v1/dead-letters/{letter['id']}/replay/", {}, format="json")
    assert again.status_code == 422
    fixed = dict(letter["payload"], posted_at="2026-03-03T18:00:00+01:00")
    response = staff.post(
        f"/api/v1/dead-letters/{letter['id']}/replay/", {"payload": fixed}, format="json"
    )
    assert response.status_code == 200 and response.json()["accepted"] == 1
    assert staff.get(f"/api/v1/dead-letters/{letter['id']}/").json()["status"] == "replayed"
    assert (
        staff.post(f"/api/v1/dead-letters/{letter['id']}/replay/", {}, format="json").status_code
        == 409
    )
    # viewers may look but not replay; another brand cannot see it
    assert (
        api_client(world, world.viewer_a, world.alpha)
        .post(f"/api/v1/dead-letters/{letter['id']}/replay/", {}, format="json")
        .status_code
        == 403
    )
    assert (
        api_client(world, world.admin, world.bravo)
        .get(f"/api/v1/dead-letters/{letter['id']}/")
        .status_code
        == 404
    )


def test_a_dead_letter_can_be_discarded_with_a_reason(world):
    source = make_source(world.alpha)
    staff = api_client(world, world.staff_a, world.alpha)
    staff.post(f"/api/v1/sources/{source.pk}/mentions/", [{"junk": True}], format="json")
    letter_id = staff.get("/api/v1/dead-letters/").json()["results"][0]["id"]
    assert (
        staff.post(f"/api/v1/dead-letters/{letter_id}/discard/", {}, format="json").status_code
        == 400
    )
    response = staff.post(
        f"/api/v1/dead-letters/{letter_id}/discard/", {"reason": "test junk"}, format="json"
    )
    assert response.json()["status"] == "discarded"
    assert response.json()["resolution"]["by"] == "staff_a@example.test"


def test_source_health_counts_what_could_not_be_stored(world):
    from monitoring.models import DeadLetter
    from monitoring.services.ingestion import mentions_ingest
    from tests.monitoring.factories import mention

    source = make_source(world.alpha)
    quiet = make_source(world.alpha, name="quiet")
    other = make_source(world.bravo)
    bad = [mention(1, posted_at="9999-12-31T23:59:59-14:00"), {"no": "id"}, mention(2)]
    for client, target in ((world.alpha, source), (world.bravo, other)):
        with tenancy.tenant_context(client):
            mentions_ingest(client=client, source=target, items=bad, channel="api")
    api = api_client(world, world.viewer_a, world.alpha)
    health = {s["id"]: s["health"] for s in api.get("/api/v1/sources/").json()["results"]}
    assert health[source.pk]["dead_letters_open"] == 2
    assert health[quiet.pk]["dead_letters_open"] == 0
    with tenancy.tenant_context(world.alpha):
        letter = DeadLetter.objects.filter(source=source).first()
    staff = api_client(world, world.staff_a, world.alpha)
    staff.post(f"/api/v1/dead-letters/{letter.pk}/discard/", {"reason": "test"}, format="json")
    assert staff.get(f"/api/v1/sources/{source.pk}/").json()["health"]["dead_letters_open"] == 1
    # The other brand's letters are its own.
    bravo = api_client(world, world.viewer_b, world.bravo).get(f"/api/v1/sources/{other.pk}/")
    assert bravo.json()["health"]["dead_letters_open"] == 2


def test_sources_are_a_cursor_page_by_name(world, monkeypatch, django_assert_num_queries):
    from monitoring.api.intake import SourceList

    for name in ("Reviews", "Blog", "Mentions on X"):
        make_source(world.alpha, name=name)
    make_source(world.bravo, name="Bravo's own")
    monkeypatch.setattr(SourceList.pagination_class, "page_size", 2)
    api = api_client(world, world.viewer_a, world.alpha, token=True)
    # search path, host, the brand's search path, token, membership, one page of sources with
    # their health figures: the same for any number of sources
    with django_assert_num_queries(6):
        first = api.get("/api/v1/sources/").json()
    assert [s["name"] for s in first["results"]] == ["Blog", "Mentions on X"]
    assert first["previous"] is None and first["next"]
    second = api.get(first["next"]).json()
    assert [s["name"] for s in second["results"]] == ["Reviews"]
    assert second["next"] is None and "dead_letters_open" in second["results"][0]["health"]
    # a cursor that is not one is a 404 in the error envelope, like every list's
    response = api.get("/api/v1/sources/?cursor=bm9wZQ")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    bravo = api_client(world, world.viewer_b, world.bravo).get("/api/v1/sources/").json()
    assert [s["name"] for s in bravo["results"]] == ["Bravo's own"]
