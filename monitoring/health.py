"""Source health arithmetic, with no Django: lag, rate, and whether a source has gone silent.

A source is silent when, at its usual rate, seeing no mention for this long would be very
unlikely: P(no event in t hours) = exp(-rate * t) for a Poisson stream, flagged below
SILENCE_PROBABILITY. A quiet source (a few mentions a day) therefore gets days of slack and a
busy one minutes, and a source without history is never flagged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

SILENCE_PROBABILITY = 0.001
MIN_SILENT_HOURS = 1.0


@dataclass(frozen=True)
class Health:
    lag_seconds: float | None
    mentions_last_hour: int
    expected_per_hour: float | None
    silent_for_hours: float | None
    silent: bool


def silence_threshold_hours(rate_per_hour: float) -> float:
    """How long without a mention before a source with this rate counts as silent."""
    return max(MIN_SILENT_HOURS, -math.log(SILENCE_PROBABILITY) / rate_per_hour)


def source_health(
    *,
    now: datetime,
    last_received_at: datetime | None,
    last_posted_at: datetime | None,
    mentions_last_hour: int,
    expected_per_hour: float | None,
    active_since: datetime,
) -> Health:
    lag = (now - last_posted_at).total_seconds() if last_posted_at else None
    quiet_since = last_received_at or active_since
    silent_hours = (now - quiet_since).total_seconds() / 3600
    silent = bool(
        expected_per_hour
        and expected_per_hour > 0
        and silent_hours > silence_threshold_hours(expected_per_hour)
    )
    return Health(
        lag_seconds=round(lag, 1) if lag is not None else None,
        mentions_last_hour=mentions_last_hour,
        expected_per_hour=round(expected_per_hour, 3) if expected_per_hour else None,
        silent_for_hours=round(silent_hours, 2),
        silent=silent,
    )
