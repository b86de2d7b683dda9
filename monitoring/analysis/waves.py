"""Streaming mention-volume detector: one per brand and series, fed closed bins one at a time.

Baseline. Each bin's count is compared with what this brand usually has at this hour of this
weekday, `expected = level * hour_of_day_share * weekday_share`. `level` is a moving average of
the deseasonalised counts (it follows a brand that grows within a day or two); the 24 hour shares
are moving averages of each slot's share. Every update is clipped a few standard deviations above
expectation, so a wave lifts the baseline only slowly and never teaches it that waves are normal,
and the hour shares are frozen while a wave is on.

Weekdays. The level follows a busy weekend half-way within the day, so a weekday's share cannot
be learnt against the level (a brunch chain's Saturdays would stay waves for weeks, and the
dispersion and the bars would grow to absorb them, blind to the same volume on a Tuesday). It is
learnt once a day, at midnight UTC: the day votes the log of its total over the median day of
the last week (each day over its weekday's share; a bin counts up to `weekday_max_step` times
its expectation, so an hour's burst counts only so far), bounded by `weekday_max_step` either
way. The first vote moves the share half-way; after that the share moves, at a running-mean
rate and then with `weekday_halflife_days`, towards the median of itself and its last two votes:
one odd day moves nothing, a pattern seen two weeks running is mostly learnt by then. Not frozen
by waves: a new brand's first 4x weekend opens a wave, the next ones are usual. The shares keep
a mean of 1, the level taking the difference, so that learning Saturday leaves every other day's
expectation as it was.

Evidence. A count is judged as a count: under a negative binomial with the expected mean and a
dispersion learnt from the brand's own history, the signed root of the deviance is close to a
standard normal z. For a quiet brand that is Poisson reasoning (1 -> 3 mentions is z 1.6, nothing
to see); for a busy one the dispersion dominates (10 % above 5,000 is no crisis either). The same
test runs on the sums of the last 5 min, 15 min, 1 h and 4 h, so a slow burn that no single bin
shows still adds up. A horizon counts only if its excess is material too: `min_excess` mentions
and `min_ratio` times the expected count.

Dispersion. It describes the brand's ordinary noise, so it learns only from ordinary bins: not in
the warm-up (a baseline that knows no hours yet is no noise), not in a wave, and not while any
horizon is past `calm_fraction` of its bar by the count model alone (material or not). Else a
slow burn teaches it, hour by hour, that a rising 4 h sum is noise, before it ever shows. A brand
that truly got noisier is still learnt: from its calm bins, and its bars rise with its peaks.

The bar. Real mention counts have far heavier tails than any such model: a busy brand's bins jump
5x every day. So each horizon keeps its last two weeks' daily peaks of z, and an alert must beat
what they say is the brand's usual fortnightly peak (daily maxima follow a Gumbel law; see
`gumbel_return_level`), as well as the absolute floor `alert_z`. `evidence` = z / bar, and
`score` = e^2 / (1 + e^2), so 0.5 is the bar.

Waves. One alert per wave: the first bin over the bar opens a wave and alerts, if it is
confirmed: a bin far over the bar (`instant_evidence`) alerts at once, one just over it only
when the bin before was already past `confirm_fraction` of its bar, or else from the next bin
if that one is still over it. A post that got shared puts one bin just over the bar and the
next back under; people talking about the brand go on. The price is five minutes on a marginal
wave; a clear one alerts on its first bin. The wave closes
when every horizon has stayed under `calm_fraction` of its bar for `calm_hours`, or after
`max_wave_hours` (a story still running then alerts again, once a day); inside it, only a bin
with `escalate_factor` times the wave's strongest evidence so far alerts again. No alert in the
first `warmup_hours`, while the baseline is learnt.

Strictly streaming: each reading depends only on its bin and those before. The whole state is a
small JSON-safe dict (about 4 KB), so a worker can keep it in a row between runs:
`VolumeDetector.from_state(d.to_state())` continues exactly as `d` would have. A version 1 state
(before weekdays were learnt by the day) is upgraded on reading.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any, Literal

STATE_VERSION = 2
SECONDS_PER_HOUR = 3600
SECONDS_PER_DAY = 86_400
# 1970-01-01 was a Thursday; Monday is 0, as in datetime.weekday().
EPOCH_WEEKDAY = 3
# Interquartile range of a Gumbel law in units of its scale: ln(ln 4) - ln(ln(4/3)).
GUMBEL_IQR = math.log(math.log(4.0)) - math.log(math.log(4.0 / 3.0))

Level = Literal["normal", "elevated", "spike"]


@dataclass(frozen=True)
class WaveParams:
    """The detector's settings, chosen on principle, then checked out of sample: each setting
    of a grid around these is ranked leave-one-series-out on NAB's labelled series and on
    synthetic brands (bench/nab_loso.py, figures in bench/RESULTS.md)."""

    bin_seconds: int = 300
    # No alert until a day of history: before that there is no hour-of-day baseline at all.
    warmup_hours: float = 24.0
    # Half-lives. The level follows growth within a day or two; the hour-of-day shape changes
    # over weeks; a weekday is seen once a week, hence longer.
    level_halflife_hours: float = 24.0
    hour_halflife_days: float = 7.0
    weekday_halflife_days: float = 28.0
    dispersion_halflife_days: float = 7.0
    # A day's vote on its weekday's share is bounded by this factor either way (a brunch
    # chain's weekends are 4x its weekdays: learnt in one step), and counts as if
    # `weekday_prior_count` more mentions had come as usual (a quiet brand's days vote little).
    weekday_max_step: float = 4.0
    weekday_prior_count: float = 10.0
    # A spike, a burst, a wave, a slow burn (with longer bins, the shortest is one bin).
    horizon_minutes: tuple[int, ...] = (5, 15, 60, 240)
    # The absolute floor: "four sigma", one chance in 30,000 under the count model. It is what
    # governs a quiet brand, whose counts follow the model closely; a busy one's own bar is
    # higher. (Four of the five leave-one-series-out folds chose 4 over 5 and 6.)
    alert_z: float = 4.0
    # ... and the brand's own bar: its usual peak once per `return_days`, from the daily peaks
    # of the last `peak_days`. Noise alone then alerts about once a month per series.
    return_days: float = 28.0
    peak_days: int = 14
    # A wave is over when every horizon stays under this share of its bar for calm_hours: a
    # story that flares again the same day is the same story. A busy brand is rarely calm that
    # long, so a wave also ends after max_wave_hours, lest it swallow tomorrow's crisis.
    calm_fraction: float = 0.5
    calm_hours: float = 12.0
    max_wave_hours: float = 24.0
    escalate_factor: float = 2.0
    # People talking goes on: a bin over the bar alerts when the bin before it was already past
    # `confirm_fraction` of its bar, or when it is `instant_evidence` times the bar itself;
    # a lone bin over the bar after a calm one waits for the next bin to confirm it.
    confirm_fraction: float = 0.5
    instant_evidence: float = 2.0
    # A crisis is people talking: a handful of extra mentions, and twice the usual at least,
    # over minutes or hours alike. (1.5 over the hour and 4-hour sums lost a labelled window and
    # doubled the synthetic brands' false alerts.)
    min_excess: float = 5.0
    min_ratio: float = 2.0
    # Baseline updates are clipped at this many standard deviations above expectation.
    clip_sd: float = 3.0
    # Before the brand's own dispersion is known: counts vary ~30 % beyond Poisson noise.
    prior_dispersion: float = 0.1
    prior_weight_bins: int = 288
    min_expected: float = 0.001
    # Zero-filling a longer gap would only wipe the ring and the shares many times over.
    max_gap_days: float = 7.0

    def __post_init__(self) -> None:
        if self.bin_seconds <= 0 or SECONDS_PER_DAY % self.bin_seconds:
            raise ValueError("bin_seconds must divide a day")
        if not self.horizon_minutes or min(self.horizon_minutes) <= 0:
            raise ValueError("need at least one horizon, each of a positive length")
        if not 0 < self.calm_fraction < 1:
            raise ValueError("calm_fraction must be between 0 and 1")
        if self.return_days <= 1 or self.peak_days < 3:
            raise ValueError("need return_days > 1 and peak_days >= 3")
        if self.weekday_max_step <= 1 or self.weekday_prior_count < 0:
            raise ValueError("need weekday_max_step > 1 and weekday_prior_count >= 0")


@dataclass(frozen=True, slots=True)
class Reading:
    """What the detector says about one bin.

    `expected` is the usual count of this bin (this brand, this hour, this weekday): a reason
    can read "9x a usual Tuesday evening" from `ratio`. `window_value`/`window_expected` are
    the counts over the horizon with the strongest evidence (`horizon_minutes`), `z` its
    surprise and `evidence` that over its bar (>= 1 is over the bar).
    """

    timestamp: datetime
    value: float
    expected: float
    ratio: float
    z: float
    evidence: float
    score: float
    alert: bool
    level: Level
    in_wave: bool
    horizon_minutes: int
    window_value: float
    window_expected: float


def count_z(observed: float, expected: float, dispersion: float) -> float:
    """How surprising `observed` is above `expected`, as a one-sided normal z (0 if not above).

    Signed root of the negative binomial deviance (variance expected + dispersion * expected^2;
    dispersion 0 is Poisson) with a continuity correction of half a count: close to the exact
    tail probability's z even for counts of a few, for the price of two logarithms.
    """
    y = observed - 0.5
    if y <= expected:
        return 0.0
    if dispersion <= 1e-9:
        deviance = 2.0 * (y * math.log(y / expected) - (y - expected))
    else:
        r = 1.0 / dispersion
        deviance = 2.0 * (y * math.log(y / expected) - (y + r) * math.log((y + r) / (expected + r)))
    return math.sqrt(deviance) if deviance > 0.0 else 0.0


def gumbel_return_level(peaks: list[float], return_period: float) -> float:
    """The level that per-period maxima like `peaks` exceed once in `return_period` periods.

    A Gumbel law fitted robustly, from the median and the interquartile range (a crisis day or
    two among the peaks moves neither much): scale = IQR / GUMBEL_IQR, and the return level is
    median + scale * (ln ln 2 - ln(-ln(1 - 1/T))). With fewer than 3 peaks, their maximum.
    """
    if not peaks:
        return 0.0
    ordered = sorted(peaks)
    if len(ordered) < 3:
        return ordered[-1]
    median = _quantile(ordered, 0.5)
    scale = (_quantile(ordered, 0.75) - _quantile(ordered, 0.25)) / GUMBEL_IQR
    reduced = math.log(math.log(2.0)) - math.log(-math.log(1.0 - 1.0 / return_period))
    return median + scale * reduced


def _quantile(ordered: list[float], q: float) -> float:
    """Linear interpolation between order statistics (numpy's default)."""
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _median(values: list[float]) -> float:
    return _quantile(sorted(values), 0.5)


def _alpha(halflife_updates: float) -> float:
    return 1.0 - 0.5 ** (1.0 / halflife_updates)


def _epoch(timestamp: datetime) -> float:
    """Seconds since the epoch; a naive timestamp is UTC."""
    if timestamp.tzinfo is None:
        timestamp = timestamp.replace(tzinfo=UTC)
    return timestamp.timestamp()


@dataclass
class _Horizon:
    """Sums over the last `bins` bins, this horizon's dispersion and its alert bar."""

    bins: int
    observed: float = 0.0
    expected: float = 0.0
    # Dispersion = excess_var / mean_sq, a ratio of moving averages: stable for a quiet brand,
    # where averaging per-bin ratios would divide by a tiny expected^2.
    excess_var: float = 0.0
    mean_sq: float = 0.0
    day_peak: float = 0.0
    peaks: list[float] = field(default_factory=list)
    bar: float = 0.0

    def dispersion(self) -> float:
        return max(self.excess_var / self.mean_sq, 0.0) if self.mean_sq > 0.0 else 0.0

    def to_list(self) -> list[Any]:
        return [
            self.observed,
            self.expected,
            self.excess_var,
            self.mean_sq,
            self.day_peak,
            self.peaks,
            self.bar,
        ]


@dataclass
class _State:
    anchor: float | None = None  # epoch of bin 0
    last_bin: int = -1
    seen: int = 0  # bins processed, zero-filled ones included
    level: float = 0.0
    hours: list[float] = field(default_factory=lambda: [1.0] * 24)
    hour_seen: list[int] = field(default_factory=lambda: [0] * 24)
    # Weekday shares, kept at a mean of 1; weekday_seen counts the moves of each.
    weekdays: list[float] = field(default_factory=lambda: [1.0] * 7)
    weekday_seen: list[int] = field(default_factory=lambda: [0] * 7)
    # Each weekday's last vote (log share), and the last complete day of each weekday: its
    # calendar day (UTC, days since the epoch) and its total. day_* sum the day under way.
    weekday_votes: list[float | None] = field(default_factory=lambda: [None] * 7)
    week_days: list[int] = field(default_factory=lambda: [-1] * 7)
    week_totals: list[float] = field(default_factory=lambda: [0.0] * 7)
    day: int = -1
    day_bins: int = 0
    day_total: float = 0.0
    # The last max(horizon) bins' observed and expected counts; ring_pos is the oldest.
    ring_observed: list[float] = field(default_factory=list)
    ring_expected: list[float] = field(default_factory=list)
    ring_pos: int = 0
    in_wave: bool = False
    calm_bins: int = 0
    wave_bins: int = 0
    wave_peak: float = 0.0
    # The last seen bin's evidence: a lone bin over the bar waits for the next to confirm it.
    last_evidence: float = 0.0


class VolumeDetector:
    """One brand's one series (overall, negative, a platform): `update()` once per closed bin."""

    def __init__(self, bin_seconds: int = 300, **params: Any) -> None:
        self.params = WaveParams(bin_seconds=bin_seconds, **params)
        p = self.params
        bins_per_hour = SECONDS_PER_HOUR / p.bin_seconds
        self._bins_per_day = SECONDS_PER_DAY // p.bin_seconds
        # A horizon shorter than a bin is one bin; two that round alike are one.
        self._horizon_bins = sorted(
            {max(1, round(m * 60 / p.bin_seconds)) for m in p.horizon_minutes}
        )
        self._ring_size = max(self._horizon_bins)
        self._warmup_bins = round(p.warmup_hours * bins_per_hour)
        self._calm_needed = max(1, round(p.calm_hours * bins_per_hour))
        self._max_wave_bins = max(1, round(p.max_wave_hours * bins_per_hour))
        self._max_gap_bins = round(p.max_gap_days * self._bins_per_day)
        self._a_level = _alpha(p.level_halflife_hours * bins_per_hour)
        # An hour slot is visited bins_per_hour times a day; a weekday moves once a week at most.
        self._a_hour = _alpha(p.hour_halflife_days * bins_per_hour)
        self._a_weekday = _alpha(p.weekday_halflife_days / 7)
        self._weekday_log_step = math.log(p.weekday_max_step)
        self._a_dispersion = _alpha(p.dispersion_halflife_days * self._bins_per_day)
        self._s = _State(
            ring_observed=[0.0] * self._ring_size, ring_expected=[0.0] * self._ring_size
        )
        self._horizons = [_Horizon(bins=b) for b in self._horizon_bins]

    def update(self, timestamp: datetime, value: float) -> Reading:
        """Take the count of the bin starting at `timestamp`; bins skipped since the last call
        count as zero. Raises ValueError for a bin not after the last one or a bad count."""
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"a count must be a finite number >= 0, not {value!r}")
        epoch = _epoch(timestamp)
        s = self._s
        p = self.params
        if s.anchor is None:
            s.anchor = epoch
        index = round((epoch - s.anchor) / p.bin_seconds)
        if index <= s.last_bin:
            raise ValueError(
                f"the bin at {timestamp.isoformat()} is not after the previous one "
                f"({p.bin_seconds} s bins)"
            )
        missing = index - s.last_bin - 1
        for back in range(min(missing, self._max_gap_bins), 0, -1):
            # A bin nobody saw cannot open a wave: its alert would be lost.
            self._step(epoch - back * p.bin_seconds, 0.0, None)
        s.last_bin = index
        return self._step(epoch, float(value), timestamp)

    # -- the model -------------------------------------------------------------------------

    def _step(self, epoch: float, value: float, timestamp: datetime | None) -> Reading:
        s = self._s
        p = self.params
        hour = int(epoch // SECONDS_PER_HOUR) % 24
        day = int(epoch // SECONDS_PER_DAY)
        weekday = (day + EPOCH_WEEKDAY) % 7
        if day != s.day:
            self._close_calendar_day()
            s.day = day
        first = s.seen == 0
        if first:
            s.level = max(value, p.min_expected)
        hour_share = s.hours[hour] * 24.0 / sum(s.hours)
        weekday_share = s.weekdays[weekday]
        expected = max(s.level * hour_share * weekday_share, p.min_expected)

        # Slide the ring: slot ring_pos holds the oldest bin, the one leaving the longest
        # horizon; a shorter horizon loses the bin its length back from the new one.
        size = self._ring_size
        pos = s.ring_pos
        for h in self._horizons:
            old = (pos + size - h.bins) % size
            h.observed += value - s.ring_observed[old]
            h.expected += expected - s.ring_expected[old]
        s.ring_observed[pos] = value
        s.ring_expected[pos] = expected
        s.ring_pos = (pos + 1) % size
        s.seen += 1

        best_evidence = 0.0
        best_z = 0.0
        best = self._horizons[0]
        # The strongest evidence by the count model alone, material or not: what the
        # dispersion must not learn from.
        model_evidence = 0.0
        for h in self._horizons:
            window_expected = max(h.expected, p.min_expected)
            if first:
                h.mean_sq = window_expected * window_expected
                h.excess_var = p.prior_dispersion * h.mean_sq
            z = count_z(h.observed, window_expected, h.dispersion())
            bar = max(p.alert_z, h.bar)
            model_evidence = max(model_evidence, z / bar)
            if (
                h.observed - window_expected < p.min_excess
                or h.observed < p.min_ratio * window_expected
            ):
                z = 0.0
            h.day_peak = max(h.day_peak, z)
            evidence = z / bar
            if evidence > best_evidence:
                best_evidence, best_z, best = evidence, z, h

        alert = False
        if s.in_wave:
            s.calm_bins = 0 if best_evidence >= p.calm_fraction else s.calm_bins + 1
            s.wave_bins += 1
            # A busy brand is rarely calm for hours: without a cap, one small wave would chain
            # into the next and silence a real crisis a day later.
            if s.calm_bins >= self._calm_needed or s.wave_bins >= self._max_wave_bins:
                s.in_wave = False
        # A new wave, or one grown well past its peak so far: a bigger story on top of the one
        # being handled. A zero-filled bin (no timestamp) was never seen: it cannot alert.
        confirmed = s.last_evidence >= p.confirm_fraction or best_evidence >= p.instant_evidence
        if timestamp is not None:
            s.last_evidence = best_evidence
        if (
            best_evidence >= 1.0
            and confirmed
            and timestamp is not None
            and s.seen > self._warmup_bins
            and (not s.in_wave or best_evidence >= p.escalate_factor * s.wave_peak)
        ):
            alert = True
            s.in_wave = True
            s.calm_bins = 0
            s.wave_bins = 0
        if s.in_wave:
            s.wave_peak = max(s.wave_peak, best_evidence) if not alert else best_evidence
        else:
            s.wave_peak = 0.0

        ordinary = not s.in_wave and model_evidence < p.calm_fraction
        self._learn(value, expected, hour_share * weekday_share, hour, weekday, ordinary)
        if s.seen % self._bins_per_day == 0:
            self._close_day()

        level: Level = (
            "spike"
            if best_evidence >= 1.0
            else "elevated"
            if best_evidence >= p.calm_fraction
            else "normal"
        )
        e_sq = best_evidence * best_evidence
        return Reading(
            timestamp=timestamp if timestamp is not None else datetime.fromtimestamp(epoch, UTC),
            value=value,
            expected=expected,
            ratio=value / expected,
            z=best_z,
            evidence=best_evidence,
            score=e_sq / (1.0 + e_sq),
            alert=alert,
            level=level,
            in_wave=s.in_wave,
            horizon_minutes=best.bins * p.bin_seconds // 60,
            window_value=best.observed,
            window_expected=best.expected,
        )

    def _learn(
        self, value: float, expected: float, season: float, hour: int, weekday: int, ordinary: bool
    ) -> None:
        """Move the baseline towards this bin, clipped so that a wave cannot drag it along;
        the dispersion only from an `ordinary` bin (no wave, no horizon elevated)."""
        s = self._s
        p = self.params
        h1 = self._horizons[0]
        sd = math.sqrt(expected + h1.dispersion() * expected * expected)
        clipped = min(value, expected + p.clip_sd * sd)
        # Towards the day's vote a bin counts up to the largest step (a few SD for a quiet
        # brand): a day-long pattern counts in full, an hour's burst only so far.
        s.day_bins += 1
        s.day_total += min(
            value, expected + max((p.weekday_max_step - 1) * expected, p.clip_sd * sd)
        )

        # Running means while there is little history, moving averages after.
        a = max(self._a_level, 1.0 / s.seen)
        s.level = max(s.level + a * (clipped / season - s.level), p.min_expected)

        if not s.in_wave:
            # Each slot's share moves towards this bin's share of the rest of the baseline.
            hours_total = sum(s.hours)
            rest = s.level * s.weekdays[weekday]
            s.hour_seen[hour] += 1
            a = max(self._a_hour, 1.0 / (s.hour_seen[hour] + 1))
            target = clipped / max(rest, p.min_expected) * hours_total / 24.0
            s.hours[hour] = max(s.hours[hour] + a * (target - s.hours[hour]), 1e-3)

        learnt = s.seen - self._warmup_bins
        if learnt <= 0:
            # The warm-up's misfit is no noise: the dispersion stays the prior, at the scale
            # the brand turns out to have.
            a = 1.0 / s.seen
            for h in self._horizons:
                m = max(h.expected, p.min_expected)
                h.mean_sq += a * (m * m - h.mean_sq)
                h.excess_var = p.prior_dispersion * h.mean_sq
            return
        if not ordinary:
            return
        a = max(self._a_dispersion, 1.0 / (learnt + p.prior_weight_bins))
        for h in self._horizons:
            m = max(h.expected, p.min_expected)
            sd = math.sqrt(m + h.dispersion() * m * m)
            o = min(h.observed, m + p.clip_sd * sd)
            h.excess_var += a * ((o - m) * (o - m) - m - h.excess_var)
            h.mean_sq += a * (m * m - h.mean_sq)

    def _close_calendar_day(self) -> None:
        """At midnight UTC, a complete day votes on its weekday's share: the log of its total
        over the median day of the last week, each day over its weekday's share."""
        s = self._s
        p = self.params
        # Complete days only (a bin's timestamp may jitter across midnight).
        if s.day_bins >= self._bins_per_day - 1:
            weekday = (s.day + EPOCH_WEEKDAY) % 7
            s.week_days[weekday] = s.day
            s.week_totals[weekday] = s.day_total
            week = [k for k in range(7) if s.week_days[k] > s.day - 7]
            if len(week) >= 3:  # a median of something
                usual = _median([s.week_totals[k] / s.weekdays[k] for k in week])
                prior = p.weekday_prior_count
                vote = math.log((s.day_total + prior) / (usual + prior))
                vote = min(max(vote, -self._weekday_log_step), self._weekday_log_step)
                current = math.log(s.weekdays[weekday])
                last = s.weekday_votes[weekday]
                s.weekday_votes[weekday] = vote
                # The share moves to the median of itself and its last two votes: one odd day
                # moves nothing, two days that agree move it as far as the nearer of them. The
                # first vote, all there is to go on, moves it half-way.
                if last is None:
                    last = (current + vote) / 2
                target = _median([current, vote, last])
                if target != current:
                    s.weekday_seen[weekday] += 1
                    a = max(self._a_weekday, 1.0 / s.weekday_seen[weekday])
                    s.weekdays[weekday] = max(math.exp(current + a * (target - current)), 1e-3)
                    mean = sum(s.weekdays) / 7.0
                    s.weekdays = [w / mean for w in s.weekdays]
                    s.level *= mean
        s.day_bins = 0
        s.day_total = 0.0

    def _close_day(self) -> None:
        """Once a day: record each horizon's peak and set its bar; recompute the running sums
        from the ring so that rounding never accumulates."""
        s = self._s
        p = self.params
        size = self._ring_size
        for h in self._horizons:
            h.peaks.append(h.day_peak)
            del h.peaks[: -p.peak_days]
            h.day_peak = 0.0
            h.bar = gumbel_return_level(h.peaks, p.return_days)
            slots = [(s.ring_pos - k) % size for k in range(1, h.bins + 1)]
            h.observed = sum(s.ring_observed[i] for i in slots)
            h.expected = sum(s.ring_expected[i] for i in slots)

    # -- persistence -----------------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        """The whole state as a small JSON-safe dict, with the settings that differ from the
        defaults."""
        defaults = WaveParams()
        params: dict[str, Any] = {
            f.name: getattr(self.params, f.name)
            for f in fields(WaveParams)
            if getattr(self.params, f.name) != getattr(defaults, f.name)
        }
        if "horizon_minutes" in params:
            params["horizon_minutes"] = list(params["horizon_minutes"])
        s = self._s
        state = {f.name: getattr(s, f.name) for f in fields(_State)}
        state["horizons"] = [h.to_list() for h in self._horizons]
        return {"version": STATE_VERSION, "params": params, "state": state}

    @classmethod
    def from_state(cls, data: dict[str, Any]) -> VolumeDetector:
        """A detector that continues exactly where the one that wrote `data` stopped (from a
        version 1 state: with the same baseline, learning weekdays the new way from there)."""
        if data.get("version") == 1:
            data = _upgrade_v1(data)
        if data.get("version") != STATE_VERSION:
            raise ValueError(f"unknown detector state version {data.get('version')!r}")
        params = dict(data["params"])
        if "horizon_minutes" in params:
            params["horizon_minutes"] = tuple(params["horizon_minutes"])
        detector = cls(**params)
        raw = dict(data["state"])
        horizons = raw.pop("horizons")
        s = _State(**raw)
        if len(s.ring_observed) != detector._ring_size or len(horizons) != len(detector._horizons):
            raise ValueError("the detector state does not match its settings")
        s.ring_observed = [float(v) for v in s.ring_observed]
        s.ring_expected = [float(v) for v in s.ring_expected]
        detector._s = s
        detector._horizons = [
            _Horizon(
                bins=bins,
                observed=observed,
                expected=expected,
                excess_var=excess_var,
                mean_sq=mean_sq,
                day_peak=day_peak,
                peaks=list(peaks),
                bar=bar,
            )
            for bins, (observed, expected, excess_var, mean_sq, day_peak, peaks, bar) in zip(
                detector._horizon_bins, horizons, strict=True
            )
        ]
        return detector


def _upgrade_v1(data: dict[str, Any]) -> dict[str, Any]:
    """A version 1 state as version 2: the weekday shares at a mean of 1 (as v1 used them), and
    each weekday's count of bins learnt as a count of days; the day's sums start afresh."""
    state = dict(data["state"])
    weekdays = [float(w) for w in state["weekdays"]]
    mean = sum(weekdays) / 7.0
    state["weekdays"] = [w / mean for w in weekdays]
    bins_per_day = SECONDS_PER_DAY // int(data["params"].get("bin_seconds", 300))
    state["weekday_seen"] = [int(n) // bins_per_day for n in state["weekday_seen"]]
    return {**data, "version": 2, "state": state}
