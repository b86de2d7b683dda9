"""The tenant middleware, with the host -> brand lookup cached briefly in each process."""

from __future__ import annotations

import time
from typing import Any

from django.http import HttpRequest
from django_tenants.middleware.main import TenantMainMiddleware
from django_tenants.utils import remove_www

from clients.tenancy import host_normalize

HOST_CACHE_SECONDS = 10.0


class TenantMiddleware(TenantMainMiddleware):
    """django-tenants' middleware, minus a database query on most requests.

    A host seen in the last HOST_CACHE_SECONDS reuses its brand. New hosts are always looked up,
    so a new brand answers at once; an offboarded brand may be resolved for up to that long
    in a process that saw it just before, and its requests then fail (its schema is gone) rather
    than reach another schema.
    """

    _hosts: dict[str, tuple[float, Any]] = {}

    @staticmethod
    def hostname_from_request(request: HttpRequest) -> str:
        # `ACME.example.com` is acme's host: Django's ALLOWED_HOSTS check ignores case, and so
        # must the lookup (domains are stored in lower case).
        return str(remove_www(host_normalize(request.get_host())))

    def get_tenant(self, domain_model: Any, hostname: str) -> Any:
        now = time.monotonic()
        cached = self._hosts.get(hostname)
        if cached is not None and now - cached[0] < HOST_CACHE_SECONDS:
            return cached[1]
        tenant = super().get_tenant(domain_model, hostname)
        self._hosts[hostname] = (now, tenant)
        return tenant

    @classmethod
    def forget(cls, hostname: str | None = None) -> None:
        if hostname is None:
            cls._hosts.clear()
        else:
            cls._hosts.pop(hostname, None)
