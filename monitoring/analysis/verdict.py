"""A wave's verdict, noise / watch / issue / crisis, with its reasons in plain words.

Pure computation: the detection service gathers a wave's figures from the database and the
volume detectors; this module weighs them. Each finding adds points and one sentence; the
sum gives the level. The articles behind the product name what makes a crisis: not a grumpy
post by someone with 14 followers, but negative attention far above usual, picked up by
multipliers (accounts with a large reach, journalists, influencers), emotional rather than
factual, moving fast, spreading to other platforms.

The one gate: fewer negative authors than `min_negative_authors`, none of them a multiplier,
is noise however unusual the count (one angry customer posting five times is still one angry
customer).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

Verdict = Literal["noise", "watch", "issue", "crisis"]
LEVELS: tuple[Verdict, ...] = ("noise", "watch", "issue", "crisis")
PLATFORM_NAMES = {
    "x": "X",
    "facebook": "Facebook",
    "instagram": "Instagram",
    "linkedin": "LinkedIn",
    "whatsapp": "WhatsApp",
    "tiktok": "TikTok",
    "youtube": "YouTube",
    "reddit": "Reddit",
    "mastodon": "Mastodon",
    "bluesky": "Bluesky",
    "news": "the news",
    "reviews": "review sites",
    "other": "other sites",
}
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Thresholds:
    """Per brand (BrandSettings), with the defaults an agency starts from."""

    min_negative_authors: int = 3
    issue_ratio: float = 5.0
    issue_min_negative: int = 15
    crisis_ratio: float = 10.0
    crisis_min_negative: int = 40
    multiplier_followers: int = 10_000
    # Spread: a platform counts once it has this many negative mentions of the wave.
    spread_min_negative: int = 3
    emotional_share: float = 0.5
    emotional_min_negative: int = 8
    # Velocity: the last 15 minutes against the 15 before.
    accelerating_factor: float = 2.0
    accelerating_min: int = 10


@dataclass(frozen=True)
class Multiplier:
    handle: str
    platform: str
    followers: int | None
    journalist: bool = False
    influencer: bool = False


@dataclass
class WaveFigures:
    """What is known of a wave at one moment."""

    started_at: datetime
    origin_platform: str
    negative_count: int
    negative_authors: int
    mention_count: int
    # Negative volume over the wave's strongest window against the usual for that window.
    negative_window: float = 0.0
    negative_expected: float = 0.0
    window_minutes: int = 5
    window_start: datetime | None = None
    # The volume detectors (overall and negative, brand and platforms): did any go over its bar?
    detector_alert: bool = False
    negative_by_platform: dict[str, int] = field(default_factory=dict)
    # Of those, on each platform, the posts about what the origin's are about
    # (monitoring.analysis.topic), and the words they share; None: not compared, all count.
    on_topic_by_platform: dict[str, int] | None = None
    topic_terms: tuple[str, ...] = ()
    multipliers: list[Multiplier] = field(default_factory=list)
    emotional_negative: int = 0
    last_15_min: int = 0
    previous_15_min: int = 0
    duration_hours: float = 0.0


@dataclass(frozen=True)
class Judgement:
    level: Verdict
    points: int
    reasons: list[str]


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _followers(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f}M".replace(".0M", "M")
    if n >= 1_000:
        return f"{n // 1000}k"
    return str(n)


def _moment(at: datetime) -> str:
    """'a usual Tuesday evening', in the brand's local time (the caller converts)."""
    hour = at.hour
    part = (
        "night"
        if hour < 6
        else "morning"
        if hour < 12
        else "afternoon"
        if hour < 18
        else "evening"
        if hour < 23
        else "night"
    )
    return f"a usual {WEEKDAYS[at.weekday()]} {part}"


def platform_name(platform: str) -> str:
    return PLATFORM_NAMES.get(platform, platform)


def judge(figures: WaveFigures, thresholds: Thresholds) -> Judgement:
    """The level and its reasons; see the module docstring."""
    t = thresholds
    reasons: list[str] = []
    points = 0
    multipliers = figures.multipliers
    if figures.negative_authors < t.min_negative_authors and not multipliers:
        reasons.append(
            f"only {_count(figures.negative_authors, 'negative author')}, none with a large "
            f"reach ({_count(figures.negative_count, 'negative mention')})"
        )
        return Judgement("noise", 0, reasons)

    # Volume against the usual for this brand at this hour of this weekday.
    ratio = figures.negative_window / max(figures.negative_expected, 0.1)
    if figures.detector_alert or (
        ratio >= 3 and figures.negative_window >= 2 * t.min_negative_authors
    ):
        points += 1
        if ratio >= t.issue_ratio and figures.negative_count >= t.issue_min_negative:
            points += 1
        if ratio >= t.crisis_ratio and figures.negative_count >= t.crisis_min_negative:
            points += 1
        when = _moment(figures.window_start or figures.started_at)
        reasons.append(
            f"negative volume {ratio:.0f}x {when} ({figures.negative_window:.0f} in "
            f"{figures.window_minutes} minutes, usually {figures.negative_expected:.1f})"
            if ratio < 100
            else f"{figures.negative_window:.0f} negative mentions in {figures.window_minutes}"
            f" minutes where {when} has almost none"
        )

    # Multipliers picking it up.
    if multipliers:
        points += 2 if len(multipliers) >= 2 else 1
        big = [m for m in multipliers if (m.followers or 0) >= 10 * t.multiplier_followers]
        if big:
            points += 1
        named = ", ".join(
            f"@{m.handle} ({_followers(m.followers)})"
            if m.followers
            else f"@{m.handle} ({'journalist' if m.journalist else 'influencer'})"
            for m in sorted(multipliers, key=lambda m: -(m.followers or 0))[:3]
        )
        reasons.append(
            f"{_count(len(multipliers), 'account')} with over "
            f"{_followers(t.multiplier_followers)} followers or on the press/influencer list "
            f"joined in: {named}"
        )

    # Spreading to other platforms: their negative posts about the same thing.
    spread = (
        figures.negative_by_platform
        if figures.on_topic_by_platform is None
        else figures.on_topic_by_platform
    )
    platforms = [p for p, n in spread.items() if n >= t.spread_min_negative]
    others = [p for p in platforms if p != figures.origin_platform]
    if others:
        points += 2 if len(others) >= 2 else 1
        ordered = sorted(others, key=lambda p: -spread[p])
        shared = ", ".join(figures.topic_terms)
        reasons.append(
            f"spreading from {platform_name(figures.origin_platform)} to "
            + " and ".join(platform_name(p) for p in ordered)
            + (f" (the same words: {shared})" if shared else "")
        )

    # Emotional rather than factual.
    if figures.negative_count >= t.emotional_min_negative:
        share = figures.emotional_negative / figures.negative_count
        if share >= t.emotional_share:
            points += 1
            reasons.append(f"emotional rather than factual ({share:.0%} of the negative posts)")

    # Velocity.
    if (
        figures.last_15_min >= t.accelerating_min
        and figures.last_15_min >= t.accelerating_factor * max(figures.previous_15_min, 1)
    ):
        points += 1
        reasons.append(
            f"accelerating: {figures.last_15_min} mentions in the last 15 minutes, "
            f"{figures.previous_15_min} in the 15 before"
        )

    if figures.duration_hours >= 6 and points:
        reasons.append(f"going on for {figures.duration_hours:.0f} hours")

    if points == 0:
        reasons.append(
            f"{_count(figures.negative_count, 'negative mention')} from "
            f"{_count(figures.negative_authors, 'author')}, within the usual for this brand"
        )
    level: Verdict = (
        "crisis" if points >= 5 else "issue" if points >= 3 else "watch" if points else "noise"
    )
    return Judgement(level, points, reasons)
