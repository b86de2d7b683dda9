"""Synthetic brands for the volume detector: ordinary months and known waves, reproducibly.

Each brand is a few months of 5-minute mention counts drawn from a negative binomial around a
daily cycle, a weekly cycle and a slow growth, with heavy-tailed ordinary bursts (a post that
gets shared: one bin up to a few times its usual count), optionally a regular spike at the same
hour every evening (a TV show, like AMZN's evening peaks in NAB), and waves injected at known
times: sudden ones (a bad post found), slow burns (a complaint that spreads over hours). An
alert outside every wave is a false alert; a wave is detected by an alert inside it.

Used by bench/nab_loso.py to keep the settings from waking people for nothing, and by the
tests of the detector's behaviour on brands it has never seen.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BIN_SECONDS = 300
BINS_PER_DAY = 86_400 // BIN_SECONDS
START = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday


@dataclass(frozen=True)
class Wave:
    """Extra mentions: from `day` at `hour` (UTC), rising over `rise_hours` to `factor` times
    the usual count, holding for `hold_hours`, then fading over as long as it rose."""

    day: float
    hour: float
    factor: float
    rise_hours: float
    hold_hours: float

    def span(self) -> tuple[int, int]:
        start = round((self.day * 24 + self.hour) * 12)
        end = start + round((2 * self.rise_hours + self.hold_hours) * 12)
        return start, end


@dataclass(frozen=True)
class Brand:
    name: str
    per_day: float  # mentions on a usual weekday
    days: int
    seed: int
    dispersion: float = 0.15
    weekend: float = 1.0  # a weekend day's share against a weekday's
    night_share: float = 0.15  # the 03:00 trough against the 15:00 peak
    growth_per_month: float = 0.0
    evening_spike: float = 0.0  # extra factor at 20:00-20:30 UTC every day
    waves: tuple[Wave, ...] = ()


QUIET_BAKERY = Brand("quiet bakery", per_day=40, days=90, seed=1, dispersion=0.3, weekend=1.4)
STREAMING = Brand(
    "streaming service", per_day=6000, days=90, seed=5, dispersion=0.08, evening_spike=3.0
)

BRANDS: tuple[Brand, ...] = (
    QUIET_BAKERY,
    # The same brands, other draws, and a wave each.
    replace(
        QUIET_BAKERY,
        name="quiet bakery, a crisis",
        days=60,
        seed=2,
        waves=(Wave(40, 18, 12.0, 0.5, 3.0),),
    ),
    Brand("regional retailer", per_day=900, days=90, seed=3, weekend=0.6, growth_per_month=0.1),
    Brand(
        "brunch chain",
        per_day=300,
        days=90,
        seed=4,
        weekend=3.5,
        night_share=0.05,
        waves=(Wave(50, 9, 4.0, 1.0, 4.0), Wave(75, 20, 6.0, 0.25, 1.0)),
    ),
    STREAMING,
    replace(
        STREAMING,
        name="streaming service, a crisis",
        days=75,
        seed=6,
        waves=(Wave(45, 7, 3.0, 0.5, 6.0),),
    ),
    Brand(
        "airline, slow burns",
        per_day=2500,
        days=90,
        seed=7,
        weekend=0.8,
        waves=(Wave(30, 6, 2.5, 6.0, 6.0), Wave(62, 12, 3.0, 8.0, 10.0)),
    ),
    Brand(
        "national bank",
        per_day=15_000,
        days=90,
        seed=8,
        dispersion=0.05,
        weekend=0.5,
        growth_per_month=-0.05,
        waves=(Wave(55, 8, 2.0, 1.0, 8.0),),
    ),
)


def counts(brand: Brand) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """The brand's counts per bin and its waves as bin spans."""
    rng = np.random.default_rng(brand.seed)
    n = brand.days * BINS_PER_DAY
    t = np.arange(n)
    hour = (t % BINS_PER_DAY) / 12.0
    weekday = (t // BINS_PER_DAY) % 7
    # A smooth day: trough at 03:00, peak at 15:00.
    depth = (1 - brand.night_share) / (1 + brand.night_share)
    daily = 1 + depth * np.cos((hour - 15.0) / 24.0 * 2 * math.pi)
    weekly = np.where(weekday >= 5, brand.weekend, 1.0)
    growth = (1 + brand.growth_per_month) ** (t / (30 * BINS_PER_DAY))
    mean = brand.per_day / BINS_PER_DAY * daily * weekly * growth
    mean = mean / daily.mean()
    if brand.evening_spike:
        mean = mean * np.where((hour >= 20) & (hour < 20.5), brand.evening_spike, 1.0)
    # Ordinary bursts: one bin in ~300 gets 1.5-4x, heavy-tailed.
    bursts = rng.random(n) < 1 / 300
    mean = mean * np.where(bursts, 1 + np.minimum(rng.lognormal(-0.3, 0.6, n), 3.0), 1.0)
    spans = []
    for wave in brand.waves:
        start, end = wave.span()
        rise = max(1, round(wave.rise_hours * 12))
        shape = np.zeros(n)
        for k in range(start, min(end, n)):
            into = k - start
            fall = end - k
            shape[k] = min(1.0, into / rise, fall / rise)
        mean = mean * (1 + (wave.factor - 1) * shape)
        spans.append((start, end))
    # Negative binomial as a gamma-Poisson mixture.
    r = 1 / brand.dispersion
    lam = rng.gamma(r, mean / r)
    return rng.poisson(lam).astype(float), spans


@dataclass(frozen=True)
class BrandResult:
    months: float
    false_alerts: int
    waves: int
    detected: int
    delays_minutes: tuple[float, ...]


def replay_brand(brand: Brand, **params: Any) -> BrandResult:
    """Run the production detector over the brand; count false alerts and detected waves. An
    alert up to 6 h after a wave ends is its tail, neither false nor a detection."""
    from monitoring.analysis.waves import VolumeDetector

    values, spans = counts(brand)
    detector = VolumeDetector(bin_seconds=BIN_SECONDS, **params)
    alerts = []
    step = timedelta(seconds=BIN_SECONDS)
    at = START
    for i, value in enumerate(values):
        if detector.update(at, float(value)).alert:
            alerts.append(i)
        at += step
    false = 0
    first: dict[int, int] = {}
    for i in alerts:
        inside = [k for k, (a, b) in enumerate(spans) if a <= i <= b]
        if inside:
            first.setdefault(inside[0], i)
        elif not any(b < i <= b + 72 for _, b in spans):
            false += 1
    delays = tuple((first[k] - spans[k][0]) * BIN_SECONDS / 60 for k in sorted(first))
    return BrandResult(
        months=brand.days / 30.0,
        false_alerts=false,
        waves=len(spans),
        detected=len(first),
        delays_minutes=delays,
    )


if __name__ == "__main__":
    for b in BRANDS:
        result = replay_brand(b)
        print(b.name, result)
