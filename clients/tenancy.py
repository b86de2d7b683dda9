"""The one module that switches schemas.

Everything else enters a tenant through these helpers: the tenant middleware (django-tenants) for
brand hosts, `tenant_context` for agency code and commands, and `TenantTask` for Celery tasks.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, cast

from celery import Task
from celery.signals import task_postrun, task_prerun
from django.db import connection
from django_tenants import utils as tenant_utils

from clients.exceptions import MissingTenantError, WrongTenantError

if TYPE_CHECKING:
    from clients.models import Client

logger = logging.getLogger(__name__)

PUBLIC_SCHEMA = tenant_utils.get_public_schema_name()
# django-tenants' database wrapper: the stubs know only Django's.
tenant_connection = cast(Any, connection)


def current_schema() -> str:
    return str(tenant_connection.schema_name)


@contextmanager
def tenant_context(client: Client) -> Iterator[Client]:
    """Run the block in `client`'s schema; the previous schema is restored afterwards."""
    with tenant_utils.tenant_context(client):
        yield client


@contextmanager
def schema_context(schema_name: str) -> Iterator[None]:
    """Run the block in the named schema, for code that holds a schema name, not a Client."""
    with tenant_utils.schema_context(schema_name):
        yield


def require_tenant(client: Client | None = None) -> str:
    """Assert the connection is in a brand's schema (that of `client`, when given).

    Services that touch tenant tables call this first: outside a brand schema the search path
    would silently fall through to `public` and read or write the wrong data.
    """
    schema = current_schema()
    if schema == PUBLIC_SCHEMA:
        raise MissingTenantError(
            "This operation needs a brand's schema; the connection is in public."
        )
    if client is not None and schema != client.schema_name:
        raise WrongTenantError(
            f"This operation is for {client.schema_name!r}; the connection is in {schema!r}."
        )
    return schema


def current_client() -> Client:
    """The brand whose schema the connection is in (as set by tenant_context or TenantTask)."""
    require_tenant()
    return cast("Client", tenant_connection.tenant)


def host_normalize(host: str) -> str:
    """A request's host as brand hosts are stored: no port, lower case (host names are
    case-insensitive), no trailing dot (`acme.example.com.` is the same host)."""
    return host.split(":")[0].lower().rstrip(".")


def reset_to_public() -> None:
    tenant_connection.set_schema_to_public()


class TenantTask(Task):  # type: ignore[misc]
    """A Celery task that runs in one brand's schema, named by its `schema_name` keyword.

    Sending one without `schema_name` (or with `public`) raises at once; a message that reaches a
    worker without one fails the same way instead of running in `public`. A brand that no longer
    exists (offboarded since) makes the task return None: there is nothing left to do.
    """

    abstract = True

    @staticmethod
    def _schema_from(kwargs: dict[str, Any] | None, task_name: str) -> str:
        schema_name = (kwargs or {}).get("schema_name")
        if not schema_name or schema_name == PUBLIC_SCHEMA:
            raise MissingTenantError(
                f"Task {task_name} must be sent with schema_name=<a brand's schema>, "
                f"got {schema_name!r}."
            )
        return str(schema_name)

    def apply_async(self, args: Any = None, kwargs: Any = None, **options: Any) -> Any:
        self._schema_from(kwargs, self.name)
        return super().apply_async(args, kwargs, **options)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from clients.models import Client

        schema_name = self._schema_from(kwargs, self.name)
        client = Client.objects.filter(schema_name=schema_name).first()
        if client is None:
            logger.warning("task %s skipped: no brand with schema %s", self.name, schema_name)
            return None
        with tenant_context(client):
            return super().__call__(*args, **kwargs)


def for_each_brand(task: TenantTask) -> int:
    """The fan-out of a periodic job, which runs in public: one `task` per brand, each with
    its `schema_name`. Returns how many were sent."""
    from clients.models import Client

    schemas = list(Client.objects.brands().values_list("schema_name", flat=True))
    for schema_name in schemas:
        task.delay(schema_name=schema_name)
    return len(schemas)


def _enter_public(**_: Any) -> None:
    # A worker thread never inherits the schema of the task it ran before.
    reset_to_public()


def connect_worker_signals() -> None:
    task_prerun.connect(_enter_public, weak=False, dispatch_uid="stormdesk-prerun-public")
    task_postrun.connect(_enter_public, weak=False, dispatch_uid="stormdesk-postrun-public")
