"""Language, sentiment and tone of texts, as JSON lines in and out.

python manage.py analyze_texts < mentions.jsonl > analysed.jsonl

Each input line is an object `{"text": "...", "lang": "sv"}`; `lang` (the platform's tag) is
optional and trusted when given, and an `id` of any JSON type is copied to the output so the
lines can be joined back. Each output line is
`{"id": ..., "lang": "sv", "sentiment": "neg", "score": -0.46, "emotional": false,
"emotion": 0.0, "complaint": true}`, in input order. Blank lines are skipped.

Streams: reads and writes --batch lines at a time and flushes after each batch, so a large
input needs no memory beyond a batch and a consumer sees results as they come. A malformed line
gets `{"line": N, "error": "..."}` in its place and the rest goes on; the command then exits
non-zero, naming how many lines were bad, so a pipeline notices. Needs no database.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from itertools import islice
from typing import Any, TextIO

import orjson
from django.core.management.base import BaseCommand, CommandError, CommandParser

from monitoring.analysis.text import texts_analyze

BATCH = 1_000


class _BadLine(ValueError):
    pass


def _parse(line: str) -> tuple[Any, str, str | None]:
    """(id, text, lang) of one input line; raises _BadLine naming what is wrong."""
    try:
        item = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise _BadLine(f"not JSON: {exc}") from None
    if not isinstance(item, dict):
        raise _BadLine(f"expected an object, got {type(item).__name__}")
    text = item.get("text")
    if not isinstance(text, str):
        raise _BadLine('"text" is missing or not a string')
    lang = item.get("lang")
    if lang is not None and not isinstance(lang, str):
        raise _BadLine('"lang" is not a string')
    return item.get("id"), text, lang


class Command(BaseCommand):
    help = "Read JSON lines {text, lang?, id?} on stdin; write lang, sentiment, score, tone."
    requires_system_checks: list[str] = []  # pure computation: no database, no checks
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch", type=int, default=BATCH, help=f"Lines per batch and flush ({BATCH})."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch"] < 1:
            raise CommandError("--batch must be at least 1.")
        stdin: TextIO = options.get("stdin") or sys.stdin
        lines = self._numbered(stdin)
        total = bad = 0
        while batch := list(islice(lines, options["batch"])):
            total += len(batch)
            bad += self._write_batch(batch)
        if bad:
            raise CommandError(f"{bad} of {total} lines were malformed; see their error lines.")

    @staticmethod
    def _numbered(stdin: TextIO) -> Iterator[tuple[int, str]]:
        for number, line in enumerate(stdin, 1):
            if line.strip():
                yield number, line

    def _write_batch(self, batch: list[tuple[int, str]]) -> int:
        """Analyse and write one batch in input order; returns the number of bad lines."""
        parsed: list[tuple[Any, str, str | None] | str] = []
        for number, line in batch:
            try:
                parsed.append(_parse(line))
            except _BadLine as exc:
                parsed.append(orjson.dumps({"line": number, "error": str(exc)}).decode())
        good = [p for p in parsed if not isinstance(p, str)]
        results = iter(texts_analyze([p[1] for p in good], [p[2] for p in good]))
        out: list[str] = []
        for item in parsed:
            if isinstance(item, str):
                out.append(item)
                continue
            result = next(results)
            record = {
                "lang": result.lang,
                "sentiment": result.sentiment,
                "score": result.score,
                "emotional": result.emotional,
                "emotion": result.emotion,
                "complaint": result.complaint,
            }
            if item[0] is not None:
                record = {"id": item[0], **record}
            out.append(orjson.dumps(record).decode())
        self.stdout.write("\n".join(out))
        self.stdout.flush()
        return len(parsed) - len(good)
