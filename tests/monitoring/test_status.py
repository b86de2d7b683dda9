"""The brand's row on the agency desk: written by the brand's own work after commit (processing,
alert actions, polls, the detection tick), from its schema alone, and never for another brand."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from agency.models import BrandStatus
from clients import tenancy
from monitoring.models import Alert, Mention, Source
from monitoring.services.alerts import alert_acknowledge
from monitoring.services.status import brand_status_refresh
from monitoring.tasks import waves_tick
from tests.monitoring.factories import make_source
from tests.monitoring.test_detection import ANGRY, NOW, ingest, item, quiet_history

pytestmark = pytest.mark.django_db


def status(client) -> BrandStatus | None:  # type: ignore[no-untyped-def]
    return BrandStatus.objects.filter(client=client).first()


def test_an_angry_wave_puts_the_brand_on_top_after_commit(
    world, django_capture_on_commit_callbacks
):
    source = make_source(world.alpha)
    quiet_history(world.alpha, source)
    with django_capture_on_commit_callbacks(execute=True):
        ingest(
            world.alpha,
            source,
            [item(n, NOW - timedelta(minutes=5), ANGRY[n % 6], f"c{n}", 40) for n in range(8)]
            + [item(99, NOW - timedelta(minutes=4), ANGRY[0], "bignews", 250_000)],
        )
    row = status(world.alpha)
    assert row is not None
    assert row.state in ("watch", "issue", "crisis")
    assert row.open_alerts == 1 and row.alert_status == "new"
    assert row.alert_level == row.state and row.alert_title
    assert row.reasons and row.wave_id is not None
    assert row.multiplier_posts[0]["handle"] == "bignews"
    assert row.multiplier_posts[0]["followers"] == 250_000
    burning = row.rank
    assert burning > 10_000
    assert status(world.bravo) is None  # the other brand's row is not touched

    # someone is on it: still burning, but below an unacknowledged brand of the same state
    with tenancy.tenant_context(world.alpha), django_capture_on_commit_callbacks(execute=True):
        alert_acknowledge(client=world.alpha, alert=Alert.objects.get(), acting_user=None)
    row = status(world.alpha)
    assert (row.alert_status, row.state) == ("acknowledged", row.alert_level)
    assert row.rank == burning - 1_000


def test_failing_and_silent_sources_show_and_a_quiet_brand_is_calm(world):
    failing = make_source(world.alpha, name="X search")
    quiet = make_source(world.alpha, name="Reviews", platform="reviews", expected_per_hour=10)
    now = timezone.now()
    with tenancy.tenant_context(world.alpha):
        Source.objects.filter(pk=failing.pk).update(
            last_error_at=now, last_error="X refused the credentials (401): Unauthorized."
        )
        Source.objects.filter(pk=quiet.pk).update(created_at=now - timedelta(days=3))
        row = brand_status_refresh(client=world.alpha, now=now)
    assert row.state == "calm" and row.open_alerts == 0
    assert row.sources_total == 2
    assert row.sources_failing == [
        {
            "id": failing.pk,
            "name": "X search",
            "error": "X refused the credentials (401): Unauthorized.",
        }
    ]
    assert [s["name"] for s in row.sources_silent] == ["Reviews"]
    assert row.rank == 20  # calm, two sources to look at


def test_the_tick_refreshes_every_brand_it_runs_for(world, django_capture_on_commit_callbacks):
    source = make_source(world.bravo)
    with tenancy.tenant_context(world.bravo):
        Mention.objects.create(
            source=source,
            platform="x",
            external_id="b1",
            posted_at=timezone.now() - timedelta(minutes=10),
            received_at=timezone.now(),
            text="hello",
        )
    with django_capture_on_commit_callbacks(execute=True):
        waves_tick.apply(kwargs={"schema_name": world.bravo.schema_name})
    row = status(world.bravo)
    assert row is not None and row.mentions_last_hour == 1 and row.state == "calm"
    assert status(world.alpha) is None
