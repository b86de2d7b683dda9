"""The demo data goes through the production services and shows a live alert with reasons."""

from __future__ import annotations

import pytest

from clients import tenancy
from monitoring.demo import demo_monitoring_seed
from monitoring.models import Alert, Author, Mention, Wave

pytestmark = pytest.mark.django_db


def test_the_demo_week_and_wave_raise_one_alert_with_its_reasons(world):
    with tenancy.tenant_context(world.alpha):
        stored = demo_monitoring_seed(client=world.alpha, wave=True)
        assert stored == Mention.objects.count() > 200
        assert demo_monitoring_seed(client=world.alpha, wave=True) == 0  # once only
        (alert,) = Alert.objects.all()
        wave = Wave.objects.get()
    assert wave.origin_platform == "instagram" and alert.level == "crisis"
    reasons = " ".join(alert.reasons)
    assert "@nosnieuws (1.2M)" in reasons and "spreading from Instagram to X" in reasons
    with tenancy.tenant_context(world.alpha):
        assert Author.objects.get(handle="nosnieuws").is_journalist
    with tenancy.tenant_context(world.bravo):
        assert not Mention.objects.exists() and not Alert.objects.exists()


def test_a_demo_brand_without_a_wave_stays_quiet(world):
    with tenancy.tenant_context(world.bravo):
        assert demo_monitoring_seed(client=world.bravo, wave=False) > 200
        assert not Alert.objects.exists()
