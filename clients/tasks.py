"""Brand-level background work of the clients app."""

from __future__ import annotations

import logging

from celery import shared_task

from clients import tenancy
from clients.models import ClientExport
from clients.services import client_export_write

logger = logging.getLogger(__name__)


@shared_task(base=tenancy.TenantTask, bind=True, acks_late=True)
def client_export_run(self: tenancy.TenantTask, *, schema_name: str, export_id: int) -> str | None:
    """Write export `export_id` of the brand in `schema_name`. Safe to run twice."""
    export = ClientExport.objects.filter(pk=export_id, schema_name=schema_name).first()
    if export is None:
        logger.warning("export %s of %s not found; nothing to do", export_id, schema_name)
        return None
    return client_export_write(export=export).path
