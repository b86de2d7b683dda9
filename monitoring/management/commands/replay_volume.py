"""Replay a mention-volume series through the production volume detector.

python manage.py replay_volume series.csv [--bin-seconds 300] > readings.csv

Reads `timestamp,value` rows (NAB's `2015-02-26 21:42:53`, naive = UTC, or ISO 8601; `-` reads
standard input) and writes `timestamp,value,score,alert` as each row is read: each output row
depends only on that row and the ones before it, as in production, where a worker feeds the
detector each bin as it closes. Needs no database. A bad row stops the replay with its line
number and the reason, and a non-zero exit.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser

from monitoring.analysis.waves import VolumeDetector
from monitoring.analysis.waves_csv import RowError, read_rows, replay

FLUSH_EVERY = 500


class Command(BaseCommand):
    help = "Replay a timestamp,value CSV through the volume detector; writes score and alert."
    requires_system_checks: list[str] = []  # pure computation: no database, no checks

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSV with a timestamp,value header; - for stdin.")
        parser.add_argument(
            "--bin-seconds", type=int, default=300, help="Bin width of the series (300)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        name: str = options["file"]
        try:
            detector = VolumeDetector(bin_seconds=options["bin_seconds"])
        except ValueError as exc:
            raise CommandError(f"--bin-seconds: {exc}") from exc
        if name == "-":
            self._replay(sys.stdin, "<stdin>", detector)
            return
        path = Path(name)
        if not path.is_file():
            raise CommandError(f"No file at {path}.")
        with path.open(newline="", encoding="utf-8-sig") as handle:
            self._replay(handle, str(path), detector)

    def _replay(self, handle: TextIO, name: str, detector: VolumeDetector) -> None:
        out = self.stdout
        # The input's own timestamp and value text, so the output joins back on it.
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(("timestamp", "value", "score", "alert"))
        try:
            for count, (row, reading) in enumerate(replay(read_rows(handle), detector), 1):
                writer.writerow(
                    (row.timestamp_text, row.value_text, f"{reading.score:.4f}", int(reading.alert))
                )
                if count % FLUSH_EVERY == 0:
                    out.flush()
        except RowError as exc:
            out.flush()
            raise CommandError(f"{name}, line {exc.line}: {exc.reason}") from exc
        except UnicodeDecodeError as exc:
            out.flush()
            raise CommandError(f"{name}: not UTF-8 text ({exc.reason})") from exc
        out.flush()
