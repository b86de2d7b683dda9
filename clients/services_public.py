"""The agency's own tenant row: the public schema, answering on BASE_DOMAIN."""

from django.conf import settings
from django.db import transaction
from django_tenants.utils import get_public_schema_name

from clients.models import Client, Domain


@transaction.atomic
def public_tenant_ensure() -> Client:
    """Create or update the public tenant and its domain. Idempotent; runs after migrations."""
    public, _ = Client.objects.get_or_create(
        schema_name=get_public_schema_name(),
        defaults={"name": "Agency", "slug": "public"},
    )
    Domain.objects.update_or_create(
        domain=settings.BASE_DOMAIN.lower(), defaults={"tenant": public, "is_primary": True}
    )
    return public
