"""The client brand as a tenant (one PostgreSQL schema each) and the hosts it answers on."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin
from django_tenants.utils import get_public_schema_name

if TYPE_CHECKING:
    from agency.models import User


def zone_or_utc(name: str) -> ZoneInfo:
    """The time zone named `name`; UTC when it names none (a brand's zone is checked at
    onboarding, but a page must not fail on a zone the tz database has since dropped)."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


SLUG_PATTERN = r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$"
RESERVED_SLUGS = frozenset(
    {"www", "api", "admin", "agency", "static", "media", "public", "template", "mail", "status"}
)


class Language(models.TextChoices):
    ENGLISH = "en", _("English")
    DUTCH = "nl", _("Dutch")
    SWEDISH = "sv", _("Swedish")
    GERMAN = "de", _("German")
    FRENCH = "fr", _("French")


class ClientQuerySet(models.QuerySet["Client"]):
    def brands(self) -> ClientQuerySet:
        """Client brands only: never the public (agency) tenant."""
        return self.exclude(schema_name=get_public_schema_name())


class Client(TenantMixin):
    """A client brand. The public schema's row stands for the agency itself."""

    # Annotated because TenantMixin is untyped, which hides the fields from django-stubs.
    name: models.CharField[str, str] = models.CharField(max_length=200)
    slug: models.SlugField[str, str] = models.SlugField(max_length=40, unique=True)
    timezone: models.CharField[str, str] = models.CharField(max_length=64, default="UTC")
    language: models.CharField[str, str] = models.CharField(
        max_length=8, choices=Language.choices, default=Language.ENGLISH
    )
    created_at: models.DateTimeField[datetime, datetime] = models.DateTimeField(auto_now_add=True)
    # Whom escalations and gap notices reach for this brand; empty: every account manager.
    account_manager: models.ForeignKey[User | None, User | None] = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    auto_create_schema = True
    auto_drop_schema = True

    objects = ClientQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_public(self) -> bool:
        return self.schema_name == get_public_schema_name()

    @staticmethod
    def schema_name_for(slug: str) -> str:
        # Slugs hold no underscore, so this mapping is one-to-one.
        return "brand_" + slug.replace("-", "_")

    @staticmethod
    def host_for(slug: str) -> str:
        # Stored and looked up in lower case (clients.tenancy.host_normalize).
        return f"{slug}.{settings.BASE_DOMAIN}".lower()

    @property
    def zone(self) -> ZoneInfo:
        """The brand's time zone (UTC if its name is unknown): see zone_or_utc."""
        return zone_or_utc(self.timezone)

    def get_absolute_url(self) -> str:
        port = f":{settings.PUBLIC_PORT}" if settings.PUBLIC_PORT else ""
        host = settings.BASE_DOMAIN if self.is_public else self.host_for(self.slug)
        return f"http://{host}{port}/"


class Domain(DomainMixin):
    pass


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ClientExport(models.Model):
    """An archive of one brand's data. Outlives the brand: offboarding writes one first."""

    client = models.ForeignKey(Client, null=True, on_delete=models.SET_NULL, related_name="exports")
    # Copied so the record still says whose archive it is after offboarding.
    client_slug = models.SlugField(max_length=40)
    schema_name = models.CharField(max_length=63)
    reason = models.CharField(max_length=20, default="request")
    status = models.CharField(
        max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    path = models.CharField(max_length=500, blank=True)
    size_bytes = models.BigIntegerField(null=True)
    sha256 = models.CharField(max_length=64, blank=True)
    row_counts = models.JSONField(default=dict)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"export {self.pk} of {self.client_slug} ({self.status})"
