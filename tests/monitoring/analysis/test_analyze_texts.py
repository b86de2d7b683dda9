"""`manage.py analyze_texts`: JSON lines in, one analysis per line out. No database."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command


def run(lines: list[str], **options: object) -> tuple[list[dict], CommandError | None]:
    out = StringIO()
    error = None
    try:
        call_command(
            "analyze_texts", stdin=StringIO("\n".join(lines) + "\n"), stdout=out, **options
        )
    except CommandError as exc:
        error = exc
    return [json.loads(line) for line in out.getvalue().splitlines()], error


def test_one_line_out_per_line_in_in_order():
    records, error = run(
        [
            json.dumps({"id": 7, "text": "my flight is delayed 3 hours"}),
            json.dumps({"text": "Tack för hjälpen, ni är bäst!", "lang": "sv"}),
            json.dumps({"id": "x9", "text": "Het pakket is vandaag bezorgd.", "lang": "nl-NL"}),
        ]
    )
    assert error is None
    assert records == [
        {
            "id": 7,
            "lang": "en",
            "sentiment": "neg",
            "score": records[0]["score"],
            "emotional": False,
            "emotion": 0.0,
            "complaint": True,
        },
        {
            "lang": "sv",
            "sentiment": "pos",
            "score": records[1]["score"],
            "emotional": records[1]["emotional"],
            "emotion": records[1]["emotion"],
            "complaint": False,
        },
        {
            "id": "x9",
            "lang": "nl",
            "sentiment": "neu",
            "score": 0.0,
            "emotional": False,
            "emotion": 0.0,
            "complaint": False,
        },
    ]
    assert records[0]["score"] < 0 < records[1]["score"]


def test_bad_lines_are_reported_in_place_and_the_rest_goes_on():
    records, error = run(
        [
            "{not json",
            json.dumps(["a list"]),
            json.dumps({"lang": "en"}),
            json.dumps({"text": "fine", "lang": 3}),
            "",
            json.dumps({"text": "I love it"}),
        ],
        batch=2,
    )
    assert [r.get("line") for r in records] == [1, 2, 3, 4, None]
    assert records[0]["error"].startswith("not JSON")
    assert "object" in records[1]["error"]
    assert '"text"' in records[2]["error"]
    assert '"lang"' in records[3]["error"]
    assert records[4]["sentiment"] == "pos"
    assert error is not None
    assert "4 of 5 lines" in str(error)


def test_streams_in_batches():
    lines = [json.dumps({"id": n, "text": "great" if n % 2 else "awful"}) for n in range(25)]
    records, error = run(lines, batch=4)
    assert error is None
    assert [r["id"] for r in records] == list(range(25))
    assert [r["sentiment"] for r in records[:2]] == ["neg", "pos"]


def test_batch_must_be_positive():
    with pytest.raises(CommandError):
        call_command("analyze_texts", stdin=StringIO(""), stdout=StringIO(), batch=0)
