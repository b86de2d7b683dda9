"""Benchmark: the volume detector on NAB's realTweets series, scored with NAB's method.

    .venv/bin/python bench/nab.py [--data DIR] [--sweep]

Runs the code path of `manage.py replay_volume` (`replay_rows`, with production's default
settings) over the five labelled Twitter series in shared/data/nab-realtweets and scores the
`alert` column exactly as emitted: production opens an alert per wave, it does not sweep a
threshold. `--sweep` also reports, clearly labelled, the best single threshold over the `score`
column for the corpus, as NAB itself would choose it. No database.

NAB's scoring (Lavin & Ahmad 2015; numenta/NAB `nab/sweeper.py`), reimplemented here:
- the first min(floor(15 % of rows), 750) rows are probation: their detections are ignored, and
  a window with no row after probation does not count;
- in a window, only the earliest detection counts, scored by its position:
  sigma(-(right - i + 1) / width) / sigma(-1) * tp_weight, with the scaled sigmoid
  sigma(x) = 2 / (1 + exp(5x)) - 1, so the first row of a window scores tp_weight;
- a window with no detection costs fn_weight;
- a detection outside every window costs fp_weight * sigma((i - right) / (width - 1)) of the
  closest window before it (almost nothing just after a window, fp_weight far from one), or
  fp_weight when no window precedes it;
- normalised score = 100 * (raw - null) / (perfect - null), null = -fn_weight per window (detects
  nothing), perfect = +tp_weight per window; the corpus score sums raw, null and perfect over
  the files.

Last line: key=value.
"""

from __future__ import annotations

import argparse
import bisect
import json
import math
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATA = ROOT.parent / "shared" / "data" / "nab-realtweets"
PROBATION_PERCENT = 0.15
PROBATION_CAP = 750  # NAB: 15 % of 5,000 rows
PROFILES = {
    "standard": {"tp": 1.0, "fp": 0.11, "fn": 1.0},
    "reward_low_FP_rate": {"tp": 1.0, "fp": 0.22, "fn": 1.0},
    "reward_low_FN_rate": {"tp": 1.0, "fp": 0.11, "fn": 2.0},
}
# Standard-profile scores of published detectors on these five files (shared/data/README.md).
REFERENCE = {
    "ARTime": 83.8,
    "earthgecko Skyline": 77.8,
    "CAD OSE": 76.0,
    "KNN CAD": 68.6,
    "Numenta HTM": 66.1,
    "null": 0.0,
}


def scaled_sigmoid(position: float) -> float:
    """NAB's weight of a detection at a position relative to a window's right edge: +1 well
    before it (-1 is the window's left edge, about 0.987), 0 at it, -1 from 3 widths after."""
    if position >= 3.0:
        return -1.0
    return 2.0 / (1.0 + math.exp(5.0 * position)) - 1.0


@dataclass(frozen=True)
class FileScore:
    raw: float
    null: float
    perfect: float
    windows: int
    detected: int
    false_positives: int

    @property
    def normalised(self) -> float:
        return 100.0 * (self.raw - self.null) / (self.perfect - self.null)


def probation_rows(rows: int) -> int:
    return min(math.floor(PROBATION_PERCENT * rows), PROBATION_CAP)


def window_indices(
    timestamps: Sequence[datetime], windows: Iterable[tuple[datetime, datetime]]
) -> list[tuple[int, int]]:
    """Each window as the first and last row index inside it (both inclusive)."""
    spans = []
    for start, end in windows:
        left = bisect.bisect_left(timestamps, start)
        right = bisect.bisect_right(timestamps, end) - 1
        if left <= right:
            spans.append((left, right))
    return sorted(spans)


def score_detections(
    detections: Sequence[bool], spans: Sequence[tuple[int, int]], profile: dict[str, float]
) -> FileScore:
    """NAB's score of one file's detections, windows given as row spans."""
    probation = probation_rows(len(detections))
    # A window wholly inside probation is not scored, but still counts as "the window before"
    # a later false positive, as in NAB's sweeper.
    scored = {k for k, (_, right) in enumerate(spans) if right >= probation}
    rights = [right for _, right in spans]
    max_tp = scaled_sigmoid(-1.0)
    best: dict[int, float] = {}
    fp_total = 0.0
    false_positives = 0
    for i in range(probation, len(detections)):
        if not detections[i]:
            continue
        k = bisect.bisect_left(rights, i)  # the first window whose right edge is >= i
        if k < len(spans) and spans[k][0] <= i:
            left, right = spans[k]
            width = right - left + 1
            if k not in best:  # rows come in order: the first detection is the earliest
                best[k] = scaled_sigmoid(-(right - i + 1) / width) / max_tp * profile["tp"]
            continue
        false_positives += 1
        if k == 0:
            fp_total -= profile["fp"]
        else:
            left, right = spans[k - 1]
            width = right - left + 1
            position = (i - right) / (width - 1) if width > 1 else 3.0
            fp_total += scaled_sigmoid(position) * profile["fp"]
    missed = len(scored) - len(best)
    raw = sum(best.values()) + fp_total - missed * profile["fn"]
    return FileScore(
        raw=raw,
        null=-profile["fn"] * len(scored),
        perfect=profile["tp"] * len(scored),
        windows=len(scored),
        detected=len(best),
        false_positives=false_positives,
    )


def corpus_normalised(scores: Iterable[FileScore]) -> float:
    """NAB's corpus score: raw, null and perfect summed over the files, then normalised."""
    items = list(scores)
    raw = sum(s.raw for s in items)
    null = sum(s.null for s in items)
    perfect = sum(s.perfect for s in items)
    return 100.0 * (raw - null) / (perfect - null)


def best_threshold(
    files: Sequence[tuple[Sequence[float], Sequence[tuple[int, int]]]], profile: dict[str, float]
) -> tuple[float, float]:
    """The single threshold over `score` that NAB's optimiser would pick for the corpus, and the
    corpus score it gives: detections are rows with score >= threshold."""
    candidates = sorted({round(v, 4) for scores, _ in files for v in scores if v > 0}, reverse=True)
    # Coarsen: the sweep only needs a few hundred levels to find the optimum's neighbourhood.
    step = max(1, len(candidates) // 400)
    best = (-math.inf, 1.0)
    for threshold in candidates[::step]:
        total = corpus_normalised(
            score_detections([v >= threshold for v in scores], spans, profile)
            for scores, spans in files
        )
        if total > best[0]:
            best = (total, threshold)
    return best[1], best[0]


def parse_nab_time(text: str) -> datetime:
    return datetime.fromisoformat(text.strip())


def run_file(path: Path, **params: Any) -> tuple[list[datetime], list[bool], list[float], float]:
    """replay_volume's code path over one file: timestamps, alerts, scores, seconds taken."""
    from monitoring.analysis.waves import VolumeDetector
    from monitoring.analysis.waves_csv import read_rows, replay

    with path.open(newline="") as handle:
        rows = list(read_rows(handle))
    detector = VolumeDetector(**params)
    start = time.perf_counter()
    readings = [reading for _, reading in replay(rows, detector)]
    elapsed = time.perf_counter() - start
    return (
        [row.timestamp.replace(tzinfo=None) for row in rows],
        [r.alert for r in readings],
        [r.score for r in readings],
        elapsed,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--sweep", action="store_true", help="also sweep a threshold on score")
    args = parser.parse_args()
    windows = json.loads((args.data / "windows.json").read_text())

    results: dict[str, dict[str, FileScore]] = {name: {} for name in PROFILES}
    sweep_inputs = []
    total_rows = 0
    total_seconds = 0.0
    names = sorted(p.name for p in args.data.glob("*.csv"))
    for name in names:
        timestamps, alerts, scores, seconds = run_file(args.data / name)
        total_rows += len(timestamps)
        total_seconds += seconds
        limits = [(parse_nab_time(a), parse_nab_time(b)) for a, b in windows[f"realTweets/{name}"]]
        spans = window_indices(timestamps, limits)
        sweep_inputs.append((scores, spans))
        for profile_name, profile in PROFILES.items():
            results[profile_name][name] = score_detections(alerts, spans, profile)

    overall = {p: corpus_normalised(results[p].values()) for p in PROFILES}
    std = results["standard"]
    lines = [
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; `bin/bench nab`. The alert "
        "column of `manage.py replay_volume` (the production detector, streaming, one alert per "
        "wave) on NAB's realTweets files in ../shared/data/nab-realtweets, scored with NAB's "
        "method (bench/nab.py). Target: standard > 75.",
        "",
        "| file | windows | detected | false alerts | standard | low FP | low FN |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in names:
        s = std[name]
        lines.append(
            f"| {name.removeprefix('Twitter_volume_').removesuffix('.csv')} | {s.windows} "
            f"| {s.detected} | {s.false_positives} | {s.normalised:.1f} "
            f"| {results['reward_low_FP_rate'][name].normalised:.1f} "
            f"| {results['reward_low_FN_rate'][name].normalised:.1f} |"
        )
    lines += [
        f"| **overall (alert column)** | {sum(s.windows for s in std.values())} "
        f"| {sum(s.detected for s in std.values())} "
        f"| {sum(s.false_positives for s in std.values())} | **{overall['standard']:.1f}** "
        f"| {overall['reward_low_FP_rate']:.1f} | {overall['reward_low_FN_rate']:.1f} |",
        "",
        "| published detector (NAB per-file results, these five files) | standard |",
        "|---|---|",
        *(f"| {label} | {value:.1f} |" for label, value in REFERENCE.items()),
    ]
    if args.sweep:
        threshold, swept = best_threshold(sweep_inputs, PROFILES["standard"])
        lines += [
            "",
            f"For comparison only, not what production does: NAB's optimiser, choosing one "
            f"threshold on `score` over these files, with every row over it a detection (no "
            f"one-alert-per-wave), picks {threshold:.3f} for a standard score of {swept:.1f}.",
        ]
    rate = total_rows / total_seconds
    lines += ["", f"Detector speed: {rate:,.0f} updates/s (pure Python, one core)."]
    body = "\n".join(lines)
    from common import update_results  # bench/ is on the path when run as a script

    update_results("Volume detector on NAB realTweets", body)
    print(body)
    print()
    print(
        f"nab_standard={overall['standard']:.1f} nab_low_fp={overall['reward_low_FP_rate']:.1f} "
        f"nab_low_fn={overall['reward_low_FN_rate']:.1f} updates_per_s={rate:.0f}"
    )


if __name__ == "__main__":
    main()
