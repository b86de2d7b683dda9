"""Membership rules: who may hold which role where."""

import pytest
from django.db import IntegrityError, transaction

from agency.models import AuditEvent, Membership, Role
from agency.selectors import Access, client_access, clients_for_user, user_agency_role
from agency.services import MembershipError, membership_grant
from tests.agency.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_viewer_sees_one_brand_and_holds_no_other_role(world):
    viewer = UserFactory.create()
    membership_grant(user=viewer, role=Role.CLIENT_VIEWER, client=world.alpha)
    with pytest.raises(MembershipError, match="one brand") as error:
        membership_grant(user=viewer, role=Role.CLIENT_VIEWER, client=world.bravo)
    assert error.value.field == "role"
    with pytest.raises(MembershipError, match="cannot also hold an agency role"):
        membership_grant(user=viewer, role=Role.AGENCY_STAFF, client=world.bravo)
    assert client_access(user=viewer, client=world.alpha) is Access.READ
    assert client_access(user=viewer, client=world.bravo) is None


def test_roles_and_clients_must_match(world):
    user = UserFactory.create()
    with pytest.raises(MembershipError, match="agency-wide") as error:
        membership_grant(user=user, role=Role.AGENCY_ADMIN, client=world.alpha)
    assert error.value.field == "client"
    with pytest.raises(MembershipError, match="needs a client"):
        membership_grant(user=user, role=Role.AGENCY_STAFF)


def test_the_database_enforces_the_rules_too(world):
    user = UserFactory.create()
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=user, role=Role.CLIENT_VIEWER, client=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=user, role=Role.AGENCY_ADMIN, client=world.alpha)


def test_staff_cover_several_brands_and_granting_twice_is_harmless(world):
    staff = UserFactory.create()
    first = membership_grant(user=staff, role=Role.AGENCY_STAFF, client=world.alpha)
    assert membership_grant(user=staff, role=Role.AGENCY_STAFF, client=world.alpha) == first
    membership_grant(user=staff, role=Role.AGENCY_STAFF, client=world.bravo)
    assert list(clients_for_user(user=staff)) == [world.alpha, world.bravo]
    assert user_agency_role(user=staff) == Role.AGENCY_STAFF
    assert (
        AuditEvent.objects.filter(verb="membership.granted", detail__user=staff.email).count() == 2
    )


def test_an_inactive_user_has_no_access(world):
    staff = UserFactory.create(is_active=False)
    membership_grant(user=staff, role=Role.AGENCY_STAFF, client=world.alpha)
    assert client_access(user=staff, client=world.alpha) is None
