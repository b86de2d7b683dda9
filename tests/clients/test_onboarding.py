"""Onboarding: one transaction, clear errors, nothing half-made; offboarding: archive, then drop.

The rollback tests run with committed transactions (no test-wrapping transaction), so the
service's own atomic block is the outermost one, as in production.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from agency.models import AuditEvent, Membership, Role
from agency.services import membership_grant
from clients import tenancy
from clients.exceptions import OnboardingError, SlugTakenError
from clients.models import Client, ClientExport, Domain
from clients.services import client_offboard, client_onboard, schema_exists
from monitoring.models import BrandSettings
from tests.agency.factories import UserFactory


def _nothing_left(slug: str) -> None:
    assert not Client.objects.filter(slug=slug).exists()
    assert not Domain.objects.filter(domain=Client.host_for(slug)).exists()
    assert not schema_exists(Client.schema_name_for(slug))
    assert not AuditEvent.objects.filter(client_slug=slug, verb="client.onboarded").exists()


def test_onboard_then_offboard_a_brand(world, committed):
    manager = UserFactory.create(email="onboarder@example.test")
    client = client_onboard(
        name="Charlie Cafés",
        slug="charlie",
        timezone_name="Europe/Paris",
        language="fr",
        acting_user=manager,
    )
    try:
        assert schema_exists("brand_charlie")
        assert Domain.objects.get(tenant=client).domain == "charlie.agency.localhost"
        with tenancy.tenant_context(client):
            assert BrandSettings.objects.get().multiplier_min_followers == 10_000
            BrandSettings.objects.update(first_response_minutes=12)
        event = AuditEvent.objects.get(client_slug="charlie", verb="client.onboarded")
        assert event.actor == manager
        viewer = UserFactory.create(email="charlie-viewer@example.test")
        membership_grant(user=viewer, role=Role.CLIENT_VIEWER, client=client)
    finally:
        export = client_offboard(client=client, acting_user=manager)

    # The archive is written and verified before the schema is dropped.
    archive = Path(export.path)
    assert archive.is_file() and export.size_bytes == archive.stat().st_size
    with zipfile.ZipFile(archive) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        settings_rows = json.loads(zf.read("monitoring.brandsettings.json"))
        csv_text = zf.read("monitoring.brandsettings.csv").decode()
    assert manifest["brand"]["slug"] == "charlie"
    assert manifest["rows"]["monitoring.brandsettings"] == 1
    assert settings_rows[0]["fields"]["first_response_minutes"] == 12
    assert "first_response_minutes" in csv_text.splitlines()[0]

    assert not schema_exists("brand_charlie")
    assert not Client.objects.filter(slug="charlie").exists()
    assert not Domain.objects.filter(domain="charlie.agency.localhost").exists()
    assert not Membership.objects.filter(user=viewer).exists()
    kept = ClientExport.objects.get(pk=export.pk)
    assert kept.client is None and kept.client_slug == "charlie" and kept.status == "done"
    assert AuditEvent.objects.filter(client_slug="charlie", verb="client.offboarded").exists()
    # other brands untouched
    assert schema_exists(world.alpha.schema_name) and schema_exists(world.bravo.schema_name)
    archive.unlink()
    viewer.delete()
    manager.delete()
    AuditEvent.objects.filter(client_slug="charlie").delete()
    ClientExport.objects.filter(pk=export.pk).delete()


def test_a_failure_midway_leaves_nothing(world, committed, monkeypatch):
    def broken_defaults(*, client):
        raise RuntimeError("disk full while writing defaults")

    monkeypatch.setattr("monitoring.services.brand_settings_initialize", broken_defaults)
    with pytest.raises(RuntimeError, match="disk full"):
        client_onboard(name="Delta Dairy", slug="delta")
    _nothing_left("delta")
    assert tenancy.current_schema() == "public"


def test_a_taken_host_rolls_back_the_schema(world, committed):
    # The host is taken by another brand's alias: the schema is created before the clash is seen.
    alias = Domain.objects.create(
        domain=Client.host_for("echo"), tenant=world.alpha, is_primary=False
    )
    try:
        with pytest.raises(SlugTakenError) as error:
            client_onboard(name="Echo Energy", slug="echo")
        assert error.value.field == "slug"
        assert not Client.objects.filter(slug="echo").exists()
        assert not schema_exists("brand_echo")
    finally:
        alias.delete()


@pytest.mark.django_db
def test_a_brand_schema_matches_the_template_name_for_name(world):
    """Later migrations find constraints and indexes by name: a clone must keep them."""
    from django.db import connection

    def names(schema: str) -> set[tuple[str, str]]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT conrelid::regclass::text, conname FROM pg_constraint "
                "WHERE connamespace = %s::regnamespace "
                "UNION SELECT tablename, indexname FROM pg_indexes WHERE schemaname = %s",
                [schema, schema],
            )
            return {(table.split(".")[-1], name) for table, name in cursor.fetchall()}

    template = names("tenant_template")
    assert ("monitoring_mention", "mention_unique_per_source") in template
    assert names(world.alpha.schema_name) == template


@pytest.mark.django_db
def test_an_existing_slug_is_a_clear_error(world):
    with pytest.raises(SlugTakenError, match="'alpha' already exists") as error:
        client_onboard(name="Alpha Again", slug="alpha")
    assert error.value.field == "slug"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": " "}, "name", "needs a name"),
        ({"slug": "A"}, "slug", "lowercase letters"),
        ({"slug": "-ab"}, "slug", "starting with a letter"),
        ({"slug": "admin"}, "slug", "reserved"),
        ({"timezone_name": "Mars/Olympus"}, "timezone", "IANA time zone"),
        ({"language": "xx"}, "language", "not supported"),
    ],
)
def test_bad_input_names_the_field(world, fields, field, message):
    values = {
        "name": "Foxtrot",
        "slug": "foxtrot",
        "timezone_name": "UTC",
        "language": "en",
        **fields,
    }
    with pytest.raises(OnboardingError, match=message) as error:
        client_onboard(**values)
    assert error.value.field == field
    assert not schema_exists("brand_foxtrot")


@pytest.mark.django_db
def test_the_command_onboards_and_reports_errors(world, capsys):
    call_command(
        "onboard_brand", "Acme Coffee", slug="acme", timezone="Europe/Amsterdam", language="nl"
    )
    assert "Onboarded Acme Coffee: http://acme.agency.localhost" in capsys.readouterr().out
    acme = Client.objects.get(slug="acme")
    assert (acme.timezone, acme.language, acme.schema_name) == (
        "Europe/Amsterdam",
        "nl",
        "brand_acme",
    )
    with pytest.raises(CommandError, match="'acme' already exists"):
        call_command("onboard_brand", "Acme Coffee", slug="acme")


@pytest.mark.django_db
def test_offboarding_needs_confirmation(world):
    with pytest.raises(CommandError, match="--yes"):
        call_command("offboard_brand", "alpha")
    assert schema_exists(world.alpha.schema_name)
