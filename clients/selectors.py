"""Reads of the brand registry (public schema)."""

from __future__ import annotations

from clients.models import Domain
from clients.tenancy import host_normalize


def host_is_served(*, host: str) -> bool:
    """Whether `host` (any case, with or without a port) is the agency's or a brand's: the
    hosts in clients.Domain, the agency's among them."""
    return Domain.objects.filter(domain=host_normalize(host)).exists()
