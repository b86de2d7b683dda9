"""A brand poisoned the old way (a mention of year 10000 UTC, copied into the author's reach and
the source's health) is repaired by `manage.py repair_timestamps`, and only that brand."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from clients import tenancy
from monitoring.models import Author, AuthorReach, DeadLetter, Mention, Source
from monitoring.services.ingestion import mentions_ingest
from tests.conftest import api_client
from tests.monitoring.factories import make_source, mention

pytestmark = pytest.mark.django_db
POISON = "10000-01-01 09:59:59+00"  # what "9999-12-31T23:59:59-14:00" was stored as


def poison(world, client) -> Source:
    """Store what the doors stored before the fix: raw SQL, as the old ingestion did."""
    source = make_source(client)
    now = timezone.now()
    with tenancy.tenant_context(client):
        mentions_ingest(
            client=client,
            source=source,
            items=[mention(1, posted_at=now.isoformat()), mention(2, posted_at=now.isoformat())],
            channel="api",
        )
        author = Author.objects.get(handle="user1")
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO monitoring_mention (source_id, platform, external_id, url, author_id,"
                " text, language, posted_at, received_at, thread_id, parent_id, likes, shares,"
                " comments, views, raw) VALUES (%s, 'x', 'poison', '', %s, 'boo', 'en', %s, %s,"
                " '', '', 0, 0, 0, 0, %s::jsonb)",
                [source.pk, author.pk, POISON, now, json.dumps({"external_id": "poison"})],
            )
            cursor.execute(
                "INSERT INTO monitoring_authorreach (author_id, followers, observed_at)"
                " VALUES (%s, 99, %s)",
                [author.pk, POISON],
            )
            cursor.execute(
                "UPDATE monitoring_author SET followers = 99, followers_updated_at = %s"
                " WHERE id = %s",
                [POISON, author.pk],
            )
            cursor.execute(
                "UPDATE monitoring_source SET last_posted_at = %s WHERE id = %s",
                [POISON, source.pk],
            )
            cursor.execute(
                "INSERT INTO monitoring_wave (status, started_at, last_activity_at,"
                " origin_platform, level, peak_level, reasons, figures, negative_count,"
                " mention_count, judged_at) VALUES ('open', %s, %s, 'x', 'watch', 'watch',"
                " '[]'::jsonb, '{}'::jsonb, 1, 1, %s)",
                [now, POISON, now],
            )
    return source


def broken(world, client) -> list[str]:
    """The brand's reads that fail (psycopg cannot read the dates)."""
    failures = []
    with tenancy.tenant_context(client):
        for model, field in (
            (Mention, "posted_at"),
            (AuthorReach, "observed_at"),
            (Author, "followers_updated_at"),
            (Source, "last_posted_at"),
        ):
            try:
                list(model.objects.values_list(field, flat=True))
            except Exception:  # psycopg's DataError: "timestamp too large (after year 10K)"
                failures.append(model.__name__)
    return failures


def test_a_poisoned_brand_is_repaired_and_the_other_is_left_alone(world):
    source = poison(world, world.alpha)
    bystander = make_source(world.bravo)
    with tenancy.tenant_context(world.bravo):
        mentions_ingest(client=world.bravo, source=bystander, items=[mention(7)], channel="api")
    assert broken(world, world.alpha) == ["Mention", "AuthorReach", "Author", "Source"]

    dry = io.StringIO()
    call_command("repair_timestamps", "--dry-run", stdout=dry)
    assert "alpha: would change" in dry.getvalue()
    assert broken(world, world.alpha)  # nothing changed by a dry run

    out = io.StringIO()
    call_command("repair_timestamps", stdout=out)
    assert "1 mentions quarantined" in out.getvalue()
    assert "bravo: changed 0 rows" in out.getvalue()
    assert broken(world, world.alpha) == []

    with tenancy.tenant_context(world.alpha):
        assert set(Mention.objects.values_list("external_id", flat=True)) == {"m1", "m2"}
        [letter] = DeadLetter.objects.all()
        assert letter.payload["external_id"] == "poison"
        assert "10000-01-01" in letter.errors[0]["message"]
        author = Author.objects.get(handle="user1")
        assert author.followers == 15 and author.followers_updated_at is not None
        assert Source.objects.get(pk=source.pk).last_posted_at is not None
    with tenancy.tenant_context(world.bravo):
        assert Mention.objects.count() == 1 and DeadLetter.objects.count() == 0

    api = api_client(world, world.staff_a, world.alpha, token=True)
    for path in ("/api/v1/sources/", "/api/v1/mentions/", "/api/v1/waves/"):
        assert api.get(path).status_code == 200, path
    export = api.get("/api/v1/mentions/export.csv")
    assert b"m1" in b"".join(export.streaming_content)  # type: ignore[attr-defined]

    again = io.StringIO()
    call_command("repair_timestamps", "--brand", "alpha", stdout=again)
    assert "alpha: changed 0 rows" in again.getvalue()
