"""The ingestion service: validation, dedupe, authors, dead letters, hand-off, isolation."""

from __future__ import annotations

import pytest

from clients import tenancy
from clients.exceptions import MissingTenantError, WrongTenantError
from monitoring.models import Author, AuthorReach, DeadLetter, Mention, Source
from monitoring.services.ingestion import mentions_ingest
from tests.monitoring.factories import T0, make_source, mention

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True, params=["inline", "copy"])
def storage_path(request, monkeypatch):
    """Every test runs twice: small batches go inline in one statement, large ones via COPY."""
    if request.param == "copy":
        monkeypatch.setattr("monitoring.services.ingestion.SMALL_BATCH", 0)
    return request.param


def ingest(client, source, items, **kwargs):
    with tenancy.tenant_context(client):
        return mentions_ingest(client=client, source=source, items=items, channel="api", **kwargs)


def test_a_batch_is_stored_with_its_authors(world, django_capture_on_commit_callbacks):
    source = make_source(world.alpha)
    with django_capture_on_commit_callbacks() as callbacks:
        result = ingest(world.alpha, source, [mention(i) for i in range(20)])
    assert (result.accepted, result.duplicates, result.rejected) == (20, 0, [])
    assert len(callbacks) == 1  # processing queued once, after commit
    with tenancy.tenant_context(world.alpha):
        assert Mention.objects.count() == 20
        stored = Mention.objects.get(external_id="m3")
        assert stored.platform == "x" and stored.language == "nl" and stored.likes == 3
        assert stored.author.handle == "user3" and stored.raw["external_id"] == "m3"
        assert Author.objects.count() == 7
        # the newest observation of an author's reach wins, and is sampled
        assert Author.objects.get(handle="user6").followers == 14 + 13
        assert list(
            AuthorReach.objects.filter(author__handle="user6").values_list("followers", flat=True)
        ) == [27]
        source.refresh_from_db()
        assert source.last_success_at is not None
        assert source.last_posted_at.isoformat() == mention(19)["posted_at"]


def test_reach_is_sampled_when_it_changes(world):
    source = make_source(world.alpha)
    author = {"handle": "nieuwsuur", "followers": 600_000}
    ingest(world.alpha, source, [mention(1, author=author)])
    ingest(world.alpha, source, [mention(2, author=author)])  # unchanged: no new sample
    ingest(world.alpha, source, [mention(3, author={"handle": "nieuwsuur", "followers": 612_304})])
    # an older post arriving late does not overwrite the newer count
    ingest(
        world.alpha,
        source,
        [mention(0, external_id="late", author={"handle": "nieuwsuur", "followers": 1})],
    )
    with tenancy.tenant_context(world.alpha):
        reach = AuthorReach.objects.filter(author__handle="nieuwsuur").order_by("observed_at")
        assert [r.followers for r in reach] == [600_000, 612_304]
        assert Author.objects.get(handle="nieuwsuur").followers == 612_304


def test_ingesting_twice_changes_nothing(world, django_capture_on_commit_callbacks):
    source = make_source(world.alpha)
    ingest(world.alpha, source, [mention(i) for i in range(5)])
    with django_capture_on_commit_callbacks() as callbacks:
        again = ingest(world.alpha, source, [mention(i) for i in range(5)] + [mention(1)])
    assert (again.accepted, again.duplicates) == (0, 6)
    assert callbacks == []  # nothing new, nothing queued
    with tenancy.tenant_context(world.alpha):
        assert Mention.objects.count() == 5


def test_a_batch_with_some_stored_mentions_keeps_the_new_ones(world):
    # m1 is stored already (re-sent, or stored by a concurrent writer): the fast COPY fails on
    # it and the batch takes the staging path.
    source = make_source(world.alpha)
    ingest(world.alpha, source, [mention(1)])
    result = ingest(world.alpha, source, [mention(2), mention(1), mention(3)])
    assert (result.accepted, result.duplicates) == (2, 1)
    with tenancy.tenant_context(world.alpha):
        stored = Mention.objects.order_by("external_id").values_list("external_id", flat=True)
        assert list(stored) == ["m1", "m2", "m3"]
        assert sorted(result.mention_ids) == sorted(
            Mention.objects.exclude(external_id="m1").values_list("pk", flat=True)
        )


def test_the_same_id_on_two_sources_is_two_mentions(world):
    first, second = make_source(world.alpha), make_source(world.alpha, name="Other")
    assert ingest(world.alpha, first, [mention(1)]).accepted == 1
    assert ingest(world.alpha, second, [mention(1)]).accepted == 1


def test_bad_items_are_rejected_by_field_and_kept_the_good_ones_stored(world):
    source = make_source(world.alpha)
    items = [
        mention(1),
        mention(2, posted_at="2026-03-03 18:00"),  # no time zone
        {"text": "no id, no time"},
        mention(3, author={"handle": "", "followers": -5}),
        mention(4, colour="red"),
        "not even an object",
        mention(5),
    ]
    result = ingest(world.alpha, source, items)
    assert (result.accepted, len(result.rejected)) == (2, 5)
    errors = {r.index: dict(r.errors) for r in result.rejected}
    assert errors[1] == {"posted_at": "needs a time zone (e.g. 2026-03-01T12:00:00Z)"}
    assert set(errors[2]) == {"external_id", "posted_at"}
    assert set(errors[3]) == {"author.handle", "author.followers"}
    assert errors[4] == {"colour": "unknown field"}
    assert errors[5] == {"item": "expected a JSON object, got str"}
    with tenancy.tenant_context(world.alpha):
        letters = {letter.batch_index: letter for letter in DeadLetter.objects.all()}
        assert set(letters) == {1, 2, 3, 4, 5}
        assert letters[4].payload["colour"] == "red"  # kept as it came
        assert letters[1].errors == [
            {"field": "posted_at", "message": "needs a time zone (e.g. 2026-03-01T12:00:00Z)"}
        ]
        assert all(r.dead_letter_id == letters[r.index].pk for r in result.rejected)


def test_nul_characters_and_odd_ids_are_handled(world):
    source = make_source(world.alpha)
    result = ingest(world.alpha, source, [mention(1, external_id=123456789012, text="a\x00b")])
    assert result.accepted == 1
    with tenancy.tenant_context(world.alpha):
        assert Mention.objects.get().text == "ab"
        assert Mention.objects.get().external_id == "123456789012"


def test_each_brand_keeps_its_own_mentions(world):
    alpha_source, bravo_source = make_source(world.alpha), make_source(world.bravo)
    ingest(world.alpha, alpha_source, [mention(i) for i in range(3)])
    ingest(world.bravo, bravo_source, [mention(i, text="Bravo!") for i in range(2)])
    with tenancy.tenant_context(world.alpha):
        assert Mention.objects.count() == 3
        assert not Mention.objects.filter(text="Bravo!").exists()
    with tenancy.tenant_context(world.bravo):
        assert Mention.objects.count() == 2
        assert Source.objects.count() == 1


def test_ingestion_refuses_public_and_another_brands_schema(world):
    source = make_source(world.alpha)
    with pytest.raises(MissingTenantError):
        mentions_ingest(client=world.alpha, source=source, items=[mention(1)], channel="api")
    with tenancy.tenant_context(world.bravo), pytest.raises(WrongTenantError):
        mentions_ingest(client=world.alpha, source=source, items=[mention(1)], channel="api")


def test_an_item_may_name_another_platform_and_keeps_its_time(world):
    source = make_source(world.alpha, platform="other", kind="feed")
    ingest(world.alpha, source, [mention(1, platform="Twitter"), mention(2, platform="linkedin")])
    with tenancy.tenant_context(world.alpha):
        assert sorted(Mention.objects.values_list("platform", flat=True)) == ["linkedin", "x"]
        assert Mention.objects.get(external_id="m1").posted_at == T0.replace(minute=1)
