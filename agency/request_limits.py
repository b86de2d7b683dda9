"""The size limits of every request, answered in the API's JSON error envelope.

Django refuses a body over DATA_UPLOAD_MAX_MEMORY_SIZE with an HTML 400 ("RequestDataTooBig")
when a view reads it, and DRF's parsers read the stream without that check at all. Here a
request that says it is larger is answered 413 before anything is read, and one that turns out
larger (no Content-Length) is answered 413 when the view trips over it.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse, JsonResponse

from agency.api_errors import error_body


def _answer(request: HttpRequest, status: int, code: str, message: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(
            error_body(status_code=status, code=code, message=message, fields={}), status=status
        )
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def too_large(request: HttpRequest) -> HttpResponse:
    """The answer to a request over DATA_UPLOAD_MAX_MEMORY_SIZE (JSON on API paths)."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return _answer(request, 413, "too_large", f"At most {limit} bytes per request.")


class RequestLimitsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _answer(request, 400, "invalid", "Content-Length is not a number.")
        # Uploaded files (multipart) have limits of their own; the rest must fit in memory.
        multipart = request.META.get("CONTENT_TYPE", "").startswith("multipart/")
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if not multipart and limit is not None and length > limit:
            return too_large(request)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, RequestDataTooBig):
            return too_large(request)
        if isinstance(exception, TooManyFieldsSent):
            return _answer(request, 400, "invalid", str(exception))
        return None
