"""`manage.py replay_volume` (the evaluation's entry point) and bench/nab.py's NAB scorer.

Pure computation: no database.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType

import pytest
from django.core.management import CommandError, call_command

ROOT = Path(__file__).resolve().parents[3]
START = datetime(2015, 2, 26, 21, 42, 53)


def _series(rows: int, *, spike_at: int | None = None) -> list[tuple[str, int]]:
    """NAB-style rows: a daily cycle of a few dozen mentions per bin, one spike."""
    out = []
    for k in range(rows):
        ts = START + timedelta(minutes=5 * k)
        value = 20 + (k * 7919) % 11 + (10 if 12 <= ts.hour < 20 else 0)
        if k == spike_at:
            value = 900
        out.append((ts.strftime("%Y-%m-%d %H:%M:%S"), value))
    return out


def _write(path: Path, rows: list[tuple[str, int]] | list[tuple[str, str]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("timestamp", "value"))
        writer.writerows(rows)
    return path


def _replay(path: Path) -> list[list[str]]:
    out = io.StringIO()
    call_command("replay_volume", str(path), stdout=out)
    return list(csv.reader(io.StringIO(out.getvalue())))


def test_output_is_timestamp_value_score_alert_per_row(tmp_path):
    rows = _series(4 * 288, spike_at=3 * 288)
    lines = _replay(_write(tmp_path / "series.csv", rows))
    assert lines[0] == ["timestamp", "value", "score", "alert"]
    body = lines[1:]
    assert [(line[0], line[1]) for line in body] == [(ts, str(v)) for ts, v in rows]
    assert all(0.0 <= float(line[2]) <= 1.0 and line[3] in {"0", "1"} for line in body)
    assert [k for k, line in enumerate(body) if line[3] == "1"] == [3 * 288]


def test_each_row_depends_only_on_rows_before_it(tmp_path):
    rows = _series(3 * 288, spike_at=2 * 288 + 10)
    cut = 2 * 288 + 20
    full = _replay(_write(tmp_path / "full.csv", rows))
    head = _replay(_write(tmp_path / "head.csv", rows[:cut]))
    assert head == full[: cut + 1]


def test_iso_timestamps_with_zones_and_gaps_are_accepted(tmp_path):
    rows = [
        ("2026-03-02T10:00:00Z", "3"),
        ("2026-03-02T11:05:00+01:00", "4"),  # 10:05 UTC
        ("2026-03-02T10:20:00.000+00:00", "2.0"),  # after a gap of two bins
    ]
    lines = _replay(_write(tmp_path / "iso.csv", rows))
    assert [line[:2] for line in lines[1:]] == [list(row) for row in rows]


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (("2015-02-26 22:02:53", "many"), "value 'many' is not a number"),
        (("2015-02-26 22:02:53", "-4"), "is not a count"),
        (("yesterday", "4"), "timestamp 'yesterday' is not ISO 8601"),
        (("2015-02-26 21:50:00", "4"), "is not after the previous one"),
    ],
)
def test_a_bad_row_names_its_line_and_stops(tmp_path, row, reason):
    rows = [*_series(5), row, *_series(7)[6:]]
    path = _write(tmp_path / "bad.csv", rows)
    out = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("replay_volume", str(path), stdout=out)
    message = str(caught.value)
    assert "bad.csv, line 7: " in message and reason in message
    assert len(out.getvalue().splitlines()) == 6  # the header and the five good rows


def test_a_missing_header_or_file_is_refused(tmp_path):
    path = tmp_path / "no-header.csv"
    path.write_text("2015-02-26 21:42:53,104\n")
    with pytest.raises(CommandError, match="line 1: the header has no timestamp or value"):
        call_command("replay_volume", str(path), stdout=io.StringIO())
    with pytest.raises(CommandError, match="No file at"):
        call_command("replay_volume", str(tmp_path / "absent.csv"), stdout=io.StringIO())


def test_the_command_exits_non_zero_with_the_reason_on_stderr(tmp_path):
    path = _write(tmp_path / "bad.csv", [("2015-02-26 21:42:53", "1"), ("2015-02-26", "x")])
    done = subprocess.run(
        [sys.executable, "manage.py", "replay_volume", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=60,
    )
    assert done.returncode != 0
    assert "line 3: value 'x' is not a number" in done.stderr
    assert done.stdout.splitlines()[0] == "timestamp,value,score,alert"


# -- bench/nab.py's scorer -------------------------------------------------------------------


@pytest.fixture(scope="module")
def nab() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_nab", ROOT / "bench" / "nab.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


ROWS = 1_000  # probation: the first 150 rows
WINDOWS = [(400, 499), (700, 799)]


def _score(nab: ModuleType, detected: set[int], profile: str = "standard"):  # type: ignore[no-untyped-def]
    detections = [k in detected for k in range(ROWS)]
    return nab.score_detections(detections, WINDOWS, nab.PROFILES[profile])


def test_nab_detection_at_a_windows_start_scores_one(nab):
    score = _score(nab, {400, 700})
    assert score.raw == pytest.approx(2.0)
    assert score.normalised == pytest.approx(100.0)


def test_nab_later_in_the_window_scores_less_and_only_the_earliest_counts(nab):
    middle = _score(nab, {450}).raw + 1.0  # window 2 missed: -1
    assert 0.8 < middle < 0.9  # NAB: about 0.85 half-way
    at_end = _score(nab, {499}).raw + 1.0
    assert 0 < at_end < 0.1
    assert _score(nab, {450, 460, 499}).raw == pytest.approx(_score(nab, {450}).raw)


def test_nab_missed_windows_cost_one_each_and_two_for_low_fn(nab):
    assert _score(nab, set()).raw == pytest.approx(-2.0)
    assert _score(nab, set()).normalised == pytest.approx(0.0)
    assert _score(nab, set(), "reward_low_FN_rate").raw == pytest.approx(-4.0)


def test_nab_false_positive_costs_depend_on_the_window_before(nab):
    base = _score(nab, {400, 700}).raw
    assert _score(nab, {200, 400, 700}).raw - base == pytest.approx(-0.11)
    just_after = _score(nab, {400, 501, 700}).raw - base
    assert -0.01 < just_after < 0
    far_after = _score(nab, {400, 700, 999}).raw - base  # 2 window widths after: almost full
    assert -0.11 <= far_after < -0.10
    assert _score(nab, {200, 400, 700}, "reward_low_FP_rate").raw - base == pytest.approx(-0.22)


def test_nab_probation_is_ignored(nab):
    assert _score(nab, {0, 50, 149, 400, 700}).raw == pytest.approx(2.0)
    assert _score(nab, {150, 400, 700}).raw == pytest.approx(2.0 - 0.11)
    assert nab.probation_rows(1_000) == 150 and nab.probation_rows(15_900) == 750
    # A window wholly inside probation is not scored at all.
    inside = nab.score_detections([False] * ROWS, [(10, 20), *WINDOWS], nab.PROFILES["standard"])
    assert inside.windows == 2 and inside.raw == pytest.approx(-2.0)


def test_nab_corpus_score_sums_raw_scores_before_normalising(nab):
    perfect = _score(nab, {400, 700})
    null = _score(nab, set())
    assert nab.corpus_normalised([perfect, null]) == pytest.approx(50.0)


def test_nab_windows_map_to_rows_by_timestamp(nab):
    stamps = [datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=5 * k) for k in range(100)]
    spans = nab.window_indices(stamps, [(stamps[10], stamps[19]), (stamps[50], stamps[60])])
    assert spans == [(10, 19), (50, 60)]
