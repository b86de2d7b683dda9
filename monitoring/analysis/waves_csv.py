"""Replaying a `timestamp,value` CSV through the volume detector, row by row (no Django).

The code path of `manage.py replay_volume` and of the NAB bench: rows are read lazily and each
output row is produced before the next input row is read, so the replay is as streaming as
production. A bad row raises `RowError` naming its line.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from monitoring.analysis.waves import Reading, VolumeDetector


class RowError(ValueError):
    """A row that cannot be replayed; `line` is its 1-based line in the file."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Row:
    line: int
    timestamp_text: str
    value_text: str
    timestamp: datetime
    value: float


def parse_timestamp(text: str) -> datetime:
    """NAB's `2015-02-26 21:42:53` or ISO 8601 (`T`, fractions, `Z` or an offset); naive is UTC.
    The result is aware and in UTC."""
    stamp = text.strip()
    if stamp.endswith(("Z", "z")):
        stamp = stamp[:-1] + "+00:00"
    parsed = datetime.fromisoformat(stamp)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def read_rows(lines: Iterable[str]) -> Iterator[Row]:
    """Rows of a CSV with a `timestamp,value` header (other columns are ignored)."""
    reader = csv.reader(lines)
    try:
        header = [name.strip().lstrip("\ufeff").lower() for name in next(reader)]
    except StopIteration:
        raise RowError(1, "the file is empty; expected a header `timestamp,value`") from None
    except csv.Error as exc:
        raise RowError(1, f"not CSV: {exc}") from None
    missing = [name for name in ("timestamp", "value") if name not in header]
    if missing:
        raise RowError(1, f"the header has no {' or '.join(missing)} column: {','.join(header)}")
    at, av = header.index("timestamp"), header.index("value")
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise RowError(reader.line_num, f"not CSV: {exc}") from None
        line = reader.line_num
        if not fields or all(not f.strip() for f in fields):
            continue
        if len(fields) <= max(at, av):
            raise RowError(line, f"expected {len(header)} columns, found {len(fields)}")
        ts_text, value_text = fields[at].strip(), fields[av].strip()
        try:
            timestamp = parse_timestamp(ts_text)
        except ValueError:
            raise RowError(line, f"timestamp {ts_text!r} is not ISO 8601") from None
        try:
            value = float(value_text)
        except ValueError:
            raise RowError(line, f"value {value_text!r} is not a number") from None
        if not math.isfinite(value) or value < 0:
            raise RowError(line, f"value {value_text!r} is not a count (finite, >= 0)")
        yield Row(line, ts_text, value_text, timestamp, value)


def replay(rows: Iterable[Row], detector: VolumeDetector) -> Iterator[tuple[Row, Reading]]:
    """Each row with the detector's reading of it, one at a time."""
    for row in rows:
        try:
            reading = detector.update(row.timestamp, row.value)
        except ValueError as exc:
            raise RowError(row.line, str(exc)) from None
        yield row, reading
