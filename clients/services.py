"""Onboarding, exports and offboarding of client brands.

These run in the public schema (they create, copy and drop brand schemas); they enter a brand's
schema only through clients.tenancy.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import os
import re
import zipfile
import zoneinfo
from pathlib import Path
from typing import TYPE_CHECKING

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from agency.roster import schedule_join_default
from agency.services import audit_record
from clients import tenancy
from clients.exceptions import (
    ClientNotFoundError,
    ExportError,
    OnboardingError,
    SlugTakenError,
)
from clients.models import (
    RESERVED_SLUGS,
    SLUG_PATTERN,
    Client,
    ClientExport,
    Domain,
    ExportStatus,
    Language,
)

if TYPE_CHECKING:
    from agency.models import User

logger = logging.getLogger(__name__)

EXPORT_FORMAT_VERSION = 1


def _validate_brand(*, name: str, slug: str, timezone_name: str, language: str) -> None:
    if not name.strip():
        raise OnboardingError("The brand needs a name.", field="name")
    if len(name) > 200:
        raise OnboardingError("The name is longer than 200 characters.", field="name")
    if not re.fullmatch(SLUG_PATTERN, slug):
        raise OnboardingError(
            "Use 3 to 40 lowercase letters, digits and hyphens, starting with a letter and not "
            "ending with a hyphen (it becomes the brand's host name).",
            field="slug",
        )
    if slug in RESERVED_SLUGS:
        raise OnboardingError(f"'{slug}' is reserved; choose another slug.", field="slug")
    if timezone_name not in zoneinfo.available_timezones():
        raise OnboardingError(
            f"'{timezone_name}' is not an IANA time zone (e.g. Europe/Amsterdam).",
            field="timezone",
        )
    if language not in Language.values:
        raise OnboardingError(
            f"'{language}' is not supported; use one of {', '.join(Language.values)}.",
            field="language",
        )


def client_onboard(
    *,
    name: str,
    slug: str,
    timezone_name: str = "UTC",
    language: str = "en",
    acting_user: User | None = None,
) -> Client:
    """Create a brand: its schema (cloned from the template), its host and its defaults.

    One transaction: PostgreSQL DDL is transactional, so a failure at any step leaves no schema,
    no row and no domain behind. Not idempotent by design: an existing slug is SlugTakenError.
    Must be called in the public schema.
    """
    if tenancy.current_schema() != tenancy.PUBLIC_SCHEMA:
        raise OnboardingError("Onboarding runs in the public schema.")
    slug = slug.strip().lower()
    _validate_brand(name=name, slug=slug, timezone_name=timezone_name, language=language)
    if Client.objects.filter(slug=slug).exists():
        raise SlugTakenError(f"A brand with slug '{slug}' already exists.", field="slug")

    from monitoring.services import brand_settings_initialize
    from monitoring.services.escalation import escalation_policy_get
    from playbooks.services import playbooks_install

    try:
        with transaction.atomic():
            client = Client(
                schema_name=Client.schema_name_for(slug),
                name=name.strip(),
                slug=slug,
                timezone=timezone_name,
                language=language,
            )
            client.save(verbosity=0)
            _align_constraint_names(client.schema_name)
            Domain.objects.create(domain=Client.host_for(slug), tenant=client, is_primary=True)
            with tenancy.tenant_context(client):
                brand_settings_initialize(client=client)
                # Its alerts reach people from the first one: the default escalation policy.
                escalation_policy_get(client=client)
                # Ready for its first incident: the agency's playbooks in its language.
                playbooks_install(client=client)
            # Watched from its first minute: the agency's default schedule takes it on.
            schedule_join_default(client=client)
            audit_record(
                verb="client.onboarded",
                acting_user=acting_user,
                client_slug=slug,
                name=client.name,
                timezone=timezone_name,
                language=language,
            )
    except IntegrityError as exc:
        # Two account managers racing for one slug, or a host already taken.
        raise SlugTakenError(
            f"A brand with slug '{slug}' (or host {Client.host_for(slug)}) already exists.",
            field="slug",
        ) from exc
    finally:
        tenancy.reset_to_public()
    logger.info("onboarded brand %s (%s)", slug, client.schema_name)
    return client


def _align_constraint_names(schema_name: str) -> None:
    """Give the clone's UNIQUE constraints the names they have in the template.

    django-tenants' clone_schema re-creates unique constraints under PostgreSQL's default
    names (`<table>_<columns>_key`), not Django's; a later migration that drops or alters one
    by name would then fail on every cloned brand. Matched by table and column names.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH named AS (
                SELECT con.connamespace AS schema, cls.relname AS tab, con.conname,
                       -- by column names: a clone has no dropped columns, so numbers differ
                       ARRAY(SELECT attname FROM pg_attribute
                             WHERE attrelid = con.conrelid AND attnum = ANY(con.conkey)
                             ORDER BY attname) AS cols
                FROM pg_constraint con JOIN pg_class cls ON cls.oid = con.conrelid
                WHERE con.contype = 'u'
                  AND con.connamespace IN (%s::regnamespace, %s::regnamespace)
            )
            SELECT clone.tab, clone.conname, template.conname
            FROM named template JOIN named clone USING (tab, cols)
            WHERE template.schema = %s::regnamespace AND clone.schema = %s::regnamespace
              AND template.conname <> clone.conname
            """,
            [settings.TENANT_BASE_SCHEMA, schema_name, settings.TENANT_BASE_SCHEMA, schema_name],
        )
        for table, have, want in cursor.fetchall():
            cursor.execute(
                f'ALTER TABLE "{schema_name}"."{table}" RENAME CONSTRAINT "{have}" TO "{want}"'
            )


def client_get(*, slug: str) -> Client:
    client = Client.objects.brands().filter(slug=slug).first()
    if client is None:
        raise ClientNotFoundError(f"No brand with slug '{slug}'.", field="slug")
    return client


def _tenant_models() -> list[type[models.Model]]:
    """Every model stored in a brand schema, apart from Django's own bookkeeping."""
    tenant_labels = [label.rsplit(".", 1)[-1] for label in settings.TENANT_APPS]
    return [
        model
        for label in tenant_labels
        if label != "contenttypes"
        for model in apps.get_app_config(label).get_models()
    ]


def client_export_request(*, client: Client, acting_user: User | None = None) -> ClientExport:
    """Queue an archive of `client`'s data; a worker writes it (clients.tasks.client_export_run)."""
    from clients.tasks import client_export_run

    with transaction.atomic():
        export = ClientExport.objects.create(
            client=client,
            client_slug=client.slug,
            schema_name=client.schema_name,
            requested_by=acting_user if acting_user and acting_user.pk else None,
        )
        audit_record(
            verb="client.export_requested",
            acting_user=acting_user,
            client_slug=client.slug,
            export=export.pk,
        )
        transaction.on_commit(
            lambda: client_export_run.delay(schema_name=client.schema_name, export_id=export.pk)
        )
    return export


def client_export_write(*, export: ClientExport) -> ClientExport:
    """Write the archive of the brand whose schema the connection is in.

    Safe to run twice: a finished export is returned as it is; the row lock stops two workers
    from writing the same archive. The zip holds `manifest.json` and, per model, a JSON file
    (Django's serialisation, re-loadable with loaddata) and a CSV file for spreadsheets.
    """
    client = Client.objects.get(pk=export.client_id) if export.client_id else None
    if client is None:
        raise ExportError("The brand of this export no longer exists.")
    tenancy.require_tenant(client)
    with transaction.atomic():
        export = ClientExport.objects.select_for_update().get(pk=export.pk)
        if export.status == ExportStatus.DONE:
            return export
        export.status = ExportStatus.RUNNING
        export.save(update_fields=["status"])

    root = Path(settings.EXPORT_ROOT) / client.slug
    root.mkdir(parents=True, exist_ok=True)
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    final = root / f"{client.slug}-{stamp}-{export.pk}.zip"
    partial = final.with_suffix(".zip.partial")
    counts: dict[str, int] = {}
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for model in _tenant_models():
                label = model._meta.label_lower
                queryset = model._default_manager.order_by("pk")
                counts[label] = queryset.count()
                with archive.open(f"{label}.json", "w") as raw:
                    text = io.TextIOWrapper(raw, encoding="utf-8")
                    serializers.serialize("json", queryset.iterator(chunk_size=2000), stream=text)
                    text.flush()
                    text.detach()
                field_names = [f.attname for f in model._meta.concrete_fields]
                with archive.open(f"{label}.csv", "w") as raw:
                    text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
                    writer = csv.writer(text)
                    writer.writerow(field_names)
                    for row in queryset.values_list(*field_names).iterator(chunk_size=2000):
                        writer.writerow(row)
                    text.flush()
                    text.detach()
            manifest = {
                "format": EXPORT_FORMAT_VERSION,
                "brand": {
                    "name": client.name,
                    "slug": client.slug,
                    "schema": client.schema_name,
                    "timezone": client.timezone,
                    "language": client.language,
                    "created_at": client.created_at.isoformat(),
                },
                "exported_at": timezone.now().isoformat(),
                "rows": counts,
            }
            archive.writestr("manifest.json", json.dumps(manifest, indent=2))
        with zipfile.ZipFile(partial) as archive:
            broken = archive.testzip()
        if broken is not None:
            raise ExportError(f"The archive failed its own check at {broken}.")
        digest = hashlib.sha256(partial.read_bytes()).hexdigest()
        os.replace(partial, final)
    except Exception as exc:
        partial.unlink(missing_ok=True)
        ClientExport.objects.filter(pk=export.pk).update(
            status=ExportStatus.FAILED, error=str(exc), finished_at=timezone.now()
        )
        raise
    ClientExport.objects.filter(pk=export.pk).update(
        status=ExportStatus.DONE,
        path=str(final),
        size_bytes=final.stat().st_size,
        sha256=digest,
        row_counts=counts,
        finished_at=timezone.now(),
        error="",
    )
    export.refresh_from_db()
    return export


def client_export_archive(*, client: Client, export_id: int) -> Path | None:
    """The archive file of `client`'s finished export `export_id`, for download; None for
    another brand's export, one not finished, or a file that is gone or not under EXPORT_ROOT
    (the path is the one the export wrote, never a caller's). Reads the public schema only."""
    path = (
        ClientExport.objects.filter(client=client, pk=export_id, status=ExportStatus.DONE)
        .values_list("path", flat=True)
        .first()
    )
    if not path:
        return None
    archive = Path(path).resolve()
    if not archive.is_relative_to(Path(settings.EXPORT_ROOT).resolve()) or not archive.is_file():
        return None
    return archive


def client_offboard(*, client: Client, acting_user: User | None = None) -> ClientExport:
    """Archive the brand's data, then drop its schema, domains and memberships.

    The schema is dropped only after the archive is written and verified; a failed export
    leaves the brand untouched. Returns the export record, which outlives the brand.
    """
    if client.is_public:
        raise ClientNotFoundError("The agency itself cannot be offboarded.", field="slug")
    export = ClientExport.objects.create(
        client=client,
        client_slug=client.slug,
        schema_name=client.schema_name,
        reason="offboarding",
        requested_by=acting_user if acting_user and acting_user.pk else None,
    )
    with tenancy.tenant_context(client):
        export = client_export_write(export=export)
    with transaction.atomic():
        locked = Client.objects.select_for_update().get(pk=client.pk)
        audit_record(
            verb="client.offboarded",
            acting_user=acting_user,
            client_slug=client.slug,
            export=export.pk,
            archive=export.path,
            sha256=export.sha256,
        )
        hosts = list(locked.domains.values_list("domain", flat=True))
        # Deferred foreign-key checks still pending in this transaction (rows written by an
        # enclosing one, e.g. onboarding's) would make PostgreSQL refuse to drop their tables.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        locked.delete(force_drop=True)
    tenancy.reset_to_public()
    from clients.middleware import TenantMiddleware

    for host in hosts:  # this process forgets at once; others within HOST_CACHE_SECONDS
        TenantMiddleware.forget(host)
    logger.info("offboarded brand %s; archive %s", client.slug, export.path)
    return export


def schema_exists(schema_name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS(SELECT 1 FROM pg_namespace WHERE nspname = %s)", [schema_name]
        )
        return bool(cursor.fetchone()[0])
