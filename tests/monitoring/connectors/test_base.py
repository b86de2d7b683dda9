"""The connectors' shared memory of dead letters (base.DeadLetterMemory), on its own: each
entry filed once however often it is listed, across polls whose cursor is stored as JSON."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from monitoring.connectors.base import DeadLetterMemory

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=10,
)


def stored(cursor: dict[str, Any]) -> dict[str, Any]:
    """The cursor as the polling service stores it and reads it back."""
    return json.loads(json.dumps(cursor))


@given(entries=st.lists(json_values, max_size=20), polls=st.integers(min_value=1, max_value=4))
def test_each_entry_is_filed_once_however_often_it_is_listed(entries, polls):  # type: ignore[no-untyped-def]
    cursor: dict[str, Any] = {"since_id": "7"}
    filed: list[Any] = []
    for _poll in range(polls):
        letters = DeadLetterMemory(stored(cursor))
        filed += [entry for entry in entries if letters.first(entry)]
        cursor = letters.into(cursor)
    distinct = {json.dumps(e, sort_keys=True): e for e in entries}
    assert [json.dumps(e, sort_keys=True) for e in filed] == list(distinct)
    assert cursor["since_id"] == "7"  # the connector's own keys are left as they are


def test_where_an_entry_is_listed_tells_it_apart_and_nothing_filed_adds_no_key():
    letters = DeadLetterMemory({})
    assert letters.into({"min_id": "1"}) == {"min_id": "1"}
    assert letters.first({"id": 1}, "post A") and letters.first({"id": 1}, "post B")
    assert not letters.first({"id": 1}, "post A")
    assert letters.first({"id": 1})


def test_the_newest_are_kept_and_one_listed_again_stays_remembered():
    cursor: dict[str, Any] = {}
    for entry in ("a", "b", "c"):
        letters = DeadLetterMemory(stored(cursor), keep=3)
        # "a" is listed on every poll: it is never forgotten
        assert letters.first("a") is (entry == "a")
        letters.first(entry)
        cursor = letters.into(cursor)
    letters = DeadLetterMemory(stored(cursor), keep=3)
    assert letters.first("d")
    cursor = letters.into(cursor)
    assert len(cursor["dead"]) == 3
    letters = DeadLetterMemory(stored(cursor), keep=3)
    assert not letters.first("a") and letters.first("b")  # "b" was the oldest: forgotten
