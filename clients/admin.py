"""The brands and their hosts in the Django admin, read-only: onboarding and offboarding
(clients.services) create and remove a brand's schema with its rows, which an admin form
cannot do safely."""

from __future__ import annotations

from django.contrib import admin

from agency.admin import ReadOnly
from clients.models import Client, Domain


@admin.register(Client)
class ClientAdmin(ReadOnly):
    list_display = ("name", "slug", "schema_name", "timezone", "language", "created_at")
    search_fields = ("name", "slug")


@admin.register(Domain)
class DomainAdmin(ReadOnly):
    list_display = ("domain", "tenant", "is_primary")
    search_fields = ("domain",)
    list_select_related = ("tenant",)
