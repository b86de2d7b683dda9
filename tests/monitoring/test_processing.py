"""The hand-off to processing: exactly once, lost messages found again, brands kept apart."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from clients import tenancy
from monitoring.models import Mention
from monitoring.services.ingestion import PENDING_KEY, mentions_ingest
from monitoring.services.processing import (
    REQUEUE_AFTER,
    mentions_process,
    mentions_unprocessed_ids,
)
from monitoring.tasks import mentions_process_pending
from tests.monitoring.broker import sent_by
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
        # too fresh to count as lost: the message is in flight
        assert mentions_unprocessed_ids(client=world.alpha, older_than=REQUEUE_AFTER) == []
        Mention.objects.filter(pk=ids[0]).update(received_at=timezone.now() - timedelta(minutes=5))
        assert mentions_unprocessed_ids(client=world.alpha, older_than=REQUEUE_AFTER) == [ids[0]]


def test_a_burst_queues_one_processing_run_per_brand(world, django_capture_on_commit_callbacks):
    source = make_source(world.alpha)
    with tenancy.tenant_context(world.alpha):
        cache.delete(PENDING_KEY)

    def deliver(numbers: range) -> None:
        for n in numbers:
            with (
                django_capture_on_commit_callbacks(execute=True),
                tenancy.tenant_context(world.alpha),
            ):
                mentions_ingest(
                    client=world.alpha, source=source, items=[mention(n)], channel="api"
                )

    _, sent = sent_by(lambda: deliver(range(5)))
    assert [(h["task"], h["kwargsrepr"]) for h in sent] == [
        ("monitoring.tasks.mentions_process_pending", "{'schema_name': 'brand_alpha'}")
    ]
    # the run clears the flag first, so what arrives after it gets a run of its own
    assert mentions_process_pending.apply(kwargs={"schema_name": "brand_alpha"}).get() == 5
    _, sent = sent_by(lambda: deliver(range(9, 10)))
    assert len(sent) == 1
    with tenancy.tenant_context(world.alpha):
        cache.delete(PENDING_KEY)


def test_a_task_for_one_brand_never_processes_anothers_mentions(world):
    stored(world.alpha, 2)
    stored(world.bravo, 3)
    result = mentions_process_pending.apply(kwargs={"schema_name": world.bravo.schema_name})
    assert result.get() == 3  # bravo's own mentions only
    with tenancy.tenant_context(world.alpha):
        assert Mention.objects.filter(processed_at__isnull=True).count() == 2
    done = mentions_process_pending.apply(kwargs={"schema_name": world.alpha.schema_name}).get()
    assert done == 2


def test_the_periodic_requeue_fans_out_one_task_per_brand(world):
    from monitoring.tasks import mentions_requeue_unprocessed_all

    count, sent = sent_by(lambda: mentions_requeue_unprocessed_all.apply().get())
    assert count == 2  # runs in public
    assert sorted(h["kwargsrepr"] for h in sent) == [
        "{'schema_name': 'brand_alpha'}",
        "{'schema_name': 'brand_bravo'}",
    ]
    assert {h["task"] for h in sent} == {"monitoring.tasks.mentions_requeue_unprocessed"}


def test_the_wave_tick_fans_out_and_runs_in_each_brand_alone(world):
    from monitoring.models import SeriesState, Wave
    from monitoring.tasks import waves_tick, waves_tick_all
    from tests.monitoring.factories import make_alert

    count, sent = sent_by(lambda: waves_tick_all.apply().get())
    assert count == 2  # runs in public
    assert sorted(h["kwargsrepr"] for h in sent) == [
        "{'schema_name': 'brand_alpha'}",
        "{'schema_name': 'brand_bravo'}",
    ]

    # an open wave in alpha whose last activity was long ago: alpha's tick closes it
    alert = make_alert(world.alpha)
    with tenancy.tenant_context(world.alpha):
        Wave.objects.update(last_activity_at=timezone.now() - timedelta(hours=3))
    assert waves_tick.apply(kwargs={"schema_name": world.bravo.schema_name}).get() == ""
    with tenancy.tenant_context(world.alpha):
        assert Wave.objects.get(pk=alert.wave_id).status == "open"  # bravo's tick: not alpha's
        assert not SeriesState.objects.exists()
    assert waves_tick.apply(kwargs={"schema_name": world.alpha.schema_name}).get() == ""
    with tenancy.tenant_context(world.alpha):
        assert Wave.objects.get(pk=alert.wave_id).status == "closed"
        assert SeriesState.objects.filter(key="all").exists()
    with tenancy.tenant_context(world.bravo):
        assert SeriesState.objects.filter(key="all").exists()
        assert not Wave.objects.exists()
    with pytest.raises(Exception, match="schema_name"):
        waves_tick.delay()
