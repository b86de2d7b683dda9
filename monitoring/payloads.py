"""Reading what arrives at a door (webhook, Meta webhook, batch API) into items, whatever the
bytes are, and making any value safe to keep. Pure: no Django here.

`read_batch(body, list_key=...)` turns a request body into a `Batch`: the top-level object (or
list) and its items. It never raises. The usual body is parsed once by the standard library's
`json` (which, unlike orjson, keeps integers above 64 bits exact and reads NaN, Infinity and lone
surrogates, so that validation can name them item by item instead of losing the whole batch).
A body it cannot read as a whole (a syntax error, bytes that are not UTF-8, nesting deep enough
to exhaust the parser) is split by a scanner that follows only the structure, with no recursion;
each item is then read on its own, and an item that still cannot be read becomes an
`Unreadable` with its bytes and the reason, so one bad item never costs the others.

`jsonb_safe(value)` is the value with what PostgreSQL's jsonb cannot hold replaced: lone
surrogates and NUL characters, non-finite numbers, nesting deeper than MAX_DEPTH, non-string
keys. `exact_json(value)` is the value as JSON text (ASCII, so any code point survives as an
escape), for keeping what was received next to the safe copy.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

# The cap of every batch door (the cap on bytes is settings.DATA_UPLOAD_MAX_MEMORY_SIZE).
MAX_ITEMS = 10_000
# No mention needs more than a few levels; deeper values are cut when kept.
MAX_DEPTH = 32
# How much of an unreadable item or body is quoted in a reason.
QUOTE_CHARS = 60

_WHITESPACE = b" \t\r\n"
_STRUCTURE = re.compile(rb'["\[\]{},]')
_STRING_TAIL = re.compile(rb'[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class Unreadable:
    """A part of a body that could not be read as JSON: its bytes as sent, and why."""

    raw: bytes
    reason: str

    def readable(self) -> str:
        return readable_text(self.raw)


@dataclass(frozen=True)
class Invalid:
    """A part of a body that was read but has the wrong shape to be an item (a Meta entry that
    is not an object, say): the value, and why."""

    value: Any
    reason: str


@dataclass
class Batch:
    """A body as read. `error` is set when no list of items could be found at all."""

    envelope: Any = None
    items: list[Any] = field(default_factory=list)
    error: str | None = None
    body: bytes = b""


def readable_text(raw: bytes) -> str:
    """Bytes as text a person can read and PostgreSQL can store: undecodable bytes and NUL
    escaped as \\xNN."""
    return raw.decode("utf-8", errors="backslashreplace").replace("\x00", "\\x00")


def _quote(raw: bytes) -> str:
    text = readable_text(raw[: QUOTE_CHARS * 4])
    return text if len(text) <= QUOTE_CHARS else text[:QUOTE_CHARS] + "…"


def _why_unreadable(raw: bytes) -> str | None:
    """None when `raw` is one readable JSON value nested at most MAX_DEPTH deep; else why not."""
    if _depth_of(raw) > MAX_DEPTH:
        return f"nested more than {MAX_DEPTH} levels deep"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return (
            f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at position {exc.start}): {_quote(raw)}"
        )
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return f"not JSON ({exc.msg} at character {exc.pos}): {_quote(raw)}"
    except RecursionError:  # pragma: no cover - bounded by the depth check above
        return f"nested more than {MAX_DEPTH} levels deep"
    return None


def _loads(raw: bytes) -> Any:
    return json.loads(raw.decode("utf-8"))


def read_batch(body: bytes, *, list_key: str = "mentions") -> Batch:
    """The items of a body: a JSON list, or an object with a `list_key` list. Never raises."""
    try:
        payload = _loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        batch = _recover(body, list_key)
    else:
        items = payload.get(list_key) if isinstance(payload, dict) else payload
        if isinstance(items, list):
            batch = Batch(envelope=payload, items=items)
        else:
            batch = Batch(
                envelope=payload,
                error=f"Expected a list of items, or an object with a '{list_key}' list.",
            )
    batch.body = body
    return batch


def _recover(body: bytes, list_key: str) -> Batch:
    """The body is not one readable JSON value: find its items by structure alone."""
    start = _skip_whitespace(body, 0)
    if body[start : start + 3] == b"\xef\xbb\xbf":  # a UTF-8 byte-order mark
        start = _skip_whitespace(body, start + 3)
    opener = body[start : start + 1]
    if opener == b"[":
        items = [read_item(raw) for raw in _elements(body, start)]
        if not items:
            return Batch(error=f"Not JSON: {_why(body)}")
        return Batch(envelope=items, items=items)
    if opener == b"{":
        envelope: dict[str, Any] = {}
        items_found: list[Any] | None = None
        for key_raw, value_start, value_end in _members(body, start):
            try:
                key = _loads(key_raw)
            except (UnicodeDecodeError, json.JSONDecodeError):
                continue
            if not isinstance(key, str):
                continue
            if key == list_key and body[value_start : value_start + 1] == b"[":
                items_found = [read_item(raw) for raw in _elements(body[:value_end], value_start)]
                envelope[key] = items_found
            else:
                envelope[key] = read_item(body[value_start:value_end])
        if items_found is not None:
            return Batch(envelope=envelope, items=items_found)
        return Batch(error=f"Not JSON, and no '{list_key}' list could be found in it: {_why(body)}")
    return Batch(error=f"Not JSON: {_why(body)}")


def _why(body: bytes) -> str:
    return _why_unreadable(body) or "not a JSON object or list"


def read_item(raw: bytes) -> Any:
    """One JSON value read on its own, or an `Unreadable` saying why it cannot be."""
    reason = _why_unreadable(raw)
    if reason is not None:
        return Unreadable(raw=raw, reason=reason)
    return _loads(raw)


def _skip_whitespace(body: bytes, at: int) -> int:
    while at < len(body) and body[at] in _WHITESPACE:
        at += 1
    return at


def _structure(raw: bytes, at: int) -> Iterator[tuple[bytes, int, int]]:
    """(character, start, end) of each bracket, comma and whole string (as `"`) of the JSON
    text `raw` from `at`, so that brackets inside strings never count; it stops at a string
    that never closes."""
    while (found := _STRUCTURE.search(raw, at)) is not None:
        char, at = found.group(), found.end()
        if char == b'"':
            tail = _STRING_TAIL.match(raw, at)
            if tail is None:
                return
            at = tail.end()
        yield char, found.start(), at


def _value_end(body: bytes, at: int) -> int:
    """Where the JSON value starting at `at` ends (exclusive), following brackets and strings
    only; a value that never closes runs to the end of the body."""
    depth = 0
    start = at
    for char, begin, end in _structure(body, at):
        if char == b'"':
            if depth == 0:
                return end
        elif char in (b"[", b"{"):
            depth += 1
        elif char in (b"]", b"}"):
            if depth == 0:  # the container around this value closes: the value ended before
                return _trim_end(body, start, begin)
            depth -= 1
            if depth == 0:
                return end
        elif depth == 0:  # a comma after a scalar
            return _trim_end(body, start, begin)
    return len(body)


def _trim_end(body: bytes, start: int, end: int) -> int:
    while end > start and body[end - 1] in _WHITESPACE:
        end -= 1
    return end


def _elements(body: bytes, start: int) -> list[bytes]:
    """The elements of the array opening at `start`; anything left unparsed at the end (an
    array that never closes properly) is one last element, which will be unreadable."""
    out: list[bytes] = []
    at = _skip_whitespace(body, start + 1)
    if body[at : at + 1] == b"]":
        return out
    while at < len(body):
        end = _value_end(body, at)
        if end <= at:  # a stray closing bracket or comma where a value should be
            end = at + 1
        out.append(body[at:end])
        at = _skip_whitespace(body, end)
        separator = body[at : at + 1]
        if separator == b",":
            at = _skip_whitespace(body, at + 1)
            continue
        if separator == b"]" or not separator:
            break
        rest = body[at:].rstrip(b" \t\r\n]}")
        if rest:
            out.append(rest)
        break
    return out


def _members(body: bytes, start: int) -> list[tuple[bytes, int, int]]:
    """(key bytes, value start, value end) of the object opening at `start`, as far as it can
    be followed."""
    out: list[tuple[bytes, int, int]] = []
    at = _skip_whitespace(body, start + 1)
    while at < len(body) and body[at : at + 1] == b'"':
        key_end = _value_end(body, at)
        colon = _skip_whitespace(body, key_end)
        if body[colon : colon + 1] != b":":
            break
        value_start = _skip_whitespace(body, colon + 1)
        value_end = _value_end(body, value_start)
        out.append((body[at:key_end], value_start, value_end))
        at = _skip_whitespace(body, value_end)
        if body[at : at + 1] != b",":
            break
        at = _skip_whitespace(body, at + 1)
    return out


def _depth_of(raw: bytes) -> int:
    """The nesting depth of the JSON text `raw`, brackets inside strings not counted."""
    depth = deepest = 0
    for char, _, _ in _structure(raw, 0):
        if char in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        elif char in (b"]", b"}"):
            depth = max(depth - 1, 0)
    return deepest


# --- Keeping any value ---------------------------------------------------------------------------


def safe_text(value: str) -> str:
    """`value` with NUL characters and lone surrogates replaced by U+FFFD."""
    if "\x00" in value:
        value = value.replace("\x00", "\ufffd")
    if _SURROGATE.search(value):
        value = _SURROGATE.sub("\ufffd", value)
    return value


def jsonb_safe(value: Any, depth: int = 0) -> Any:
    """`value` with everything PostgreSQL's jsonb refuses replaced (see the module docstring);
    objects JSON does not know become their repr."""
    if isinstance(value, Unreadable):
        return {"unreadable": value.reason, "bytes": value.readable()}
    if isinstance(value, Invalid):
        return jsonb_safe(value.value, depth)
    if isinstance(value, str):
        return safe_text(value)
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, dict | list | tuple):
        if depth >= MAX_DEPTH:
            return f"(nested more than {MAX_DEPTH} levels deep: cut)"
        if isinstance(value, dict):
            return {safe_text(str(k)): jsonb_safe(v, depth + 1) for k, v in value.items()}
        return [jsonb_safe(v, depth + 1) for v in value]
    return safe_text(repr(value))


def exact_json(value: Any) -> str:
    """`value` as JSON text, ASCII only: a lone surrogate stays `\\ud800`, NaN stays `NaN`, a big
    integer stays exact. Values JSON cannot express (or too deep to write) fall back to the
    safe copy."""
    try:
        return json.dumps(value, ensure_ascii=True, default=repr)
    except (RecursionError, ValueError, TypeError):
        return json.dumps(jsonb_safe(value), ensure_ascii=True)
