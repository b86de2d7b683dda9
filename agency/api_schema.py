"""The OpenAPI schema's error responses.

Every operation documents the error answers it can give, all in the one envelope of
`agency.api_errors` (the `Error` component): the ones that follow from how the view is built
(authentication, a body, path parameters, a cursor, throttling) are added here, so no view can
forget them; the domain errors of a view (a 409 on a closed alert) are declared at the view with
`error_response(...)`.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.urls import NoReverseMatch, reverse
from drf_spectacular import openapi
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiResponse

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Every error answer of the API.",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "status": {"type": "integer", "description": "The HTTP status, repeated."},
                "code": {
                    "type": "string",
                    "description": "Stable, for programs: `invalid`, `not_found`, ...",
                },
                "message": {"type": "string", "description": "For people."},
                "fields": {
                    "type": "object",
                    "description": "Messages by the name of the field at fault.",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
            },
            "required": ["status", "code", "message", "fields"],
            "additionalProperties": False,
        }
    },
    "required": ["error"],
    "additionalProperties": False,
}
ERROR_COMPONENT = ResolvedComponent(
    name="Error", type=ResolvedComponent.SCHEMA, object="Error", schema=ERROR_SCHEMA
)

DESCRIPTIONS = {
    400: "Invalid input: `error.fields` has the messages by field; a body that is not valid "
    "JSON is `parse_error`.",
    401: "No credentials, or a token that is not valid.",
    403: "Refused: no access to this brand, read-only access, or not for your role.",
    404: "Not found here (another brand's objects are not found either), or a cursor that is "
    "not valid.",
    406: "The Accept header asks for a type this endpoint does not produce.",
    415: "The body's Content-Type is not one this endpoint takes.",
    429: "Too many requests; `Retry-After` says in how many seconds to try again.",
}
HEADERS = {
    401: {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "`Token`."}},
    429: {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}},
}
BODY_METHODS = ("POST", "PUT", "PATCH")
# Pagination parameters a bad value of which is ignored or answered 404, never 400.
PAGE_PARAMETERS = ("cursor", "page_size")


def error_response(description: str) -> OpenApiResponse:
    """A domain error of one view, for `@extend_schema(responses={409: error_response(...)})`."""
    return OpenApiResponse(response=ERROR_COMPONENT.ref, description=description)


def _error_body(status: int, description: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": ERROR_COMPONENT.ref}},
    }
    if status in HEADERS:
        body["headers"] = HEADERS[status]
    return body


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's AutoSchema, plus the error answers each operation can give."""

    def get_operation(
        self,
        path: str,
        path_regex: str,
        path_prefix: str,
        method: str,
        registry: Any,
    ) -> dict[str, Any] | None:
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        registry.register_on_missing(ERROR_COMPONENT)
        responses = operation["responses"]
        for status in self._error_statuses(operation):
            responses.setdefault(str(status), _error_body(status, DESCRIPTIONS[status]))
        return operation

    def _error_statuses(self, operation: dict[str, Any]) -> list[int]:
        parameters = operation.get("parameters", [])
        filters = [p for p in parameters if p["in"] == "query" and p["name"] not in PAGE_PARAMETERS]
        takes_body = self.method in BODY_METHODS or "requestBody" in operation
        statuses = [403, 406]  # any user may lack access; any Accept may be unproducible
        if takes_body or filters:
            statuses.append(400)
        if self.view.get_authenticators():
            # (without authenticators DRF answers an unauthenticated request 403)
            statuses.append(401)
        if any(p["in"] == "path" for p in parameters) or any(
            p["name"] == "cursor" for p in parameters
        ):
            statuses.append(404)
        if takes_body:
            statuses.append(415)
        if self.view.get_throttles():
            statuses.append(429)
        return sorted(statuses)


def document_webhooks(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """A POSTPROCESSING_HOOK: the brand schema lists the webhooks (`monitoring.webhooks`), plain
    Django views the generator cannot see; the schemas without them are left as they are."""
    from monitoring import webhooks

    try:
        signed = reverse(
            "v1:hook-signed", urlconf=generator.urlconf, kwargs={"public_id": uuid.UUID(int=0)}
        )
    except NoReverseMatch:
        return result
    prefix = signed.removesuffix(f"{uuid.UUID(int=0)}/")
    result["paths"].update(webhooks.openapi_paths(prefix))
    result.setdefault("tags", []).append(
        {"name": "webhooks", "description": "Push doors for platforms: signed, no log-in."}
    )
    return result
