"""Writes to agency-wide state: users, memberships, the audit trail."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction

from agency.exceptions import StormdeskError
from agency.models import AGENCY_WIDE_ROLES, AuditEvent, Membership, Role, User

if TYPE_CHECKING:
    from clients.models import Client


class MembershipError(StormdeskError):
    code = "invalid_membership"


def audit_record(
    *, verb: str, acting_user: User | None, client_slug: str = "", **detail: Any
) -> AuditEvent:
    return AuditEvent.objects.create(
        actor=acting_user if acting_user and acting_user.pk else None,
        verb=verb,
        client_slug=client_slug,
        detail=detail,
    )


def user_create(*, email: str, password: str | None, full_name: str = "") -> User:
    email = email.strip().lower()
    if User.objects.filter(email=email).exists():
        raise MembershipError(f"A user with e-mail {email} already exists.", field="email")
    return User.objects.create_user(email, password, full_name=full_name)


@transaction.atomic
def membership_grant(
    *, user: User, role: Role, client: Client | None = None, acting_user: User | None = None
) -> Membership:
    """Give `user` a role, agency-wide (admin, account manager) or on one client (staff, viewer).

    Idempotent: granting a role the user already has returns the existing membership.
    """
    if role in AGENCY_WIDE_ROLES and client is not None:
        raise MembershipError(
            f"{role.label} is an agency-wide role; give no client.", field="client"
        )
    if role not in AGENCY_WIDE_ROLES and client is None:
        raise MembershipError(f"{role.label} needs a client.", field="client")
    if client is not None and client.is_public:
        raise MembershipError("The agency itself is not a client brand.", field="client")

    existing = Membership.objects.select_for_update().filter(user=user)
    same = existing.filter(role=role, client=client).first()
    if same:
        return same
    is_viewer = existing.filter(role=Role.CLIENT_VIEWER).exists()
    if role == Role.CLIENT_VIEWER and existing.exists():
        raise MembershipError(
            "A client viewer sees one brand and holds no other role.", field="role"
        )
    if role != Role.CLIENT_VIEWER and is_viewer:
        raise MembershipError("A client viewer cannot also hold an agency role.", field="role")
    if role in AGENCY_WIDE_ROLES and existing.filter(client__isnull=True).exists():
        raise MembershipError("The user already has an agency-wide role.", field="role")
    if client is not None and existing.filter(client=client).exists():
        raise MembershipError(f"The user already has a role on {client.name}.", field="client")

    membership = Membership.objects.create(user=user, role=role, client=client)
    audit_record(
        verb="membership.granted",
        acting_user=acting_user,
        client_slug=client.slug if client else "",
        user=user.email,
        role=role.value,
    )
    return membership


@transaction.atomic
def membership_revoke(
    *, client: Client, user: User, acting_user: User | None = None
) -> Membership | None:
    """Take away `user`'s role on `client` (agency staff, client viewer); returns what was
    revoked, None when there was nothing to revoke (idempotent).

    An agency-wide role (admin, account manager) is not a role on one brand: revoking it from
    a brand is refused. Runs in the public schema (memberships live there)."""
    if client.is_public:
        raise MembershipError("The agency itself is not a client brand.", field="client")
    existing = Membership.objects.select_for_update().filter(user=user)
    membership = existing.filter(client=client).first()
    if membership is None:
        wide = existing.filter(client__isnull=True).first()
        if wide is not None:
            raise MembershipError(
                f"{Role(wide.role).label} is an agency-wide role: it is not revoked from one "
                "brand.",
                field="user",
            )
        return None
    membership.delete()
    audit_record(
        verb="membership.revoked",
        acting_user=acting_user,
        client_slug=client.slug,
        user=user.email,
        role=membership.role,
    )
    return membership


def user_language_set(*, user: User, language: str) -> User:
    """Store the interface language `user` chose ("" for the brand's, else the browser's)."""
    if language and language not in {code for code, _ in settings.LANGUAGES}:
        raise StormdeskError(f"Stormdesk does not speak {language!r}.", field="language")
    user.language = language
    user.save(update_fields=["language"])
    return user


@transaction.atomic
def membership_grant_by_email(
    *,
    email: str,
    role: Role,
    client: Client,
    acting_user: User | None,
    on_new_user: Callable[[User], None] | None = None,
) -> tuple[User, bool]:
    """Give the person with `email` a role on `client`; an address nobody has yet becomes a
    user without a password, and `on_new_user` (the invitation mail) runs after commit.
    Returns the user and whether they are new. Idempotent as membership_grant is."""
    user = User.objects.filter(email=email.strip().lower()).first()
    created = user is None
    if user is None:
        user = user_create(email=email, password=None)
    membership_grant(user=user, role=role, client=client, acting_user=acting_user)
    if created and on_new_user is not None:
        invited = user
        transaction.on_commit(lambda: on_new_user(invited))
    return user, created
