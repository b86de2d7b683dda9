from typing import Any

from django.http import HttpRequest

from agency.middleware import portal_url
from agency.selectors import Access


def portal(request: HttpRequest) -> dict[str, Any]:
    # The brand's name shows only to members: TenantAccessMiddleware sets `access` after its check.
    tenant = getattr(request, "tenant", None)
    access = getattr(request, "access", None)
    member = access is not None
    return {
        "portal_url": portal_url(),
        "brand": tenant if member and tenant is not None and not tenant.is_public else None,
        # The agency's people on the brand (not its client viewers): the nav's agency pages.
        "brand_writes": access is Access.FULL,
    }
