"""The hand-off to processing: exactly once, lost messages found again, brands kept apart."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from clients import tenancy
from monitoring.models import Mention
from monitoring.services.ingestion import mentions_ingest
from monitoring.services.processing import mentions_process, mentions_unprocessed_ids
from monitoring.tasks import mentions_process as mentions_process_task
from tests.monitoring.factories import make_source, mention

pytestmark = pytest.mark.django_db


def stored(client, n: int) -> list[int]:
    source = make_source(client)
    with tenancy.tenant_context(client):
        return mentions_ingest(
            client=client, source=source, items=[mention(i) for i in range(n)], channel="api"
        ).mention_ids


def test_each_mention_is_processed_once(world):
    ids = stored(world.alpha, 5)
    with tenancy.tenant_context(world.alpha):
        assert mentions_process(client=world.alpha, mention_ids=ids) == 5
        assert mentions_process(client=world.alpha, mention_ids=ids) == 0
        assert not Mention.objects.filter(processed_at__isnull=True).exists()


def test_mentions_whose_message_was_lost_are_found_again(world):
    ids = stored(world.alpha, 3)
    with tenancy.tenant_context(world.alpha):
        assert mentions_unprocessed_ids(client=world.alpha) == []  # too fresh: message in flight
        Mention.objects.filter(pk=ids[0]).update(received_at=timezone.now() - timedelta(minutes=5))
        assert mentions_unprocessed_ids(client=world.alpha) == [ids[0]]


def test_a_task_for_one_brand_never_processes_anothers_mentions(world):
    alpha_ids = stored(world.alpha, 2)
    stored(world.bravo, 2)
    # bravo's schema, alpha's ids: whatever bravo has under those ids is bravo's own rows
    result = mentions_process_task.apply(
        kwargs={"schema_name": world.bravo.schema_name, "mention_ids": alpha_ids}
    )
    assert result.successful()
    with tenancy.tenant_context(world.alpha):
        assert Mention.objects.filter(processed_at__isnull=True).count() == 2
    done = mentions_process_task.apply(
        kwargs={"schema_name": world.alpha.schema_name, "mention_ids": alpha_ids}
    ).get()
    assert done == 2
