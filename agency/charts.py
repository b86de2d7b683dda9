"""Charts drawn on the server as SVG geometry (no Django here): the same drawing serves a page
and, later, a PDF report, and the page loads no chart script. A template draws what `lines`
returns: one polyline per series, the axis ticks and the marked spans; the template words the
summary for screen readers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# Colour per series, distinguishable and at least 3:1 against white (WCAG non-text contrast).
PALETTE = ("#1f5fbf", "#b3261e", "#2e7d32", "#8a5300", "#6a1b9a", "#00695c", "#37474f")


@dataclass(frozen=True)
class Line:
    name: str
    colour: str
    points: str  # "x,y x,y ..." for <polyline points>
    total: int
    peak: int


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class Band:
    """A span of the x axis marked behind the lines: a wave, from its start to its end."""

    x: float
    width: float
    label: str
    level: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    bottom: int
    top_value: int
    lines: list[Line]
    ticks: list[Tick]
    bands: tuple[Band, ...] = ()
    font: int = 11

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.lines)


def _nice_top(value: int) -> int:
    """The axis top: the smallest of 1, 2, 5 x 10^k at or above `value`."""
    magnitude = 1
    while True:
        for step in (1, 2, 5):
            if step * magnitude >= value:
                return step * magnitude
        magnitude *= 10


def lines(
    labels: list[str],
    series: dict[str, list[int]],
    *,
    width: int = 640,
    height: int = 200,
    ticks: int = 6,
    bands: Sequence[tuple[float, float, str, str]] = (),
    font: int = 11,
) -> Chart:
    """Line geometry for counts over the same bins (`labels` name the bins). `bands` are spans
    (first bin, last bin, label, level) to mark behind the lines, in bins (fractions allowed,
    clipped to the chart)."""
    left, bottom, top = 36, 22, 8
    plot_w, plot_h = width - left - 8, height - bottom - top
    peak = max((max(values, default=0) for values in series.values()), default=0)
    top_value = _nice_top(max(peak, 1))
    count = max(len(labels), 1)
    step = plot_w / max(count - 1, 1)

    def y(value: int) -> float:
        return round(top + plot_h * (1 - value / top_value), 1)

    drawn = [
        Line(
            name=name,
            colour=PALETTE[n % len(PALETTE)],
            points=" ".join(f"{round(left + i * step, 1)},{y(v)}" for i, v in enumerate(values)),
            total=sum(values),
            peak=max(values, default=0),
        )
        for n, (name, values) in enumerate(sorted(series.items(), key=lambda kv: -sum(kv[1])))
    ]
    every = max(1, round(count / ticks))
    marks = [Tick(round(left + i * step, 1), labels[i]) for i in range(0, len(labels), every)]
    last = count - 1
    spans = tuple(
        Band(
            x=round(left + max(0.0, first) * step, 1),
            width=round(max(step / 4, (min(float(last), end) - max(0.0, first)) * step), 1),
            label=label,
            level=level,
        )
        for first, end, label, level in bands
        if end >= 0 and first <= last
    )
    return Chart(width, height, left, bottom, top_value, drawn, marks, spans, font)


@dataclass(frozen=True)
class Segment:
    name: str
    colour: str
    x: float
    width: float
    count: int
    percent: int


def shares(parts: list[tuple[str, int, str]], *, width: int = 640) -> list[Segment]:
    """A bar split in proportion to (name, count, colour) parts, for one <svg> row."""
    shown = [(name, count, colour) for name, count, colour in parts if count]
    total = sum(count for _, count, _ in shown)
    # Whole percents that add up to 100: the largest remainders get the points rounding lost.
    exact = [100 * count / total for _, count, _ in shown]
    percents = [int(p) for p in exact]
    for i in sorted(range(len(shown)), key=lambda i: percents[i] - exact[i])[: 100 - sum(percents)]:
        percents[i] += 1
    segments: list[Segment] = []
    x = 0.0
    for (name, count, colour), percent in zip(shown, percents, strict=True):
        w = width * count / total
        segments.append(Segment(name, colour, round(x, 1), round(w, 1), count, percent))
        x += w
    return segments
