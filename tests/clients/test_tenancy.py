"""Isolation of the ORM and the cache between brands, and the guards of tenant context."""

import pytest
from django.core.cache import cache
from django.db import ProgrammingError, transaction

from clients import tenancy
from clients.exceptions import MissingTenantError, WrongTenantError
from clients.tenancy import tenant_connection
from monitoring.models import BrandSettings
from monitoring.selectors import brand_settings_get
from tests.conftest import ALPHA_FOLLOWERS, BRAVO_FOLLOWERS

pytestmark = pytest.mark.django_db


def test_each_brand_reads_its_own_rows(world):
    with tenancy.tenant_context(world.alpha):
        assert brand_settings_get(client=world.alpha).multiplier_min_followers == ALPHA_FOLLOWERS
        BrandSettings.objects.update(first_response_minutes=7)
    with tenancy.tenant_context(world.bravo):
        settings = brand_settings_get(client=world.bravo)
        assert settings.multiplier_min_followers == BRAVO_FOLLOWERS
        assert settings.first_response_minutes == 30  # alpha's write did not reach bravo


def test_public_schema_has_no_brand_tables(world):
    assert tenancy.current_schema() == "public"
    with pytest.raises(ProgrammingError), transaction.atomic():
        BrandSettings.objects.count()


def test_services_refuse_public_and_the_wrong_brand(world):
    with pytest.raises(MissingTenantError):
        brand_settings_get(client=world.alpha)
    with tenancy.tenant_context(world.bravo), pytest.raises(WrongTenantError):
        brand_settings_get(client=world.alpha)


def test_context_is_restored_after_the_block(world):
    with tenancy.tenant_context(world.alpha):
        with tenancy.tenant_context(world.bravo):
            assert tenant_connection.schema_name == world.bravo.schema_name
        assert tenant_connection.schema_name == world.alpha.schema_name
    assert tenant_connection.schema_name == "public"


def test_cache_keys_carry_the_brand(world):
    with tenancy.tenant_context(world.alpha):
        cache.set("open-alerts", "alpha's", 60)
    with tenancy.tenant_context(world.bravo):
        assert cache.get("open-alerts") is None
        cache.set("open-alerts", "bravo's", 60)
    with tenancy.tenant_context(world.alpha):
        assert cache.get("open-alerts") == "alpha's"
    assert cache.get("open-alerts") is None  # nor does the agency see either

    raw = cache._cache.get_client()  # type: ignore[attr-defined]  # the real Redis behind Django's cache
    keys = {key.decode() for key in raw.keys("*open-alerts")}
    assert any(key.startswith(f"{world.alpha.schema_name}:") for key in keys)
    assert any(key.startswith(f"{world.bravo.schema_name}:") for key in keys)
    with tenancy.tenant_context(world.alpha):
        cache.delete("open-alerts")
    with tenancy.tenant_context(world.bravo):
        cache.delete("open-alerts")
