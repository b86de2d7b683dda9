"""Benchmark: the volume detector's settings chosen out of sample, leave-one-series-out.

    .venv/bin/python bench/nab_loso.py [--data DIR] [--jobs N]

For each labelled series in shared/data/nab-realtweets, the settings of a grid around the
production defaults are ranked on the *other* series alone, among those whose false-alert rate
on the synthetic brands (bench/synthetic_brands.py) stays within
`MAX_SYNTHETIC_FALSE_PER_MONTH`; the held-out series is then scored with the settings its
fold chose. The rank is `robustness`: the worst of the training series' NAB standard scores,
then their mean. A desk serves every brand: settings that shine on four series and fail the
fifth are worse than settings that do well on all, and the corpus score alone (which sums raw
scores, so that series with more windows weigh more) picks the former; it is reported
beside, as "corpus-ranked". The out-of-sample corpus score sums the held-out
results: no series is scored with settings that saw it. Printed beside it: the production
defaults' in-sample score, the per-series spread, which settings each fold chose, and the
synthetic brands' false alerts and misses per brand-month under the defaults.

Last line: key=value.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from nab import (  # noqa: E402
    DATA,
    PROFILES,
    FileScore,
    corpus_normalised,
    parse_nab_time,
    run_file,
    score_detections,
    window_indices,
)
from synthetic_brands import BRANDS, replay_brand  # noqa: E402

# The grid: each knob a few steps either side of its production default. (How long a wave
# may last and how much it must grow to alert again moved no score in an earlier, wider grid.)
GRID: dict[str, Sequence[Any]] = {
    "alert_z": (4.0, 4.5, 5.0, 6.0),
    "return_days": (7.0, 14.0, 28.0, 56.0),
    "min_ratio": (1.5, 2.0, 3.0),
    "calm_hours": (6.0, 12.0),
    "confirm_fraction": (0.0, 0.5),
}
# A brand's on-call person is woken for nothing at most this often by noise alone.
MAX_SYNTHETIC_FALSE_PER_MONTH = 2.0


def configs() -> list[dict[str, Any]]:
    keys = list(GRID)
    return [dict(zip(keys, values, strict=True)) for values in itertools.product(*GRID.values())]


def robustness(scores: Sequence[FileScore]) -> tuple[float, float]:
    """How well settings serve every brand: the worst normalised score, then the mean."""
    values = [s.normalised for s in scores]
    return min(values), statistics.mean(values)


def _evaluate(job: tuple[dict[str, Any], Path]) -> tuple[dict[str, FileScore], float]:
    """One setting: its standard score on every series, and its synthetic false alerts."""
    params, data = job
    windows = json.loads((data / "windows.json").read_text())
    scores: dict[str, FileScore] = {}
    for path in sorted(data.glob("*.csv")):
        timestamps, alerts, _, _ = run_file(path, **params)
        limits = [
            (parse_nab_time(a), parse_nab_time(b)) for a, b in windows[f"realTweets/{path.name}"]
        ]
        spans = window_indices(timestamps, limits)
        scores[path.stem.removeprefix("Twitter_volume_")] = score_detections(
            alerts, spans, PROFILES["standard"]
        )
    synthetic = [replay_brand(brand, **params) for brand in BRANDS]
    months = sum(r.months for r in synthetic)
    return scores, sum(r.false_alerts for r in synthetic) / months


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    grid = configs()
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(_evaluate, [(c, args.data) for c in grid], chunksize=4))
    seconds = time.perf_counter() - started
    names = sorted(results[0][0])
    defaults = next(i for i, c in enumerate(grid) if all(c[k] == _default(k) for k in c))

    allowed = [
        i for i, (_, false) in enumerate(results) if false <= MAX_SYNTHETIC_FALSE_PER_MONTH
    ] or list(range(len(results)))
    held_out: dict[str, FileScore] = {}
    by_corpus: dict[str, FileScore] = {}
    chosen: dict[str, dict[str, Any]] = {}
    for name in names:

        def training(i: int, held: str = name) -> list[FileScore]:
            return [s for n, s in results[i][0].items() if n != held]

        best = max(allowed, key=lambda i: (robustness(training(i)), i == defaults))
        held_out[name] = results[best][0][name]
        chosen[name] = grid[best]
        best = max(allowed, key=lambda i: (corpus_normalised(training(i)), i == defaults))
        by_corpus[name] = results[best][0][name]
    everything = max(
        allowed, key=lambda i: (robustness(list(results[i][0].values())), i == defaults)
    )

    loso = corpus_normalised(held_out.values())
    per_series = [held_out[n].normalised for n in names]
    default_scores = results[defaults][0]
    in_sample = corpus_normalised(default_scores.values())
    synthetic = [replay_brand(brand) for brand in BRANDS]

    lines = [
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; `bin/bench nab_loso`. "
        f"{len(grid)} settings around the defaults (bench/nab_loso.py GRID), each fold ranking "
        f"them on the other four series, among those with at most "
        f"{MAX_SYNTHETIC_FALSE_PER_MONTH:g} false alerts per synthetic brand-month; "
        f"{seconds:.0f} s on {args.jobs} processes.",
        "",
        "| held-out series | windows | detected | false alerts | out of sample "
        "| defaults (in sample) | settings its fold chose |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in names:
        s = held_out[name]
        differs = {k: v for k, v in chosen[name].items() if v != _default(k)}
        lines.append(
            f"| {name} | {s.windows} | {s.detected} | {s.false_positives} | {s.normalised:.1f} "
            f"| {default_scores[name].normalised:.1f} "
            f"| {', '.join(f'{k}={v:g}' for k, v in differs.items()) or 'the defaults'} |"
        )
    lines += [
        f"| **corpus** | {sum(s.windows for s in held_out.values())} "
        f"| {sum(s.detected for s in held_out.values())} "
        f"| {sum(s.false_positives for s in held_out.values())} | **{loso:.1f}** "
        f"| {in_sample:.1f} | |",
        "",
        f"Corpus-ranked instead (each fold's settings by the NAB corpus score of the other "
        f"four): {corpus_normalised(by_corpus.values()):.1f} out of sample ("
        + ", ".join(f"{n} {by_corpus[n].normalised:.1f}" for n in names)
        + "). Ranked on all five series alike, the grid's best settings are "
        + (
            "the production defaults."
            if everything == defaults
            else ", ".join(f"{k}={v:g}" for k, v in grid[everything].items() if v != _default(k))
            + f" (in sample {corpus_normalised(results[everything][0].values()):.1f})."
        ),
        "",
        f"Per-series out-of-sample spread: min {min(per_series):.1f}, median "
        f"{statistics.median(per_series):.1f}, max {max(per_series):.1f}. Reference (NAB's "
        "published results on the five held-out realTweets series the project does not have): "
        "ARTime 80.0, CAD OSE 73.0, Numenta HTM 69.8, rolling z-score 54.7.",
        "",
        "Synthetic brands under the defaults (bench/synthetic_brands.py: a month or more each, "
        "waves injected where named):",
        "",
        "| brand | months | false alerts / month | waves | detected | median delay (min) |",
        "|---|---|---|---|---|---|",
    ]
    for brand, r in zip(BRANDS, synthetic, strict=True):
        delay = f"{statistics.median(r.delays_minutes):.0f}" if r.delays_minutes else "-"
        lines.append(
            f"| {brand.name} | {r.months:.1f} | {r.false_alerts / r.months:.2f} | {r.waves} "
            f"| {r.detected} | {delay} |"
        )
    months = sum(r.months for r in synthetic)
    false_rate = sum(r.false_alerts for r in synthetic) / months
    waves = sum(r.waves for r in synthetic)
    detected = sum(r.detected for r in synthetic)
    body = "\n".join(lines)
    from common import update_results

    update_results("Volume detector, leave-one-series-out", body)
    print(body)
    print()
    print(
        f"nab_loso={loso:.1f} nab_in_sample={in_sample:.1f} loso_min={min(per_series):.1f} "
        f"loso_max={max(per_series):.1f} synthetic_false_per_month={false_rate:.2f} "
        f"synthetic_detected={detected}/{waves}"
    )


def _default(key: str) -> Any:
    from monitoring.analysis.waves import WaveParams

    return getattr(WaveParams(), key)


if __name__ == "__main__":
    main()
