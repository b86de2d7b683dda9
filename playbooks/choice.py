"""Which playbook fits an incident, and why: plain Python (no Django import).

A playbook names the situation it fits: the origin (a wrong post of the brand's own, a product
or service failure, a leak, an outside event in society), the level, the timing (office
hours, night, weekend, holiday) and the origin platform; an empty field fits any. Among those
that fit, the most specific wins (origin weighs most, then timing, then platform, then level;
ties go to the first given). The choice comes with the parts of the situation that decided it,
so that the incident can say "night + Instagram origin + crisis -> Night crisis".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

WEIGHTS = {"origin": 8, "timing": 4, "platform": 2, "level": 1}
TIMING_WORDS = {
    "office": "office hours",
    "night": "night",
    "weekend": "weekend",
    "holiday": "holiday",
}
ORIGIN_WORDS = {
    "own_post": "a wrong post of the brand's own",
    "failure": "a product or service failure",
    "leak": "a leak",
    "outside_event": "an outside event",
}


@dataclass(frozen=True)
class Situation:
    level: str
    timing: str
    platform: str = ""
    origin: str = ""  # as a person said it; "" while nobody has


@dataclass(frozen=True)
class Candidate:
    key: int
    name: str
    origin: str = ""
    level: str = ""
    timing: str = ""
    platform: str = ""


@dataclass(frozen=True)
class Choice:
    candidate: Candidate | None
    # The situation's parts that the chosen playbook asked for: ("timing", "night"), ...
    matched: tuple[tuple[str, str], ...]

    def explanation(self, platform_names: dict[str, str] | None = None) -> str:
        """ "night + Instagram origin + crisis -> Night crisis" (English; pages translate the
        parts themselves from `matched`)."""
        if self.candidate is None:
            return "No playbook fits this situation."
        names = platform_names or {}
        words = []
        for part, value in self.matched:
            if part == "timing":
                words.append(TIMING_WORDS.get(value, value))
            elif part == "platform":
                words.append(f"{names.get(value, value)} origin")
            elif part == "origin":
                words.append(ORIGIN_WORDS.get(value, value))
            else:
                words.append(value)
        reason = " + ".join(words) if words else "any situation"
        return f"{reason} -> {self.candidate.name}"


def timing_of(
    moment: datetime, *, office_start: time, office_end: time, holidays: Iterable[date] = ()
) -> str:
    """The timing of a moment on the brand's wall clock (`moment` already in its zone): a
    holiday, else the weekend, else office hours or the night."""
    if moment.date() in set(holidays):
        return "holiday"
    if moment.weekday() >= 5:
        return "weekend"
    clock = moment.time().replace(tzinfo=None)
    if office_start <= clock < office_end:
        return "office"
    return "night"


def utc_offset(moment: datetime) -> str:
    """The offset from UTC of a moment on the brand's clock, as people read it: "+01:00"."""
    offset = moment.strftime("%z") or "+0000"
    return f"{offset[:3]}:{offset[3:]}"


def _fits(candidate: Candidate, situation: Situation) -> bool:
    for part in WEIGHTS:
        wanted = getattr(candidate, part)
        if wanted and wanted != getattr(situation, part):
            return False
    return True


def choose(situation: Situation, candidates: Sequence[Candidate]) -> Choice:
    """The most specific playbook that fits the situation (see the module's docstring)."""
    best: Candidate | None = None
    best_score = -1
    for candidate in candidates:
        if not _fits(candidate, situation):
            continue
        score = sum(weight for part, weight in WEIGHTS.items() if getattr(candidate, part))
        if score > best_score:
            best, best_score = candidate, score
    if best is None:
        return Choice(None, ())
    order = ("timing", "platform", "origin", "level")
    matched = tuple((part, getattr(best, part)) for part in order if getattr(best, part))
    return Choice(best, matched)
