"""django-tenants' migrate_schemas, which also keeps the public tenant and the template current.

New brands are cloned from the template schema (TENANT_BASE_SCHEMA), so it must carry every
migration; django-tenants migrates only schemas that belong to a tenant row. A full run (no
--schema) therefore also creates the template when missing, migrates it, and makes sure the
public tenant answers on BASE_DOMAIN.
"""

from typing import Any

from django.conf import settings
from django.db import connection
from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand

from clients import tenancy


class Command(MigrateSchemasCommand):
    def handle(self, *args: Any, **options: Any) -> None:
        full_run = not options.get("schema_name")
        super().handle(*args, **options)
        if not full_run:
            return
        synced_public, synced_tenants = self.sync_public, self.sync_tenant
        if synced_public:
            from clients.services_public import public_tenant_ensure

            public_tenant_ensure()
        if synced_tenants:
            template = settings.TENANT_BASE_SCHEMA
            tenancy.reset_to_public()
            with connection.cursor() as cursor:
                cursor.execute(f'CREATE SCHEMA IF NOT EXISTS "{template}"')
            super().handle(*args, **{**options, "schema_name": template, "shared": False})
