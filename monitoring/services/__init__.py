"""Writes to monitoring state. Every function here runs inside a brand's schema."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction

from agency.services import audit_record
from clients import tenancy
from monitoring.exceptions import SettingsError
from monitoring.models import BrandSettings

if TYPE_CHECKING:
    from agency.models import User
    from clients.models import Client

EDITABLE_SETTINGS = (
    "multiplier_min_followers",
    "bin_minutes",
    "first_response_minutes",
    "qa_page_url",
    "wave_min_negative_authors",
    "issue_negative_ratio",
    "issue_min_negative",
    "crisis_negative_ratio",
    "crisis_min_negative",
    "check_every_minutes_day",
    "check_every_minutes_night",
    "night_starts",
    "night_ends",
)
# Bin sizes that tile an hour, and so a day: the detectors' hour-of-day baseline needs that.
BIN_MINUTES = tuple(m for m in range(1, 61) if 60 % m == 0)


def brand_settings_initialize(*, client: Client) -> BrandSettings:
    """Create the brand's settings row with the defaults. Idempotent; needs `client`'s schema."""
    tenancy.require_tenant(client)
    settings, _ = BrandSettings.objects.get_or_create(singleton=True)
    return settings


@transaction.atomic
def brand_settings_update(
    *, client: Client, acting_user: User | None, changes: dict[str, Any]
) -> BrandSettings:
    """Change the brand's watch settings; unknown or invalid fields raise SettingsError.

    A new bin_minutes takes effect at the brand's next detection run, which re-bases its
    detectors on the new size (monitoring.services.detection._series_rebase)."""
    tenancy.require_tenant(client)
    unknown = set(changes) - set(EDITABLE_SETTINGS)
    if unknown:
        field = sorted(unknown)[0]
        raise SettingsError(f"'{field}' is not a setting that can be changed.", field=field)
    settings = BrandSettings.objects.select_for_update().get(singleton=True)
    for field, value in changes.items():
        setattr(settings, field, value)
    try:
        settings.full_clean()
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise SettingsError(" ".join(messages), field=field) from exc
    if settings.bin_minutes not in BIN_MINUTES:
        raise SettingsError(
            f"Use a bin size that divides an hour: {', '.join(map(str, BIN_MINUTES))} minutes.",
            field="bin_minutes",
        )
    if settings.night_starts.replace(second=0, microsecond=0) == settings.night_ends.replace(
        second=0, microsecond=0
    ):
        field = "night_ends" if "night_ends" in changes else "night_starts"
        raise SettingsError("The night must start and end at different times.", field=field)
    settings.save()
    audit_record(
        verb="brand.settings_updated",
        acting_user=acting_user,
        client_slug=client.slug,
        changes={k: str(v) for k, v in changes.items()},
    )
    return settings
