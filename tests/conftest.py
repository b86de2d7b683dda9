"""Session fixtures: the public schema plus two brands, created once, and one user per role.

Brand A is "alpha", brand B is "bravo"; each has distinct watch settings so a test that reads
the wrong schema sees the wrong number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from agency.models import Role, User
from agency.roster import schedule_create, schedule_layer_add
from agency.services import membership_grant
from clients import tenancy
from clients.middleware import TenantMiddleware
from clients.models import Client
from clients.services import client_onboard
from monitoring.models import BrandSettings
from tests.agency.factories import UserFactory

ALPHA_FOLLOWERS = 11_111
BRAVO_FOLLOWERS = 22_222
USER_NAMES = ("admin", "manager", "staff_a", "staff_b", "viewer_a", "viewer_b", "outsider")


@dataclass(frozen=True)
class World:
    alpha: Client
    bravo: Client
    admin: User
    manager: User
    staff_a: User
    staff_b: User
    viewer_a: User
    viewer_b: User
    outsider: User

    def host(self, client: Client | None) -> str:
        return settings.BASE_DOMAIN if client is None else Client.host_for(client.slug)


@pytest.fixture(scope="session")
def django_db_setup(request, django_test_environment, django_db_blocker):  # type: ignore[no-untyped-def]
    """The test database (migrated by migrate_schemas) plus the two brands and their users.

    Replaces pytest-django's fixture, which sets up a test database only when a collected test
    carries the django_db mark: a module of committed-transaction tests run alone would
    otherwise reach the development database.
    """
    from django.test.utils import setup_databases, teardown_databases

    with django_db_blocker.unblock():
        config = setup_databases(
            verbosity=request.config.option.verbose, interactive=False, aliases={"default": True}
        )
        name = connection.settings_dict["NAME"]
        assert name.startswith("test_"), f"refusing to run tests against database {name!r}"
        # Rate limits (allauth's login attempts, API throttles) live in the cache: a run
        # starts without the counts of the runs before it.
        cache.clear()
        _create_world()
    yield
    with django_db_blocker.unblock():
        teardown_databases(config, verbosity=request.config.option.verbose)


def _create_world() -> None:
    alpha = client_onboard(
        name="Alpha Bakery", slug="alpha", timezone_name="Europe/Amsterdam", language="nl"
    )
    bravo = client_onboard(
        name="Bravo Boats", slug="bravo", timezone_name="Europe/Stockholm", language="sv"
    )
    for client, followers in ((alpha, ALPHA_FOLLOWERS), (bravo, BRAVO_FOLLOWERS)):
        with tenancy.tenant_context(client):
            BrandSettings.objects.update(multiplier_min_followers=followers)
    # Each has chosen English, so that tests read the pages' English text on every brand;
    # tests/agency/test_language.py undoes the choice to see the brand's and browser's.
    users = {
        name: UserFactory.create(email=f"{name}@example.test", language="en") for name in USER_NAMES
    }
    membership_grant(user=users["admin"], role=Role.AGENCY_ADMIN)
    membership_grant(user=users["manager"], role=Role.ACCOUNT_MANAGER)
    membership_grant(user=users["staff_a"], role=Role.AGENCY_STAFF, client=alpha)
    membership_grant(user=users["staff_b"], role=Role.AGENCY_STAFF, client=bravo)
    membership_grant(user=users["viewer_a"], role=Role.CLIENT_VIEWER, client=alpha)
    membership_grant(user=users["viewer_b"], role=Role.CLIENT_VIEWER, client=bravo)


@pytest.fixture(scope="session")
def world(django_db_setup, django_db_blocker) -> World:  # type: ignore[no-untyped-def]
    with django_db_blocker.unblock():
        users = {u.email.split("@")[0]: u for u in User.objects.all()}
        return World(
            alpha=Client.objects.get(slug="alpha"),
            bravo=Client.objects.get(slug="bravo"),
            **{name: users[name] for name in USER_NAMES},
        )


@pytest.fixture
def committed(django_db_blocker):  # type: ignore[no-untyped-def]
    """Database access outside the test's transaction: what the test writes is committed (for
    a worker process or another connection to see), and the test cleans up after itself."""
    with django_db_blocker.unblock():
        yield


@pytest.fixture(autouse=True)
def _public_schema_between_tests():
    """Requests to brand hosts leave the connection in that brand; every test starts in public,
    and with no host remembered from a test whose brands were rolled back."""
    tenancy.reset_to_public()
    TenantMiddleware.forget()
    yield
    tenancy.reset_to_public()


def api_client(
    world: World, user: User | None, client: Client | None, *, token: bool = False
) -> APIClient:
    """An API client on `client`'s host (None: the agency host), signed in as `user`."""
    api = APIClient(HTTP_HOST=world.host(client))
    if user is not None:
        if token:
            key, _ = Token.objects.get_or_create(user=user)
            api.credentials(HTTP_AUTHORIZATION=f"Token {key.key}")
        else:
            api.force_login(user)
    return api


# --- The watch: agency people and a brand's desk schedule ---------------------------------
def agency_person(name: str, role: Role = Role.AGENCY_STAFF, client: Client | None = None) -> User:
    """A person of the agency: staff of `client`, or an agency-wide role."""
    user = UserFactory.create(email=f"{name}@example.test", full_name=name.title(), language="en")
    membership_grant(user=user, role=role, client=client)
    return user


@pytest.fixture
def desk(world) -> User:  # type: ignore[no-untyped-def]
    """Alpha's desk: primary staff_a and backup "bea" around the clock from March 2026; bea."""
    bea = agency_person("bea", client=world.alpha)
    schedule = schedule_create(name="Alpha desk", brands=[world.alpha], acting_user=world.manager)
    for role, person in (("primary", world.staff_a), ("backup", bea)):
        schedule_layer_add(
            schedule=schedule,
            people=[person],
            starts_on=date(2026, 3, 1),
            hand_off=time(9),
            role=role,
            acting_user=world.manager,
        )
    return bea
