"""The brand's members page: who may open this brand (agency-wide roles, its staff, its client
viewers) and no one else's; admins and account managers give access (a new address gets an
account without a password and allauth's mail to set one) and take it away, through the
agency's services; staff and viewers may not, whatever they post."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext

from agency.middleware import portal_url
from agency.models import AuditEvent, Membership, Role, User
from agency.services import MembershipError, membership_grant, membership_revoke
from tests.agency.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(world):  # type: ignore[no-untyped-def]
    """The pages in English, whatever the brand's language (the person's choice wins)."""
    User.objects.update(language="en")


def page(world, user, client) -> HttpClient:  # type: ignore[no-untyped-def]
    browser = HttpClient(HTTP_HOST=world.host(client))
    browser.force_login(user)
    return browser


def roles_on(user, client) -> set[str]:  # type: ignore[no-untyped-def]
    return set(Membership.objects.filter(user=user, client=client).values_list("role", flat=True))


def test_the_page_lists_exactly_this_brands_people(world):
    whole = page(world, world.staff_a, world.alpha).get("/members/").content.decode()
    assert 'aria-current="page">Members' in whole
    html = whole.split('<main id="main">', 1)[1]
    for who in ("admin", "manager", "staff_a", "viewer_a"):
        assert f"{who}@example.test" in html
    # bravo's people and a person with no role never on alpha's page
    for who in ("staff_b", "viewer_b", "outsider"):
        assert f"{who}@example.test" not in html
    assert html.index("admin@example.test") < html.index("staff_a@example.test")
    assert html.index("staff_a@example.test") < html.index("viewer_a@example.test")
    # staff read it, but give and take nothing
    assert "Give access" not in html and "Revoke" not in html
    bravo = page(world, world.staff_b, world.bravo).get("/members/").content.decode()
    assert "viewer_b@example.test" in bravo and "viewer_a@example.test" not in bravo


def test_a_manager_gives_a_new_address_access_and_it_gets_the_mail_to_set_a_password(
    world, django_capture_on_commit_callbacks
):
    browser = page(world, world.manager, world.alpha)
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(
            "/members/grant/", {"email": " New.Person@Example.test ", "role": "client_viewer"}
        )
    assert response.status_code == 302 and response["Location"] == "/members/"
    person = User.objects.get(email="new.person@example.test")
    assert not person.has_usable_password()
    assert roles_on(person, world.alpha) == {Role.CLIENT_VIEWER}
    assert AuditEvent.objects.filter(
        verb="membership.granted", client_slug="alpha", actor=world.manager
    ).exists()
    [message] = mail.outbox
    assert message.to == ["new.person@example.test"]
    # an invitation in the brand's language (Alpha's is Dutch), naming the brand and who
    # invited, not a password reset the person never asked for
    assert "Alpha Bakery" in message.subject and "toegang" in message.subject
    assert "manager@example.test heeft je toegang gegeven tot Alpha Bakery" in str(message.body)
    # the link leads to allauth's reset page on the portal, where the account pages are
    link = re.search(r"http://\S+", str(message.body)).group(0)
    assert link.startswith(portal_url("/accounts/password/reset/key/"))
    html = browser.get("/members/").content.decode()
    assert "new.person@example.test has access as Client viewer." in html
    assert "has not set a password yet" in html
    # the link works: the person sets a password and may log in
    portal = HttpClient(HTTP_HOST=world.host(None))
    form_page = portal.get(link.removeprefix(portal_url("")), follow=True)
    assert form_page.status_code == 200 and b"password1" in form_page.content
    done = portal.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else link,
        {"password1": "a-long-new-pass-phrase", "password2": "a-long-new-pass-phrase"},
    )
    assert done.status_code == 302
    person.refresh_from_db()
    assert person.check_password("a-long-new-pass-phrase")


def test_an_existing_person_gets_access_without_a_mail(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = page(world, world.admin, world.alpha).post(
            "/members/grant/", {"email": "staff_b@example.test", "role": "agency_staff"}
        )
    assert response.status_code == 302
    assert roles_on(world.staff_b, world.alpha) == {Role.AGENCY_STAFF}
    assert roles_on(world.staff_b, world.bravo) == {Role.AGENCY_STAFF}
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        # the service's rules, as field errors
        (
            {"email": "viewer_b@example.test", "role": "client_viewer"},
            "role",
            "A client viewer sees one brand and holds no other role.",
        ),
        (
            {"email": "viewer_b@example.test", "role": "agency_staff"},
            "role",
            "A client viewer cannot also hold an agency role.",
        ),
        (
            {"email": "staff_a@example.test", "role": "client_viewer"},
            "role",
            "A client viewer sees one brand and holds no other role.",
        ),
        # the form's own
        ({"email": "not an address", "role": "agency_staff"}, "email", "valid email"),
        ({"email": "x@example.test", "role": "agency_admin"}, "role", "Select a valid choice"),
        ({"email": "x" * 300 + "@example.test", "role": "agency_staff"}, "email", "at most"),
    ],
)
def test_a_grant_that_cannot_be_is_a_field_error(world, data, field, message):
    before = Membership.objects.count(), User.objects.count()
    response = page(world, world.manager, world.alpha).post("/members/grant/", data)
    assert response.status_code == 400
    errors = response.context["grant_form"].errors
    assert list(errors) == [field] and message in " ".join(errors[field])
    assert f'id="id_{field}_error"' in response.content.decode()
    assert 'aria-current="page">Members' in response.content.decode()
    assert (Membership.objects.count(), User.objects.count()) == before
    assert mail.outbox == []


def test_a_manager_revokes_a_viewer_and_the_service_writes_the_audit_row(world):
    browser = page(world, world.manager, world.alpha)
    html = browser.get("/members/").content.decode()
    assert 'aria-label="Revoke access of viewer_a@example.test"' in html
    assert 'aria-label="Revoke access of admin@example.test"' not in html
    response = browser.post("/members/revoke/", {"email": "viewer_a@example.test"})
    assert response.status_code == 302
    assert roles_on(world.viewer_a, world.alpha) == set()
    event = AuditEvent.objects.get(verb="membership.revoked", client_slug="alpha")
    assert (event.actor, event.detail) == (
        world.manager,
        {"user": "viewer_a@example.test", "role": "client_viewer"},
    )
    html = browser.get("/members/").content.decode()
    assert "viewer_a@example.test no longer has access." in html
    # twice is nothing to do, not an error
    again = browser.post("/members/revoke/", {"email": "viewer_a@example.test"}, follow=True)
    assert "viewer_a@example.test had no role on this brand." in again.content.decode()
    assert page(world, world.viewer_a, world.alpha).get("/members/").status_code == 403


def test_an_agency_wide_role_is_not_revoked_from_a_brand(world):
    response = page(world, world.admin, world.alpha).post(
        "/members/revoke/", {"email": "manager@example.test"}
    )
    assert response.status_code == 400
    assert "Account manager is an agency-wide role" in response.content.decode()
    assert Membership.objects.filter(user=world.manager, role=Role.ACCOUNT_MANAGER).exists()
    with pytest.raises(MembershipError):
        membership_revoke(client=world.alpha, user=world.admin)


def test_revoking_on_alpha_leaves_bravo_alone(world):
    membership_grant(user=world.staff_b, role=Role.AGENCY_STAFF, client=world.alpha)
    page(world, world.manager, world.alpha).post(
        "/members/revoke/", {"email": "staff_b@example.test"}
    )
    assert roles_on(world.staff_b, world.alpha) == set()
    assert roles_on(world.staff_b, world.bravo) == {Role.AGENCY_STAFF}
    # bravo's viewer named on alpha's host: not a member of alpha, nothing taken
    page(world, world.manager, world.alpha).post(
        "/members/revoke/", {"email": "viewer_b@example.test"}
    )
    assert roles_on(world.viewer_b, world.bravo) == {Role.CLIENT_VIEWER}


@pytest.mark.parametrize("who", ["staff_a", "viewer_a"])
def test_staff_and_viewers_may_not_give_or_take_access(world, who):
    browser = page(world, getattr(world, who), world.alpha)
    grant = browser.post(
        "/members/grant/", {"email": "sneaky@example.test", "role": "agency_staff"}
    )
    revoke = browser.post("/members/revoke/", {"email": "viewer_a@example.test"})
    assert (grant.status_code, revoke.status_code) == (403, 403)
    assert not User.objects.filter(email="sneaky@example.test").exists()
    assert roles_on(world.viewer_a, world.alpha) == {Role.CLIENT_VIEWER}


def test_another_brand_stays_out_of_reach(world):
    staff_a = page(world, world.staff_a, world.bravo)
    assert staff_a.get("/members/").status_code == 403
    assert page(world, world.outsider, world.alpha).get("/members/").status_code == 403
    stranger = UserFactory.create(email="stranger@example.test")
    assert (
        page(world, stranger, world.alpha)
        .post("/members/grant/", {"email": "stranger@example.test", "role": "agency_staff"})
        .status_code
        == 403
    )
    assert roles_on(stranger, world.alpha) == set()


def test_bad_posts_are_4xx(world):
    browser = page(world, world.manager, world.alpha)
    assert browser.post("/members/revoke/", {"email": "\x00"}).status_code == 400
    assert browser.post("/members/revoke/", {}).status_code == 400
    assert browser.post("/members/grant/", {"email": ["a@b.test", "c@d.test"]}).status_code == 400
    assert browser.get("/members/grant/").status_code == 405


def test_the_page_costs_a_fixed_number_of_queries(world):
    browser = page(world, world.manager, world.alpha)
    browser.get("/members/")  # warm

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert browser.get("/members/").status_code == 200
        return len(captured)

    few = count()
    for n in range(5):
        membership_grant(
            user=UserFactory.create(email=f"extra{n}@example.test"),
            role=Role.AGENCY_STAFF,
            client=world.alpha,
        )
    assert count() == few  # not one query per person
    # the brand's search path, session, user, the brand's access, the manager's role (may they
    # give access?), the memberships with their users
    assert few == MEMBERS_QUERIES


MEMBERS_QUERIES = 6
