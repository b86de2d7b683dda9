from typing import Any

from django.http import HttpRequest

from agency.middleware import portal_url


def portal(request: HttpRequest) -> dict[str, Any]:
    tenant = getattr(request, "tenant", None)
    return {
        "portal_url": portal_url(),
        "brand": tenant if tenant is not None and not tenant.is_public else None,
    }
