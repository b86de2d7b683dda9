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
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class StrictJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        body = stream.read(limit + 1) if stream is not None else b""
        if len(body) > limit:
            # (agency.request_limits answers 413 first when the request gives its length)
            raise ParseError(f"At most {limit} bytes per request.")
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise ParseError(f"The body is not valid JSON: {exc}") from exc
