"""The API's JSON parser: every body that is not JSON a person meant is a 400, never a 500.

DRF's JSONParser reads with the standard library, which takes lone surrogates ("\\ud800": text
that cannot be stored or even encoded as UTF-8, so the write that follows fails with a 500) and
raises RecursionError, not a parse error, on deeply nested input. orjson refuses both, and NaN
and bytes that are not UTF-8, as a ValueError. (The mention doors keep what they cannot read as
dead letters instead: monitoring.payloads.)
"""

from __future__ import annotations

from typing import Any

import orjson
from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser


class TooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"


def read_capped(stream: Any) -> bytes:
    """The body from DRF's stream, at most DATA_UPLOAD_MAX_MEMORY_SIZE bytes, else 413.

    DRF reads the request's stream, not `request.body`, so Django's own check does not apply;
    agency.request_limits answers first when the request gives its length, this catches a
    body that did not (chunked)."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    body: bytes = stream.read(limit + 1) if stream is not None else b""
    if len(body) > limit:
        raise TooLarge(f"At most {limit} bytes per request.")
    return body


class StrictJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return orjson.loads(read_capped(stream))
        except orjson.JSONDecodeError as exc:
            raise ParseError(f"The body is not valid JSON: {exc}") from exc
