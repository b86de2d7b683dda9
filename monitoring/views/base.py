"""What every brand page needs: the brand of the host and whether this person may write."""

from __future__ import annotations

from django.http import HttpRequest

from agency.selectors import Access
from clients.models import Client

PAGE = 100


def brand_of(request: HttpRequest) -> Client:
    """The brand whose host this is (the tenant middleware has entered its schema)."""
    return request.tenant  # type: ignore[attr-defined,no-any-return]


def writes(request: HttpRequest) -> bool:
    """Whether this person may change the brand (a client viewer may not)."""
    return getattr(request, "access", None) is Access.FULL
