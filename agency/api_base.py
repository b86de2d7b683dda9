"""Base classes of the brand-host API.

A brand endpoint works on `self.client`, the tenant the middleware resolved from the host; the
base class checks the connection is in that brand's schema before the handler runs, so a
misrouted request fails instead of reading another schema. Querysets come from
`scoped_queryset()`; `get_queryset` is owned here and subclasses do not override it.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema_field
from rest_framework import generics, serializers, views
from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request

from agency.models import User
from clients import tenancy

if TYPE_CHECKING:
    from clients.models import Client


def acting_user(request: Request) -> User:
    """The signed-in user behind an API request (permissions have refused anonymous ones)."""
    user = request.user
    if not isinstance(user, User):
        raise NotAuthenticated()
    return user


class TenantAPIView(views.APIView):
    client: Client

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # authentication and TenantAccess first
        tenant = getattr(request._request, "tenant", None)
        if tenant is None or tenant.is_public:
            raise tenancy.MissingTenantError("A brand endpoint was reached outside a brand host.")
        tenancy.require_tenant(tenant)
        self.client = tenant


class TenantGenericAPIView(TenantAPIView, generics.GenericAPIView):  # type: ignore[misc]
    def scoped_queryset(self) -> QuerySet[Any]:
        raise NotImplementedError

    def get_queryset(self) -> QuerySet[Any]:
        tenancy.require_tenant(self.client)
        return self.scoped_queryset()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "get_queryset" in cls.__dict__:
            raise TypeError(f"{cls.__name__} must implement scoped_queryset, not get_queryset.")


def reject_unknown_fields(data: Any, allowed: set[str] | frozenset[str]) -> None:
    """DRF drops unknown keys silently; a typo in a field name deserves an error instead."""
    from rest_framework.exceptions import ValidationError

    if not isinstance(data, dict):
        raise ValidationError({"non_field_errors": ["Expected a JSON object."]})
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationError({name: ["Unknown field."] for name in unknown})


def validated_body(request: Request, serializer_class: type[serializers.Serializer[Any]]) -> Any:
    """The request's JSON object as `serializer_class` reads it: a field it does not write is
    an error (reject_unknown_fields), an invalid value a 400 with its message; the validated
    data is returned."""
    serializer = serializer_class(data=request.data)
    writable = {name for name, field in serializer.fields.items() if not field.read_only}
    reject_unknown_fields(request.data, writable)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def jsonb_refusal(value: Any) -> str | None:
    """Why PostgreSQL's jsonb would refuse to store `value` (a 500 at the INSERT), or None.

    Python's JSON takes what jsonb does not: NUL characters, lone surrogates (`"\\ud800"`) and
    numbers out of range (`1e400` reads as infinity).
    """
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            if "\x00" in item:
                return "Null characters are not allowed."
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return "Surrogate characters are not allowed."
        elif isinstance(item, float) and not math.isfinite(item):
            return "Numbers must be finite."
    return None


class StorableJSONField(serializers.JSONField):
    """JSON that the database can store (see jsonb_refusal): a 400, not a 500."""

    def to_internal_value(self, data: Any) -> Any:
        value = super().to_internal_value(data)
        refusal = jsonb_refusal(value)
        if refusal:
            raise serializers.ValidationError(refusal)
        return value


@extend_schema_field({"type": "object", "additionalProperties": True})
class StorableJSONObjectField(StorableJSONField):
    """A JSON object, also as a form field holding JSON (where DRF's JSONField takes `null`,
    a list or a number)."""

    def to_internal_value(self, data: Any) -> Any:
        value = super().to_internal_value(data)
        if not isinstance(value, dict):
            raise serializers.ValidationError("Expected a JSON object.")
        return value
