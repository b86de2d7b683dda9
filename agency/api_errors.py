"""Every API error as JSON: {"error": {"status", "code", "message", "fields"}}.

`fields` maps a field name to its messages, so a client can show each error beside its input.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from agency.exceptions import StormdeskError


def _flatten(detail: Any) -> list[str]:
    if isinstance(detail, list):
        return [message for item in detail for message in _flatten(item)]
    if isinstance(detail, dict):
        return [f"{key}: {m}" for key, value in detail.items() for m in _flatten(value)]
    return [str(detail)]


def error_body(
    *, status_code: int, code: str, message: str, fields: dict[str, list[str]]
) -> dict[str, Any]:
    return {"error": {"status": status_code, "code": code, "message": message, "fields": fields}}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, StormdeskError):
        fields = {exc.field: [exc.message]} if exc.field else {}
        return Response(
            error_body(status_code=exc.status, code=exc.code, message=exc.message, fields=fields),
            status=exc.status,
        )
    # DRF turns these two into its own exceptions only inside its handler, so the envelope below
    # would not see them as APIExceptions (object 404s answered `{"detail": ...}`).
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        if isinstance(detail, dict):
            fields = {key: _flatten(value) for key, value in detail.items()}
        else:
            fields = {"non_field_errors": _flatten(detail)}
        first_field, first_messages = next(iter(fields.items()), ("", ["Invalid input."]))
        message = (
            f"{first_field}: {first_messages[0]}"
            if first_field != "non_field_errors"
            else first_messages[0]
        )
        response.data = error_body(
            status_code=response.status_code, code="invalid", message=message, fields=fields
        )
        return response
    if isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else "error"
        response.data = error_body(
            status_code=response.status_code, code=code, message=_flatten(exc.detail)[0], fields={}
        )
    return response


def json_not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse(
        error_body(
            status_code=404, code="not_found", message=f"No endpoint at {request.path}.", fields={}
        ),
        status=status.HTTP_404_NOT_FOUND,
    )


def json_server_error(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        error_body(
            status_code=500,
            code="server_error",
            message="Internal error; it has been logged.",
            fields={},
        ),
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )
