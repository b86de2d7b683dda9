"""Reads of monitoring state. Every function here runs inside a brand's schema."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clients import tenancy
from monitoring.models import BrandSettings

if TYPE_CHECKING:
    from clients.models import Client


def brand_settings_get(*, client: Client) -> BrandSettings:
    tenancy.require_tenant(client)
    return BrandSettings.objects.get(singleton=True)
