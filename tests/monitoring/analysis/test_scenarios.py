"""The scenario suite: the production detector and verdict on brands of every kind.

Synthetic brands, simulated bin by bin with seeded Poisson counts shaped by hour of day and day
of week, fed to monitoring.analysis.waves.VolumeDetector exactly as the worker feeds it; the
verdicts come from monitoring.analysis.verdict.judge with the default thresholds. (The same
verdicts through the database are in tests/monitoring/test_detection.py.)
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from monitoring.analysis.verdict import Multiplier, Thresholds, WaveFigures, judge
from monitoring.analysis.waves import Reading, VolumeDetector

BIN = timedelta(minutes=5)
START = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday
DEFAULTS = Thresholds()


def poisson(rng: random.Random, lam: float) -> int:
    if lam > 50:  # normal approximation, fine at this size
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    k, p, limit = 0, 1.0, math.exp(-lam)
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def daily_shape(at: datetime) -> float:
    """People post in the day and the evening, little at night."""
    hour = at.hour + at.minute / 60
    return (
        0.15 + 1.6 * math.exp(-(((hour - 13) / 5) ** 2)) + 0.8 * math.exp(-(((hour - 20) / 2) ** 2))
    )


def simulate(
    per_day: float,
    days: int,
    *,
    weekday_factor: Callable[[datetime], float] = lambda at: 1.0,
    extra: Callable[[datetime], float] = lambda at: 0.0,
    seed: int = 1,
) -> list[tuple[datetime, int, Reading]]:
    rng = random.Random(seed)
    detector = VolumeDetector(bin_seconds=300)
    per_bin = per_day / 288 / 0.62  # daily_shape averages ~0.62 over a day
    out = []
    at = START
    for _ in range(days * 288):
        lam = per_bin * daily_shape(at) * weekday_factor(at) + extra(at)
        count = poisson(rng, lam)
        out.append((at, count, detector.update(at, count)))
        at += BIN
    return out


def alerts_between(run, since: datetime, until: datetime) -> list[Reading]:
    return [r for at, _, r in run if since <= at < until and r.alert]


def test_a_quiet_brand_stays_quiet_and_a_dozen_angry_posts_stand_out():
    normal = simulate(per_day=4, days=28)
    assert len(alerts_between(normal, START + timedelta(days=1), START + timedelta(days=28))) <= 1

    wave_at = START + timedelta(days=21, hours=19)

    def burst(at: datetime) -> float:
        return 2.5 if wave_at <= at < wave_at + timedelta(minutes=30) else 0.0

    run = simulate(per_day=4, days=28, extra=burst)
    found = alerts_between(run, wave_at, wave_at + timedelta(minutes=30))
    assert found, "15 mentions in half an hour on a brand with 4 a day"
    assert found[0].timestamp <= wave_at + timedelta(minutes=15)  # minutes, not hours


def test_a_busy_brand_ignores_its_daily_swings_but_sees_a_real_surge():
    normal = simulate(per_day=40_000, days=21, seed=2)
    assert len(alerts_between(normal, START + timedelta(days=2), START + timedelta(days=21))) <= 1

    wave_at = START + timedelta(days=17, hours=10)

    def surge(at: datetime) -> float:
        # a story breaks: +150 % for an hour
        return (
            1.5 * 40_000 / 288 / 0.62 * daily_shape(at)
            if wave_at <= at < wave_at + timedelta(hours=1)
            else 0.0
        )

    run = simulate(per_day=40_000, days=21, extra=surge, seed=2)
    found = alerts_between(run, wave_at, wave_at + timedelta(hours=1))
    assert found and found[0].timestamp <= wave_at + timedelta(minutes=15)


def weekend_brand(at: datetime) -> float:
    """A brunch chain: weekends four times as busy as weekdays."""
    return 4.0 if at.weekday() >= 5 else 1.0


def test_weekly_seasonality_a_busy_saturday_is_usual_the_same_on_a_tuesday_is_not():
    run = simulate(per_day=300, days=35, weekday_factor=weekend_brand, seed=3)
    # after two weeks of learning, Saturdays raise no alarm
    saturdays = [
        r for at, _, r in run if at >= START + timedelta(days=14) and at.weekday() == 5 and r.alert
    ]
    assert not saturdays

    tuesday = START + timedelta(days=29, hours=11)  # a Tuesday

    def saturday_on_tuesday(at: datetime) -> float:
        if tuesday <= at < tuesday + timedelta(hours=2):
            return 3.0 * 300 / 288 / 0.62 * daily_shape(at)
        return 0.0

    run = simulate(
        per_day=300, days=35, weekday_factor=weekend_brand, extra=saturday_on_tuesday, seed=3
    )
    assert alerts_between(run, tuesday, tuesday + timedelta(hours=2))


def test_a_slow_burn_over_a_day_is_caught_though_no_bin_spikes():
    per_day = 600
    burn_at = START + timedelta(days=20, hours=6)

    def slow_burn(at: datetime) -> float:
        # from nothing to +180 % of usual, steadily over 18 hours
        if burn_at <= at < burn_at + timedelta(hours=18):
            share = (at - burn_at) / timedelta(hours=18)
            return 1.8 * share * per_day / 288 / 0.62 * daily_shape(at)
        return 0.0

    # No bin's expected count is ever more than 2.8x its usual (by construction), so no single
    # 5-minute bin stands out the way a spike does; yet the wave is seen within the day, by a
    # window of an hour or more. (A burn that never doubles the usual is no wave: `min_ratio`.)
    run = simulate(per_day=per_day, days=24, extra=slow_burn, seed=4)
    found = alerts_between(run, burn_at, burn_at + timedelta(hours=18))
    assert found
    assert found[0].horizon_minutes >= 60


def figures(**overrides: Any) -> WaveFigures:
    values: dict[str, Any] = dict(
        started_at=datetime(2026, 3, 10, 19, 0, tzinfo=UTC),
        origin_platform="instagram",
        negative_count=1,
        negative_authors=1,
        mention_count=1,
        negative_window=1,
        negative_expected=0.01,
        detector_alert=False,
    )
    values.update(overrides)
    return WaveFigures(**values)


def test_a_lone_angry_customer_with_14_followers_is_noise():
    verdict = judge(
        figures(negative_count=6, negative_window=6, detector_alert=True, emotional_negative=6),
        DEFAULTS,
    )
    assert verdict.level == "noise"
    assert verdict.reasons == [
        "only 1 negative author, none with a large reach (6 negative mentions)"
    ]


def test_a_small_wave_is_watched_and_multipliers_make_it_a_crisis():
    small = figures(
        negative_count=9,
        negative_authors=7,
        mention_count=11,
        negative_window=9,
        negative_expected=1.0,
        detector_alert=True,
        negative_by_platform={"instagram": 9},
    )
    assert judge(small, DEFAULTS).level == "watch"
    assert (
        judge(small, DEFAULTS).reasons[0].startswith("negative volume 9x a usual Tuesday evening")
    )

    amplified = figures(
        **{
            **small.__dict__,
            "negative_count": 60,
            "negative_authors": 48,
            "negative_window": 45,
            "multipliers": [
                Multiplier("nosnieuws", "x", 1_200_000, journalist=True),
                Multiplier("foodblogger", "instagram", 54_000),
            ],
            "emotional_negative": 44,
            "negative_by_platform": {"instagram": 40, "x": 20},
            "last_15_min": 40,
            "previous_15_min": 12,
        }
    )
    verdict = judge(amplified, DEFAULTS)
    assert verdict.level == "crisis"
    assert verdict.reasons == [
        "negative volume 45x a usual Tuesday evening (45 in 5 minutes, usually 1.0)",
        "2 accounts with over 10k followers or on the press/influencer list joined in: "
        "@nosnieuws (1.2M), @foodblogger (54k)",
        "spreading from Instagram to X",
        "emotional rather than factual (73% of the negative posts)",
        "accelerating: 40 mentions in the last 15 minutes, 12 in the 15 before",
    ]


def test_spreading_to_a_second_platform_raises_the_level():
    base = dict(
        negative_count=20,
        negative_authors=15,
        mention_count=25,
        negative_window=12,
        negative_expected=2.0,
        detector_alert=True,
    )
    one = judge(figures(**base, negative_by_platform={"instagram": 20}), DEFAULTS)
    two = judge(figures(**base, negative_by_platform={"instagram": 14, "x": 6}), DEFAULTS)
    assert two.points == one.points + 1
    assert "spreading from Instagram to X" in two.reasons
    # a stray post elsewhere is not a spread
    stray = judge(figures(**base, negative_by_platform={"instagram": 19, "x": 1}), DEFAULTS)
    assert stray.points == one.points


def test_thresholds_are_the_brands_own():
    wave = figures(negative_count=2, negative_authors=2, negative_window=2, detector_alert=True)
    assert judge(wave, DEFAULTS).level == "noise"
    assert judge(wave, Thresholds(min_negative_authors=2)).level == "watch"
