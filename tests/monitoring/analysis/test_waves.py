"""The streaming volume detector on synthetic brands: quiet and busy, with weekly seasonality,
spikes, a slow burn, a level shift; its count reasoning, gaps, warm-up and persisted state.

Pure computation: no database.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from monitoring.analysis.waves import Reading, VolumeDetector, count_z, gumbel_return_level

START = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday
BINS_PER_DAY = 288
WEEKDAYS = (1.1, 1.1, 1.1, 1.1, 1.0, 0.8, 0.8)
DAY14 = 14 * BINS_PER_DAY
# Day 14, 12:30: one bin of the spike/wave scenarios below.
NOON = DAY14 + 150

Row = tuple[datetime, float]


def _poisson(rng: random.Random, lam: float) -> int:
    if lam > 50:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def brand(
    days: int,
    per_day: float,
    *,
    dispersion: float = 0.1,
    swing: float = 0.1,
    seed: int = 1,
    factor: Callable[[int], float] = lambda k: 1.0,
    extra: Callable[[int], float] = lambda k: 0.0,
) -> Iterator[Row]:
    """A brand's 5-minute counts: a daily cycle (peak 15:00, night at a third), quieter
    weekends, gamma-Poisson noise (`dispersion`) and slow swings of the level (AR(1) over a few
    hours, `swing` its standard deviation); `factor` multiplies the rate of bin k, `extra` adds
    mentions to it."""
    rng = random.Random(seed)
    drift = 0.0
    for k in range(days * BINS_PER_DAY):
        ts = START + timedelta(minutes=5 * k)
        hour = ts.hour + ts.minute / 60
        daily = 1 + 0.7 * math.cos(2 * math.pi * (hour - 15) / 24)
        drift = 0.98 * drift + math.sqrt(1 - 0.98**2) * rng.gauss(0, swing)
        mean = per_day / BINS_PER_DAY * daily * WEEKDAYS[ts.weekday()] / (sum(WEEKDAYS) / 7)
        mean *= math.exp(drift - swing * swing / 2) * factor(k)
        rate = mean * rng.gammavariate(1 / dispersion, dispersion)
        yield ts, float(_poisson(rng, rate) + extra(k))


def replay(rows: Iterator[Row] | list[Row], **params: Any) -> list[Reading]:
    detector = VolumeDetector(**params)
    return [detector.update(ts, value) for ts, value in rows]


def alerts(readings: list[Reading]) -> list[int]:
    return [k for k, r in enumerate(readings) if r.alert]


# -- counts, not ratios ----------------------------------------------------------------------


def test_count_z_reasons_on_counts_not_ratios():
    assert count_z(3, 1.0, 0.0) < 2  # 1 -> 3 mentions: "3x", but nothing to see
    assert count_z(12, 1.0, 0.0) > 5  # 1 -> 12 is
    assert count_z(5_500, 5_000, 0.05) < 1  # +10 % on a busy brand that swings ~20 %
    assert count_z(15_000, 5_000, 0.05) > 5  # 3x on the same brand
    assert count_z(0, 5.0, 0.1) == count_z(5, 5.0, 0.1) == 0.0  # only upwards


def test_gumbel_return_level_is_robust_to_a_crisis_day():
    usual = [3.0, 4.0, 3.5, 5.0, 4.2, 3.8, 4.5, 3.1, 4.8, 3.9, 4.1, 3.3, 4.6, 3.7]
    bar = gumbel_return_level(usual, 14)
    assert max(usual) - 0.5 < bar < 7
    with_crisis = [*usual[:-1], 40.0]
    assert gumbel_return_level(with_crisis, 14) == pytest.approx(bar, rel=0.1)
    assert gumbel_return_level([2.0, 6.0], 14) == 6.0  # too few days: the record so far


# -- no alerts on a normal brand -------------------------------------------------------------


@pytest.mark.parametrize(
    ("per_day", "dispersion"),
    [(5, 0.5), (40, 0.5), (1_000, 0.2), (20_000, 0.1), (100_000, 0.05)],
)
def test_four_weeks_of_an_ordinary_brand_raise_no_alert(per_day, dispersion):
    readings = replay(brand(28, per_day, dispersion=dispersion, seed=per_day))
    assert alerts(readings) == []
    assert all(0.0 <= r.score < 1.0 for r in readings)


def test_quiet_brand_one_to_three_mentions_is_no_spike():
    rows = [(START + timedelta(minutes=5 * k), 1.0) for k in range(DAY14)]
    rows.append((START + timedelta(minutes=5 * DAY14), 3.0))
    reading = replay(rows)[-1]
    assert reading.ratio == pytest.approx(3.0, rel=0.05)
    assert not reading.alert and reading.level == "normal" and reading.z < 2


def test_nothing_alerts_while_the_baseline_is_learnt():
    readings = replay(brand(2, 1_000, extra=lambda k: 500 if k == 150 else 0))
    assert readings[150].score > 0.5 and not readings[150].alert


# -- waves -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("mentions", "late"), [(8, 1), (30, 0)])
def test_quiet_brand_burst_alerts_on_its_bin_or_when_the_next_confirms_it(mentions, late):
    """30 mentions in five minutes on a brand with 20 a day is far over the bar: at once. 8 are
    just over it: the next bin, still over the bar with them in its 15 minutes, confirms it."""
    readings = replay(brand(21, 20, dispersion=0.5, extra=lambda k: mentions if k == NOON else 0))
    assert alerts(readings) == [NOON + late]
    spike = readings[NOON]
    assert spike.level == "spike" and spike.score >= 0.5 and spike.expected < 1
    assert (spike.evidence >= 2.0) == (late == 0)


def test_a_lone_bin_just_over_the_bar_that_the_next_does_not_confirm_raises_no_alert():
    """A bin just over the bar after a calm one, with the bins after it as usual, is a post that
    was shared, not people talking: no alert. The same bin with the bin before it already
    elevated alerts."""
    quiet = list(brand(21, 2_000, dispersion=0.1, seed=3))
    usual = replay(quiet)
    assert alerts(usual) == []
    d = VolumeDetector()
    for at, count in quiet[:NOON]:
        d.update(at, count)
    expected = d.update(*quiet[NOON]).expected
    # Find the smallest extra count that puts the bin over the bar (and under twice it).
    for extra in range(1, 2_000):
        probe = VolumeDetector.from_state(d.to_state())
        reading = probe.update(quiet[NOON + 1][0], quiet[NOON + 1][1] + extra)
        if reading.evidence >= 1.0:
            break
    assert 1.0 <= reading.evidence < 2.0 and not reading.alert
    assert reading.value > expected
    after = [probe.update(at, count) for at, count in quiet[NOON + 2 : NOON + 4]]
    assert not any(r.alert for r in after) and after[0].evidence < 1.0
    # The bin before already past half its bar: the same kind of bin alerts at once.
    for first in range(1, 2_000):
        probe = VolumeDetector.from_state(d.to_state())
        if probe.update(quiet[NOON + 1][0], quiet[NOON + 1][1] + first).evidence >= 0.5:
            break
    warm = probe.to_state()
    for extra in range(1, 4_000):
        probe = VolumeDetector.from_state(warm)
        reading = probe.update(quiet[NOON + 2][0], quiet[NOON + 2][1] + extra)
        if reading.evidence >= 1.0:
            break
    assert 1.0 <= reading.evidence < 2.0 and reading.alert


@pytest.mark.parametrize("factor", [4, 8])
def test_busy_brand_spike_alerts_at_once_and_once(factor):
    hour = range(NOON, NOON + 12)
    readings = replay(brand(21, 50_000, factor=lambda k: factor if k in hour else 1.0))
    [first] = alerts(readings)
    assert NOON <= first < NOON + 3  # within 15 minutes
    assert readings[first].ratio > factor * 0.6
    assert all(r.in_wave for r in readings[first : NOON + 12])


@pytest.mark.parametrize("per_day", [5_000, 50_000])
def test_slow_burn_that_no_single_bin_shows_still_alerts(per_day):
    def ramp(k: int) -> float:  # to 3x over 4 hours, then 3x for 4 hours
        t = k - NOON
        return 1 + 2 * min(t, 48) / 48 if 0 <= t < 96 else 1.0

    readings = replay(brand(21, per_day, factor=ramp))
    [first] = alerts(readings)
    assert NOON < first < NOON + 96
    assert readings[first].ratio < 4  # no bin on its own is a spike


def test_a_wave_with_several_peaks_alerts_once():
    def wave(k: int) -> float:  # six hours; a 6x burst every two hours, 2.5x between
        t = k - NOON
        return (6.0 if t % 24 < 6 else 2.5) if 0 <= t < 72 else 1.0

    readings = replay(brand(21, 5_000, factor=wave))
    [first] = alerts(readings)
    assert NOON <= first < NOON + 3


def test_a_second_wave_after_calm_alerts_again():
    bursts = {NOON, NOON + 2 * BINS_PER_DAY}
    readings = replay(brand(21, 5_000, factor=lambda k: 8.0 if k in bursts else 1.0))
    first, second = alerts(readings)
    assert first == NOON
    # The first burst raised the bar: the second is over it, and its next bin confirms it.
    assert NOON + 2 * BINS_PER_DAY <= second <= NOON + 2 * BINS_PER_DAY + 1


def test_level_shift_alerts_at_most_once_then_becomes_the_baseline():
    readings = replay(brand(28, 5_000, factor=lambda k: 2.0 if k >= DAY14 else 1.0))
    assert len(alerts(readings)) <= 1
    day17 = readings[17 * BINS_PER_DAY : 18 * BINS_PER_DAY]
    expected, observed = sum(r.expected for r in day17), sum(r.value for r in day17)
    assert 0.8 < expected / observed < 1.2


def test_a_wave_does_not_teach_the_baseline_that_waves_are_normal():
    def wave(k: int) -> float:
        return 10.0 if NOON <= k < NOON + 72 else 1.0

    clean = replay(brand(16, 5_000))
    polluted = replay(brand(16, 5_000, factor=wave))
    next_day = slice(NOON + BINS_PER_DAY, NOON + BINS_PER_DAY + 72)
    ratio = sum(r.expected for r in polluted[next_day]) / sum(r.expected for r in clean[next_day])
    assert ratio < 1.25  # a 10x wave lifts tomorrow's baseline by a fraction, not 10x


def test_a_crisis_day_does_not_teach_its_weekday():
    # Day 15, a Tuesday, three times as busy all day: a wave, but no new usual Tuesday.
    crisis_day = range(15 * BINS_PER_DAY, 16 * BINS_PER_DAY)
    clean = replay(brand(23, 5_000))
    crisis = replay(brand(23, 5_000, factor=lambda k: 3.0 if k in crisis_day else 1.0))
    next_tuesday = slice(22 * BINS_PER_DAY, 23 * BINS_PER_DAY)
    ratio = sum(r.expected for r in crisis[next_tuesday]) / sum(
        r.expected for r in clean[next_tuesday]
    )
    assert ratio < 1.15


def test_weekly_seasonality_is_learnt():
    readings = replay(brand(28, 20_000, dispersion=0.05, swing=0.0))
    monday = readings[21 * BINS_PER_DAY : 22 * BINS_PER_DAY]
    sunday = readings[27 * BINS_PER_DAY : 28 * BINS_PER_DAY]
    ratio = sum(r.expected for r in monday) / sum(r.expected for r in sunday)
    assert 1.15 < ratio < 1.6  # 1.1 / 0.8 = 1.375
    afternoon, night = readings[21 * BINS_PER_DAY + 180], readings[21 * BINS_PER_DAY + 36]
    assert afternoon.expected > 3 * night.expected  # 15:00 against 03:00


# -- gaps, order, bad input ------------------------------------------------------------------


def test_gaps_are_bins_with_no_mentions():
    rows = list(brand(10, 1_000))
    gap = range(5 * BINS_PER_DAY, 5 * BINS_PER_DAY + 30)
    with_gap = replay([row for k, row in enumerate(rows) if k not in gap])
    zeros = replay([(ts, 0.0) if k in gap else (ts, v) for k, (ts, v) in enumerate(rows)])
    after = [r for k, r in enumerate(zeros) if k not in gap]
    assert with_gap == after


def test_timestamps_may_jitter_within_a_bin_and_be_naive_utc():
    detector = VolumeDetector()
    detector.update(datetime(2026, 3, 2, 10, 0, 0), 4)
    reading = detector.update(datetime(2026, 3, 2, 10, 5, 2, tzinfo=UTC), 5)
    assert reading.timestamp.minute == 5


def test_a_bin_not_after_the_last_or_a_bad_count_is_refused():
    detector = VolumeDetector()
    detector.update(START, 3)
    with pytest.raises(ValueError, match="not after"):
        detector.update(START + timedelta(seconds=60), 3)
    for bad in (-1.0, math.nan, math.inf):
        with pytest.raises(ValueError, match="finite"):
            detector.update(START + timedelta(minutes=5), bad)
    with pytest.raises(ValueError, match="divide a day"):
        VolumeDetector(bin_seconds=7)


def test_a_gap_longer_than_a_week_restarts_nothing_and_still_works():
    detector = VolumeDetector()
    for ts, value in brand(3, 1_000):
        detector.update(ts, value)
    later = START + timedelta(days=40)
    reading = detector.update(later, 3)
    assert reading.timestamp == later and not reading.alert


# -- persisted state -------------------------------------------------------------------------


def test_restored_mid_series_the_detector_continues_exactly():
    rows = list(brand(20, 5_000, factor=lambda k: 6.0 if NOON <= k < NOON + 12 else 1.0))
    straight = replay(rows)

    first = VolumeDetector()
    head = [first.update(ts, value) for ts, value in rows[: NOON + 3]]  # mid-wave
    blob = json.dumps(first.to_state())
    assert len(blob) < 4_096
    second = VolumeDetector.from_state(json.loads(blob))
    tail = [second.update(ts, value) for ts, value in rows[NOON + 3 :]]
    assert head + tail == straight
    assert any(r.alert for r in straight)


def test_a_version_1_state_is_read_with_the_same_baseline():
    rows = list(brand(16, 5_000))
    detector = VolumeDetector()
    for ts, value in rows[:-1]:
        detector.update(ts, value)
    state = json.loads(json.dumps(detector.to_state()))
    # Version 1 kept weekday shares at any scale and counted their bins, not their days, and
    # had no day sums.
    v1 = dict(state["state"])
    v1["weekdays"] = [2.0 * w for w in v1["weekdays"]]
    v1["weekday_seen"] = [BINS_PER_DAY * n for n in v1["weekday_seen"]]
    for name in ("weekday_votes", "week_days", "week_totals", "day", "day_bins", "day_total"):
        del v1[name]
    restored = VolumeDetector.from_state({**state, "version": 1, "state": v1})
    ts, value = rows[-1]
    assert restored.update(ts, value).expected == pytest.approx(
        detector.update(ts, value).expected, rel=1e-9
    )


def test_state_keeps_non_default_settings_and_refuses_a_foreign_version():
    detector = VolumeDetector(bin_seconds=60, horizon_minutes=(1, 10), alert_z=6.0)
    detector.update(START, 2)
    state = json.loads(json.dumps(detector.to_state()))
    restored = VolumeDetector.from_state(state)
    assert restored.params == detector.params
    with pytest.raises(ValueError, match="version"):
        VolumeDetector.from_state({**state, "version": 99})


def test_it_is_fast():
    rows = list(brand(7, 5_000))
    detector = VolumeDetector()
    import time

    start = time.perf_counter()
    for ts, value in rows:
        detector.update(ts, value)
    rate = len(rows) / (time.perf_counter() - start)
    assert rate > 20_000  # bench/nab.py measures ~100,000 updates/s


def test_hourly_bins_work_with_the_default_horizons():
    detector = VolumeDetector(bin_seconds=3600)
    hours = [START + timedelta(hours=k) for k in range(24 * 10)]
    readings = [detector.update(ts, 500.0 if k == 24 * 9 else 50.0) for k, ts in enumerate(hours)]
    assert [k for k, r in enumerate(readings) if r.alert] == [24 * 9]
    assert readings[24 * 9].horizon_minutes in (60, 240)
