"""Crisis detection end to end: mentions in, enrichment, waves, verdicts and one alert per wave,
through the real database, in the right brand and never the other."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from clients import tenancy
from monitoring.models import Alert, Mention, SeriesState, VolumeBin, Wave
from monitoring.services.detection import detection_backfill, reach_tier, waves_detect
from monitoring.services.ingestion import mentions_ingest
from monitoring.services.processing import mentions_process_pending
from tests.monitoring.factories import make_source

pytestmark = pytest.mark.django_db

# A Tuesday evening in Amsterdam (alpha's zone): 19:30 local.
NOW = datetime(2026, 3, 10, 18, 30, tzinfo=UTC)
ANGRY = [
    "This is a disgrace! Worst service ever, I am furious!!",
    "Absolutely terrible, you ruined my day. Never again!",
    "Disgusting how you treat customers. Shame on you!",
    "I hate this company, awful awful awful",
    "Horrible experience, total scam, avoid them!!",
    "Pathetic. Still no refund after three weeks. Unacceptable!",
]
CALM = [
    "Picked up a coffee at the station this morning",
    "The new store opens on Monday",
    "Great coffee and friendly staff, thanks!",
]


def item(n: int, at: datetime, text: str, handle: str, followers: int = 14, **extra) -> dict:
    return {
        "external_id": f"d{n}",
        "posted_at": at.isoformat(),
        "text": text,
        "language": "en",
        "author": {"handle": handle, "followers": followers},
        **extra,
    }


def ingest(client, source, items, now=NOW) -> None:
    with tenancy.tenant_context(client):
        result = mentions_ingest(client=client, source=source, items=items, channel="api")
        assert not result.rejected, result.as_dict()
        mentions_process_pending(client=client, now=now)


def quiet_history(
    client, source, days: int = 3, every_hours: float = 2.0, now: datetime = NOW
) -> None:
    """A quiet brand: a calm mention every couple of hours for a few days, learnt by the
    detectors as if they had watched all along."""
    items = []
    at = now - timedelta(days=days)
    n = 0
    while at < now - timedelta(minutes=30):
        items.append(item(100_000 + n, at, CALM[n % 3], f"regular{n % 5}", 300))
        at += timedelta(hours=every_hours)
        n += 1
    with tenancy.tenant_context(client):
        mentions_ingest(client=client, source=source, items=items, channel="import")
        mentions_process_pending(client=client, now=now - timedelta(minutes=20))
        detection_backfill(client=client, days=days, now=now - timedelta(minutes=10))


def angry_burst_on_a_quiet_brand(client):  # type: ignore[no-untyped-def]
    """Eight angry posts from eight small accounts, five minutes ago, on a quiet brand."""
    source = make_source(client)
    quiet_history(client, source)
    ingest(
        client,
        source,
        [item(n, NOW - timedelta(minutes=5), ANGRY[n % 6], f"c{n}", 40) for n in range(8)],
    )
    return source


def wave_of(client) -> tuple[Wave | None, Alert | None]:
    with tenancy.tenant_context(client):
        wave = Wave.objects.order_by("-id").first()
        return wave, Alert.objects.filter(wave=wave).first() if wave else None


def test_enrichment_fills_sentiment_tone_language_reach_and_flags(world):
    source = make_source(world.alpha)
    with tenancy.tenant_context(world.alpha):
        mentions_ingest(
            client=world.alpha,
            source=source,
            channel="api",
            items=[
                item(1, NOW, "Wat een schandalige service, nooit meer!!", "piet", 50_000),
                item(2, NOW, "Jättebra kaffe och trevlig personal", "anna", 500),
            ],
        )
        # the platform gave no language for these two: detected
        Mention.objects.update(language="")
        mentions_process_pending(client=world.alpha, now=NOW)
        angry = Mention.objects.get(external_id="d1")
        happy = Mention.objects.get(external_id="d2")
    assert (angry.language, angry.sentiment, angry.emotional) == ("nl", "neg", True)
    assert angry.sentiment_score is not None and angry.sentiment_score < 0
    assert (angry.reach_tier, angry.is_multiplier) == ("mid", True)  # alpha: 11,111 followers
    assert (happy.language, happy.sentiment, happy.is_multiplier) == ("sv", "pos", False)
    assert happy.reach_tier == "nano"


def test_reach_tiers():
    assert [reach_tier(n) for n in (None, 14, 5_000, 50_000, 500_000, 2_000_000)] == [
        "",
        "nano",
        "micro",
        "mid",
        "macro",
        "mega",
    ]


def test_a_lone_angry_customer_stays_noise(world):
    source = make_source(world.alpha)
    quiet_history(world.alpha, source)
    # one customer with 14 followers, furious, six posts in ten minutes
    ingest(
        world.alpha,
        source,
        [item(n, NOW - timedelta(minutes=10 - n), ANGRY[n], "grumpy", 14) for n in range(6)],
    )
    wave, alert = wave_of(world.alpha)
    assert alert is None
    if wave is not None:  # the volume may stand out; the verdict says why it is not a crisis
        assert wave.level == "noise"
        assert "only 1 negative author" in wave.reasons[0]


def test_a_wave_picked_up_by_multipliers_escalates_with_one_alert(world):
    source = make_source(world.alpha)
    quiet_history(world.alpha, source)
    first = [
        item(n, NOW - timedelta(minutes=12 - n), ANGRY[n % 6], f"customer{n}", 40 + n)
        for n in range(6)
    ]
    ingest(world.alpha, source, first)
    wave, alert = wave_of(world.alpha)
    assert wave is not None and alert is not None
    assert wave.level in ("watch", "issue")
    assert wave.origin_platform == "x"
    assert "usual Tuesday evening" in " ".join(wave.reasons)
    first_level = alert.level

    # two accounts past alpha's multiplier threshold (11,111) pick it up
    later = NOW + timedelta(minutes=3)
    ingest(
        world.alpha,
        source,
        [
            item(50, later, "Shocking how they treat people. Disgrace!", "bignews", 250_000),
            item(51, later, "Outrageous. I will never buy there again!!", "influencer", 80_000),
            *[item(60 + n, later, ANGRY[n % 6], f"joiner{n}", 30) for n in range(12)],
        ],
        now=later + timedelta(seconds=30),
    )
    wave, alert = wave_of(world.alpha)
    with tenancy.tenant_context(world.alpha):
        assert Alert.objects.count() == 1  # one alert per wave, updated
        assert Wave.objects.count() == 1
    assert alert.level in ("issue", "crisis")
    assert alert.level != first_level or first_level == "issue"
    assert alert.escalated_at is not None or first_level == alert.level
    reasons = " ".join(alert.reasons)
    assert "@bignews (250k)" in reasons and "@influencer (80k)" in reasons

    # the other brand saw nothing
    _, other = wave_of(world.bravo)
    assert other is None
    with tenancy.tenant_context(world.bravo):
        assert not Wave.objects.exists() and not VolumeBin.objects.exists()


def test_a_multiplier_alone_opens_a_wave_before_the_volume_shows_it(world):
    source = make_source(world.alpha)  # a new brand: the detectors are still learning
    ingest(
        world.alpha,
        source,
        [
            item(1, NOW - timedelta(minutes=2), "Disgusting, I am appalled!!", "reporter", 90_000),
            item(2, NOW - timedelta(minutes=1), ANGRY[0], "fan1", 20),
            item(3, NOW, ANGRY[1], "fan2", 20),
        ],
    )
    wave, alert = wave_of(world.alpha)
    assert wave is not None and alert is not None
    assert wave.started_at == NOW - timedelta(minutes=2)
    assert alert.level == "watch"
    assert "@reporter (90k)" in " ".join(alert.reasons)
    # quiet for hours: the wave ends, and the same post does not open another
    with tenancy.tenant_context(world.alpha):
        for hours in (1, 3, 5):
            waves_detect(client=world.alpha, now=NOW + timedelta(hours=hours))
        assert list(Wave.objects.values_list("status", flat=True)) == ["closed"]


def instagram_then_x(client, instagram_texts, x_texts):  # type: ignore[no-untyped-def]
    """Eight negative posts on Instagram nine minutes ago, eight on X two minutes ago, on a brand
    that is quiet on X; the wave and its alert."""
    instagram = make_source(client, platform="instagram", name="ig")
    x = make_source(client, platform="x", name="x")
    quiet_history(client, x)
    at = NOW - timedelta(minutes=9)
    ingest(client, instagram, [item(n, at, instagram_texts[n % 4], f"ig{n}", 40) for n in range(8)])
    at = NOW - timedelta(minutes=2)
    ingest(client, x, [item(20 + n, at, x_texts[n % 4], f"tw{n}", 40) for n in range(8)])
    return wave_of(client)


def test_spreading_to_a_second_platform_is_named_with_the_origin(world):
    wave, alert = instagram_then_x(world.alpha, ANGRY, ANGRY)
    assert alert is not None
    assert wave.origin_platform == "instagram"
    assert any(
        r.startswith("spreading from Instagram to X (the same words: ") for r in alert.reasons
    )


ADVERT = [
    "That new advert mocking nurses is offensive. Pull it now!",
    "Disgusted by the advert mocking nurses #boycott",
    "Mocking nurses in an advert? Shameful, you should be ashamed",
    "This advert mocking nurses is a disgrace. #boycott",
]
PARCELS = [
    "My parcel is late again, terrible service",
    "Still no refund for my broken kettle. Awful!",
    "Your app crashed twice at checkout, useless",
    "Worst delivery ever, the box was crushed",
]


@pytest.mark.parametrize(("x_texts", "spreads"), [(ADVERT, True), (PARCELS, False)])
def test_only_negative_posts_about_the_same_thing_spread_a_wave(world, x_texts, spreads):
    """Instagram is angry about an advert. X's negative posts about the advert spread the wave
    to X; the same number of complaints about parcels, at the same time, do not."""
    wave, alert = instagram_then_x(world.alpha, ADVERT, x_texts)
    assert alert is not None and wave.origin_platform == "instagram"
    with tenancy.tenant_context(world.alpha):
        assert Mention.objects.filter(platform="x", sentiment="neg").count() == 8
    spreading = [r for r in alert.reasons if r.startswith("spreading from Instagram to X")]
    assert bool(spreading) == spreads
    if spreads:
        assert "advert" in spreading[0] and "nurses" in spreading[0]
    # Another brand's advert wave spreads nothing here, nor is this one seen there.
    with tenancy.tenant_context(world.bravo):
        assert not Wave.objects.exists()


def test_detection_twice_at_the_same_moment_changes_nothing(world):
    angry_burst_on_a_quiet_brand(world.alpha)
    with tenancy.tenant_context(world.alpha):
        before = (VolumeBin.objects.count(), Wave.objects.get().judged_at, Alert.objects.count())
        states = {s.key: s.state for s in SeriesState.objects.all()}
        waves_detect(client=world.alpha, now=NOW)
        after = (VolumeBin.objects.count(), Wave.objects.get().judged_at, Alert.objects.count())
        assert {s.key: s.state for s in SeriesState.objects.all()} == states
    assert before == after


def test_a_quiet_wave_closes_and_the_next_one_gets_its_own_alert(world):
    source = angry_burst_on_a_quiet_brand(world.alpha)
    wave, alert = wave_of(world.alpha)
    assert wave.status == "open" and alert is not None
    with tenancy.tenant_context(world.alpha):
        assert waves_detect(client=world.alpha, now=NOW + timedelta(hours=7)) is None
        wave.refresh_from_db()
    assert wave.status == "closed" and wave.ended_at is not None
    # the wave's verdict is kept after it closed (client reports)
    assert wave.peak_level in ("watch", "issue", "crisis")
    # a new burst later is a new wave with an alert of its own
    later = NOW + timedelta(hours=8)
    ingest(
        world.alpha,
        source,
        [item(200 + n, later - timedelta(minutes=4), ANGRY[n % 6], f"n{n}", 40) for n in range(8)],
        now=later,
    )
    with tenancy.tenant_context(world.alpha):
        assert Wave.objects.count() == 2 and Alert.objects.count() == 2
        assert Wave.objects.filter(status="open").count() == 1


def test_a_dismissed_alert_reopens_when_its_wave_rises(world):
    from monitoring.services.alerts import alert_dismiss

    source = angry_burst_on_a_quiet_brand(world.alpha)
    _, alert = wave_of(world.alpha)
    assert alert is not None and alert.level == "watch"
    with tenancy.tenant_context(world.alpha):
        alert_dismiss(
            client=world.alpha, alert=alert, acting_user=world.staff_a, reason="one-off complaints"
        )
    later = NOW + timedelta(minutes=4)
    ingest(
        world.alpha,
        source,
        [
            item(300, later, "Shocking. Disgrace!", "bignews", 250_000),
            item(301, later, "Outrageous, never again!!", "tv_host", 900_000),
        ],
        now=later + timedelta(seconds=20),
    )
    _, alert = wave_of(world.alpha)
    assert alert.status == "new" and alert.level in ("issue", "crisis")
    assert alert.close_note.startswith("Reopened") and "one-off complaints" in alert.close_note


def test_the_backfill_command_teaches_the_detectors_the_brands_past(world):
    import io

    from django.core.management import CommandError, call_command
    from django.utils import timezone

    source = make_source(world.alpha)
    with tenancy.tenant_context(world.alpha):
        mentions_ingest(
            client=world.alpha,
            source=source,
            channel="import",
            items=[
                item(n, timezone.now() - timedelta(hours=n), CALM[n % 3], "r", 10)
                for n in range(1, 30)
            ],
        )
    out = io.StringIO()
    call_command("detection_backfill", brand="alpha", days=2, stdout=out)
    assert "29 mentions processed first" in out.getvalue()
    with tenancy.tenant_context(world.alpha):
        assert SeriesState.objects.filter(key="all").exists()
        assert VolumeBin.objects.filter(key="all").count() >= 2 * 288 - 1
        assert sum(VolumeBin.objects.filter(key="all").values_list("count", flat=True)) > 0
    with tenancy.tenant_context(world.bravo):
        assert not SeriesState.objects.exists()
    with pytest.raises(CommandError, match="between 1 and 90"):
        call_command("detection_backfill", brand="alpha", days=0)
    with pytest.raises(CommandError):
        call_command("detection_backfill", brand="nope")


def test_a_multiplier_joining_a_negative_thread_counts_even_when_neutral(world):
    source = make_source(world.alpha)
    question = "We are looking into these reports and have contacted the company."
    with tenancy.tenant_context(world.alpha):
        assert texts_sentiment(question) == "neu"
    ingest(
        world.alpha,
        source,
        [
            item(1, NOW - timedelta(minutes=3), ANGRY[0], "fan1", 20, thread_id="t1"),
            item(2, NOW - timedelta(minutes=2), ANGRY[1], "fan2", 20, thread_id="t1"),
            # the same kind of question in a calm thread picks up nothing
            item(3, NOW - timedelta(minutes=2), question, "reporter", 90_000, thread_id="t2"),
        ],
    )
    assert wave_of(world.alpha) == (None, None)
    ingest(
        world.alpha,
        source,
        [item(4, NOW - timedelta(minutes=1), question, "reporter", 90_000, thread_id="t1")],
    )
    wave, alert = wave_of(world.alpha)
    assert wave is not None and alert is not None
    assert wave.started_at == NOW - timedelta(minutes=3)  # the thread's first angry post
    assert "@reporter (90k)" in " ".join(alert.reasons)


def texts_sentiment(text: str) -> str:
    from monitoring.analysis.text import text_analyze

    return text_analyze(text, lang="en").sentiment


@pytest.mark.parametrize("new_minutes", [1, 10])
def test_a_new_bin_size_rebases_the_detectors_and_keeps_the_open_wave(world, new_minutes):
    """Changing bin_minutes on a brand whose detectors run: the next tick re-learns the stored
    history at the new size, and the wave under way goes on as one wave with one alert."""
    from django.utils import timezone

    from monitoring.tasks import waves_tick
    from tests.conftest import api_client

    now = timezone.now()
    source = make_source(world.alpha)
    quiet_history(world.alpha, source, now=now)
    burst = [item(n, now - timedelta(minutes=4), ANGRY[n % 6], f"c{n}", 40) for n in range(8)]
    ingest(world.alpha, source, burst, now=now)
    wave, alert = wave_of(world.alpha)
    assert wave is not None and wave.status == "open" and alert is not None
    with tenancy.tenant_context(world.bravo):
        bravo_states = {s.key: s.state for s in SeriesState.objects.all()}

    response = api_client(world, world.staff_a, world.alpha).patch(
        "/api/v1/brand/settings/", {"bin_minutes": new_minutes}, format="json"
    )
    assert response.status_code == 200, response.content

    level = waves_tick.apply(kwargs={"schema_name": world.alpha.schema_name}).get()
    assert level  # the task succeeded, with a wave open
    seconds = new_minutes * 60
    with tenancy.tenant_context(world.alpha):
        assert list(Wave.objects.values_list("pk", "status")) == [(wave.pk, "open")]
        assert list(Alert.objects.values_list("pk", flat=True)) == [alert.pk]
        kept = Wave.objects.get()
        assert kept.started_at == wave.started_at and kept.negative_count >= 8
        states = list(SeriesState.objects.all())
        assert states and all(s.state["params"].get("bin_seconds", 300) == seconds for s in states)
        overall = next(s for s in states if s.key == "all")
        # re-learnt from the stored history, not started from nothing (a day of warm-up)
        assert overall.state["state"]["seen"] >= 2 * 86_400 // seconds
        assert overall.last_bin is not None
        assert int(overall.last_bin.timestamp()) % seconds == 0
        recent = VolumeBin.objects.filter(start__gte=now - timedelta(days=2))
        assert recent.exists()
        assert all(int(b.start.timestamp()) % seconds == 0 for b in recent)
        # every mention of the last two days is in exactly one bin of the new size
        counted = sum(recent.filter(key="all").values_list("count", flat=True))
        assert (
            counted
            == Mention.objects.filter(
                posted_at__gte=min(b.start for b in recent),
                posted_at__lt=overall.last_bin + timedelta(seconds=seconds),
            ).count()
        )
        # a second tick does not re-learn again: it reads at most the bin that closed since
        seen = overall.state["state"]["seen"]
    waves_tick.apply(kwargs={"schema_name": world.alpha.schema_name}).get()
    with tenancy.tenant_context(world.alpha):
        assert 0 <= SeriesState.objects.get(key="all").state["state"]["seen"] - seen <= 1
    with tenancy.tenant_context(world.bravo):
        assert {s.key: s.state for s in SeriesState.objects.all()} == bravo_states
        assert not Wave.objects.exists()
