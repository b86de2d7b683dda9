"""The invariant of every door, on random input (hypothesis).

Whatever arrives: the answer is a 2xx or a 4xx with the JSON error envelope, never a 5xx; every
valid item is stored exactly once; every invalid item is a dead letter with a reason a person
can read; and the brand stays readable (every stored row can be read back, the API lists and
exports). Valid items are valid by construction and hostile ones invalid by construction, so
the test knows which is which without asking the code under test.
"""

from __future__ import annotations

import csv
import io
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clients import tenancy
from monitoring.models import Author, AuthorReach, DeadLetter, Mention, MentionSearch, Source
from monitoring.payloads import Invalid, Unreadable, read_batch
from monitoring.schemas import PLATFORMS
from monitoring.services.imports import import_job_create, import_job_run
from monitoring.services.ingestion import mentions_ingest
from tests.conftest import api_client
from tests.monitoring import hooks
from tests.monitoring.factories import make_source

pytestmark = pytest.mark.django_db
SECRET = "whsec-props"
APP_SECRET = "meta-props"
HOST = "alpha.agency.localhost"

# Random, and printed so a failure can be reproduced; no example database in a fresh clone.
DOORS = settings(
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# --- Strategies -----------------------------------------------------------------------------------

# Any code point, lone surrogates and NUL included.
any_text = st.text(st.characters(exclude_categories=[]), max_size=40)
plain_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=300)
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()  # unbounded: beyond 64 bits too
    | st.floats(allow_nan=True, allow_infinity=True)
    | any_text
)
hostile_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(any_text, inner, max_size=4),
    max_leaves=12,
)


@st.composite
def valid_mentions(draw: Any) -> dict[str, Any]:
    """A mention every door must take (its external_id is set by the caller)."""
    now = datetime.now(UTC)
    posted = draw(
        st.datetimes(
            min_value=datetime(2000, 1, 2),
            max_value=(now + timedelta(hours=20)).replace(tzinfo=None),
            timezones=st.sampled_from([UTC, timezone.get_fixed_timezone(5 * 60)]),
        )
    )
    item: dict[str, Any] = {"posted_at": posted.isoformat()}
    if draw(st.booleans()):
        item["text"] = draw(plain_text)
    if draw(st.booleans()):
        item["author"] = {
            "handle": draw(st.from_regex(r"[A-Za-z0-9_.]{1,30}", fullmatch=True)),
            "display_name": draw(plain_text.map(lambda t: t[:300])),
            "followers": draw(st.none() | st.integers(0, 10**15)),
        }
    if draw(st.booleans()):
        item["language"] = draw(st.sampled_from(["en", "nl", "sv", "pt-br", ""]))
    if draw(st.booleans()):
        item["platform"] = draw(st.sampled_from(sorted(PLATFORMS)))
    if draw(st.booleans()):
        item["url"] = "https://example.com/p/" + draw(
            st.from_regex(r"[a-z0-9]{1,20}", fullmatch=True)
        )
    for count in ("likes", "shares", "comments", "views"):
        if draw(st.booleans()):
            item[count] = draw(st.integers(0, 10**15))
    if draw(st.booleans()):
        item["thread_id"] = draw(st.from_regex(r"[a-z0-9]{0,30}", fullmatch=True))
    return item


BAD_DATES = st.sampled_from(
    [
        "9999-12-31T23:59:59-14:00",
        "0001-01-01T00:00:00Z",
        "1999-12-31T23:59:59Z",
        "2026-01-01T00:00:00",  # no time zone
        "yesterday",
        "",
        1e11,
        1e20,
        -1,
    ]
) | st.datetimes(min_value=datetime(2100, 1, 1), timezones=st.just(UTC)).map(
    lambda d: d.isoformat()
)


@st.composite
def hostile_items(draw: Any, valid: Any = None) -> Any:
    """An item no door may store: a valid mention spoilt in one way, or not a mention at all."""
    base = draw(valid_mentions()) if valid is None else valid
    spoil = draw(st.integers(0, 8))
    item = dict(base)
    if spoil == 0:
        item["posted_at"] = draw(BAD_DATES)
    elif spoil == 1:  # an id with NUL or a lone surrogate in it, empty, too long, or no string
        item["external_id"] = draw(
            st.sampled_from(["n\x00ul", "s\ud800", "", "x" * 201])
            | st.lists(hostile_values, min_size=1)
            | st.dictionaries(any_text, hostile_values, min_size=1)
        )
    elif spoil == 2:
        item[draw(st.sampled_from(["likes", "shares", "comments", "views"]))] = draw(
            st.integers(max_value=-1)
            | st.integers(min_value=10**15 + 1)
            | st.sampled_from([float("nan"), float("inf"), -float("inf"), "many", [1]])
        )
    elif spoil == 3:
        item["unknown_" + draw(st.from_regex(r"[a-z]{1,8}", fullmatch=True))] = draw(hostile_values)
    elif spoil == 4:
        item["text"] = draw(
            # One lone surrogate between other characters: a high and a low one side by side
            # would be a pair, which JSON reads as one valid character.
            st.tuples(plain_text, st.characters(categories=["Cs"]), plain_text).map(
                lambda parts: f"{parts[0][:10]}x{parts[1]}x{parts[2][:10]}"
            )
            | st.lists(hostile_values, min_size=1)
        )
    elif spoil == 5:
        item["author"] = draw(
            st.sampled_from([{"handle": ""}, {"handle": "\ud800"}, {"handle": "a\x00"}, "bob", 7])
            | st.dictionaries(any_text.filter(lambda k: k != "handle"), hostile_values)
        )
    elif spoil == 6:
        item["url"] = draw(st.sampled_from(["javascript:alert(1)", "ftp://x", "http://", "a\x00"]))
    elif spoil == 7:
        del item["posted_at"]
    else:  # not an object at all
        return draw(json_scalars | st.lists(hostile_values, max_size=3) | st.just(nested(40, "[")))
    return item


def nested(depth: int, kind: str) -> Any:
    value: Any = []
    for _ in range(depth):
        value = [value] if kind == "[" else {"a": value}
    return value


@st.composite
def batches(draw: Any) -> tuple[list[Any], set[str], int]:
    """(items in order, the external ids that must be stored, how many must be dead letters)"""
    valid = draw(st.lists(valid_mentions(), max_size=8))
    hostile = draw(st.lists(hostile_items(), max_size=6))
    tagged: list[tuple[bool, Any]] = [(True, v) for v in valid] + [(False, h) for h in hostile]
    order = draw(st.permutations(range(len(tagged))))
    items, expected = [], set()
    for position, index in enumerate(order):
        is_valid, item = tagged[index]
        if isinstance(item, dict):
            item = dict(item)
            if is_valid or "external_id" not in item:
                item["external_id"] = f"{'v' if is_valid else 'h'}{position}"
        if is_valid:
            expected.add(item["external_id"])
        items.append(item)
    return items, expected, len(hostile)


# Elements of a JSON array as bytes that no JSON reader reads, each self-contained: the
# neighbours' boundaries stay where they were.
unreadable_elements = st.one_of(
    st.binary(min_size=1, max_size=20)
    .filter(lambda b: not set(b) & set(b'"\\[]{},'))
    .map(lambda b: b'{"external_id": "\xff' + b + b'", "posted_at": "2026-01-01T00:00:00Z"}'),
    st.integers(33, 3000).map(lambda n: b"[" * n + b"]" * n),
    st.sampled_from([b"NaN", b"-Infinity", b"tru", b"{,}", b'{"a" 1}', b"0x1F", b"'single'"]),
)


def dumps(item: Any) -> bytes:
    return json.dumps(item, allow_nan=True, ensure_ascii=True).encode()


@st.composite
def bodies(draw: Any) -> tuple[bytes, set[str], int]:
    """A body of valid items, hostile JSON items and unreadable bytes."""
    items, expected, hostile = draw(batches())
    parts = [dumps(item) for item in items]
    extra = draw(st.lists(unreadable_elements, max_size=3))
    for chunk in extra:
        parts.insert(draw(st.integers(0, len(parts))), chunk)
    wrapped = draw(st.booleans())
    array = b"[" + b", ".join(parts) + b"]"
    return (b'{"mentions": ' + array + b"}" if wrapped else array), expected, hostile + len(extra)


# --- Helpers --------------------------------------------------------------------------------------


def reset(client) -> None:
    with tenancy.tenant_context(client):
        MentionSearch.objects.all().delete()
        Mention.objects.all().delete()
        AuthorReach.objects.all().delete()
        Author.objects.all().delete()
        DeadLetter.objects.all().delete()


def assert_invariant(world, client, expected: set[str], hostile: int) -> None:
    with tenancy.tenant_context(client):
        stored = list(Mention.objects.values_list("external_id", flat=True))
        assert sorted(stored) == sorted(expected)  # each valid item once, nothing else
        letters = list(DeadLetter.objects.all())
        assert len(letters) == hostile
        for letter in letters:
            assert letter.errors and all(
                isinstance(e["message"], str) and e["message"] for e in letter.errors
            )
        # Every row reads back (psycopg parses every column).
        for model in (Mention, Author, AuthorReach, Source, DeadLetter):
            list(model.objects.all())
    api = api_client(world, world.staff_a, client, token=True)
    assert api.get("/api/v1/mentions/").status_code == 200
    assert api.get("/api/v1/dead-letters/").status_code == 200
    b"".join(api.get("/api/v1/mentions/export.csv").streaming_content)  # type: ignore[attr-defined]


def expected_status(expected: set[str], hostile: int) -> int:
    if not hostile:
        return 200
    return 422 if not expected else 207


@pytest.fixture
def source(world) -> Source:
    return make_source(
        world.alpha, credentials={"webhook_secret": SECRET, "app_secret": APP_SECRET}
    )


# --- The parser alone -----------------------------------------------------------------------------


@settings(max_examples=300, deadline=None, database=None, print_blob=True)
@given(st.binary(max_size=400) | bodies().map(lambda b: b[0]))
def test_reading_a_body_never_raises(body):
    batch = read_batch(body)
    assert batch.error is None or isinstance(batch.error, str)
    for item in batch.items:
        assert not isinstance(item, bytes)


@settings(max_examples=200, deadline=None, database=None, print_blob=True)
@given(bodies())
def test_reading_keeps_every_readable_item_in_order(case):
    body, expected, _ = case
    batch = read_batch(body)
    assert batch.error is None
    ids = [
        item.get("external_id")
        for item in batch.items
        if isinstance(item, dict) and str(item.get("external_id", "")).startswith("v")
    ]
    assert set(ids) == expected
    for item in batch.items:
        assert isinstance(item, dict | list | str | int | float | bool | Unreadable | Invalid) or (
            item is None
        )


# --- The service ----------------------------------------------------------------------------------


@DOORS
@given(case=batches())
def test_the_ingestion_service_keeps_the_invariant(world, source, case):
    items, expected, hostile = case
    reset(world.alpha)
    with tenancy.tenant_context(world.alpha):
        result = mentions_ingest(client=world.alpha, source=source, items=items, channel="api")
    assert result.accepted == len(expected)
    assert len(result.rejected) == hostile
    assert result.http_status == (expected_status(expected, hostile) if items else 200)
    assert_invariant(world, world.alpha, expected, hostile)
    with tenancy.tenant_context(world.bravo):
        assert Mention.objects.count() == 0 and DeadLetter.objects.count() == 0


# --- The doors ------------------------------------------------------------------------------------


@settings(DOORS, max_examples=60)
@given(case=bodies())
def test_the_signed_webhook_keeps_the_invariant(world, source, case):
    body, expected, hostile = case
    reset(world.alpha)
    response = hooks.signed_post(HOST, source, body, secret=SECRET)
    assert response.status_code == expected_status(expected, hostile), response.content[:300]
    response.json()
    assert_invariant(world, world.alpha, expected, hostile)


@settings(DOORS, max_examples=60)
@given(case=bodies())
def test_the_batch_api_keeps_the_invariant(world, source, case):
    body, expected, hostile = case
    reset(world.alpha)
    response = api_client(world, world.staff_a, world.alpha, token=True).post(
        f"/api/v1/sources/{source.pk}/mentions/", body, content_type="application/json"
    )
    assert response.status_code == expected_status(expected, hostile), response.content[:300]
    assert_invariant(world, world.alpha, expected, hostile)
    with tenancy.tenant_context(world.bravo):
        assert Mention.objects.count() == 0


@settings(DOORS, max_examples=40)
@given(case=batches(), junk=st.lists(unreadable_elements, max_size=2))
def test_the_meta_webhook_keeps_the_invariant(world, source, case, junk):
    """Instagram comments: valid ones stored, spoilt ones and unreadable entries dead-lettered."""
    items, _, _ = case
    now = int(time.time())
    entries, expected, hostile = [], set(), len(junk)
    for item in items:
        if isinstance(item, dict) and str(item.get("external_id", "")).startswith("v"):
            expected.add(item["external_id"])
            value = {"id": item["external_id"], "text": item.get("text", "")}
            entries.append(
                dumps({"id": "p", "time": now, "changes": [{"field": "comments", "value": value}]})
            )
        else:
            hostile += 1
            entries.append(
                dumps(
                    {
                        "id": "p",
                        "time": now,
                        "changes": [
                            {"field": "comments", "value": {"id": ["not", "an", "id"], "x": item}}
                        ],
                    }
                )
            )
    for chunk in junk:
        entries.insert(len(entries) // 2, chunk)
    body = b'{"object": "instagram", "entry": [' + b", ".join(entries) + b"]}"
    reset(world.alpha)
    response = hooks.meta_post(HOST, source, body, secret=APP_SECRET)
    assert response.status_code == expected_status(expected, hostile), response.content[:300]
    assert_invariant(world, world.alpha, expected, hostile)


@settings(DOORS, max_examples=80)
@given(
    body=st.binary(max_size=300) | bodies().map(lambda b: b[0][: len(b[0]) // 2]),
    door=st.sampled_from(["signed", "meta", "batch"]),
)
def test_any_bytes_get_a_2xx_or_a_json_4xx_and_leave_the_brand_readable(world, source, body, door):
    reset(world.alpha)
    response: Any
    if door == "batch":
        response = api_client(world, world.staff_a, world.alpha, token=True).post(
            f"/api/v1/sources/{source.pk}/mentions/", body, content_type="application/json"
        )
    elif door == "signed":
        response = hooks.signed_post(HOST, source, body, secret=SECRET)
    else:
        response = hooks.meta_post(HOST, source, body, secret=APP_SECRET)
    assert response.status_code < 500, response.content[:300]
    payload = response.json()
    if response.status_code >= 400 and response.status_code != 422:
        assert set(payload["error"]) >= {"status", "code", "message", "fields"}
    with tenancy.tenant_context(world.alpha):
        received = Mention.objects.count() + DeadLetter.objects.count()
        for model in (Mention, Author, AuthorReach, DeadLetter):
            list(model.objects.all())
    assert received >= 1 or response.status_code in (200,)  # nothing silently dropped
    assert api_client(world, world.staff_a, world.alpha).get("/api/v1/mentions/").status_code == 200


# --- Imports --------------------------------------------------------------------------------------


@st.composite
def csv_files(draw: Any) -> tuple[bytes, set[str], int]:
    """A CSV export: valid rows, rows with hostile cells, and bytes that are not UTF-8."""
    rows = draw(st.lists(st.tuples(st.booleans(), valid_mentions()), max_size=10))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "date", "text", "author", "likes"])
    expected, hostile, lines = set(), 0, []
    for position, (valid, item) in enumerate(rows):
        external_id = f"{'v' if valid else 'h'}{position}"
        row = [external_id, item["posted_at"], item.get("text", "").replace("\x00", ""), "a", "1"]
        if valid:
            expected.add(external_id)
        else:
            hostile += 1
            column, value = draw(
                st.sampled_from(
                    [
                        (1, "9999-12-31T23:59:59-14:00"),
                        (1, "0001-01-01 00:00"),
                        (1, "not a date"),
                        (4, "-5"),
                        (4, "1e400"),
                        (0, ""),
                        (0, "x" * 300),
                    ]
                )
            )
            row[column] = value
        out.seek(0)
        out.truncate()
        writer.writerow(row)
        lines.append(out.getvalue().encode())
    undecodable = draw(st.integers(0, 2))
    for n in range(undecodable):
        line = f'u{n},2026-01-01T00:00:00Z,"caf\xe9",a,1\r\n'.encode("latin-1")
        lines.insert(draw(st.integers(0, len(lines))), line)
    header = b"id,date,text,author,likes\r\n"
    return header + b"".join(lines), expected, hostile + undecodable


@settings(DOORS, max_examples=30)
@given(case=csv_files())
def test_an_import_keeps_the_invariant(world, source, case):
    data, expected, hostile = case
    reset(world.alpha)
    with tenancy.tenant_context(world.alpha):
        job = import_job_create(
            client=world.alpha,
            source=source,
            filename="export.csv",
            chunks=[data],
            acting_user=None,
            run_async=False,
        )
        assert import_job_run(client=world.alpha, import_id=job.pk) == "done"
        job.refresh_from_db()
    assert (job.accepted, job.rejected) == (len(expected), hostile)
    assert_invariant(world, world.alpha, expected, hostile)
