"""Reads about who may see which brand. Everything here runs against public-schema tables."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

from agency.models import AGENCY_ROLES, AGENCY_WIDE_ROLES, Membership, Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from agency.models import BrandStatus, User
    from clients.models import Client, ClientQuerySet


class Access(enum.Enum):
    FULL = "full"
    READ = "read"


def user_agency_role(*, user: User | AnonymousUser) -> Role | None:
    """The user's highest agency-side role, or CLIENT_VIEWER, or None."""
    if not user.is_authenticated:
        return None
    roles = set(Membership.objects.filter(user=user).values_list("role", flat=True))
    for role in (Role.AGENCY_ADMIN, Role.ACCOUNT_MANAGER, Role.AGENCY_STAFF, Role.CLIENT_VIEWER):
        if role in roles:
            return role
    return None


def user_is_agency(*, user: User | AnonymousUser) -> bool:
    return user_agency_role(user=user) in AGENCY_ROLES


def user_can_manage_clients(*, user: User | AnonymousUser) -> bool:
    """Onboarding and offboarding: agency admins and account managers."""
    return user_agency_role(user=user) in AGENCY_WIDE_ROLES


def client_access(*, user: User | AnonymousUser, client: Client) -> Access | None:
    """What `user` may do on `client`'s host: everything, read only, or nothing (None)."""
    if not user.is_authenticated or not user.is_active or client.is_public:
        return None
    memberships = Membership.objects.filter(user=user).filter(
        role__in=AGENCY_WIDE_ROLES
    ) | Membership.objects.filter(user=user, client=client)
    roles = set(memberships.values_list("role", flat=True))
    if roles & {Role.AGENCY_ADMIN, Role.ACCOUNT_MANAGER, Role.AGENCY_STAFF}:
        return Access.FULL
    if Role.CLIENT_VIEWER in roles:
        return Access.READ
    return None


def clients_for_user(*, user: User | AnonymousUser) -> ClientQuerySet:
    """The brands `user` may open, in name order."""
    from clients.models import Client

    brands = Client.objects.brands()
    if not user.is_authenticated:
        return brands.none()
    if Membership.objects.filter(user=user, role__in=AGENCY_WIDE_ROLES).exists():
        return brands
    return brands.filter(memberships__user=user).distinct()


@dataclass(frozen=True)
class DeskRow:
    """One brand on the desk: the brand, its status row (None until its first refresh), and
    who is on duty for it now (no primary: nobody watches it, the desk shows it red)."""

    client: Client
    status: BrandStatus | None
    primary: User | None = None
    backup: User | None = None

    @property
    def uncovered(self) -> bool:
        return self.primary is None

    @property
    def rank(self) -> int:
        return self.status.rank if self.status else 0


def desk_rows(*, user: User | AnonymousUser) -> list[DeskRow]:
    """The brands `user` covers, what burns on top, each with who is on duty for it: the same
    queries whatever their number (the brands, their status rows, the roster, its people; all
    in the public schema, no brand schema is read)."""
    from agency.models import BrandStatus, User
    from agency.roster import on_duty_for_brands

    clients = list(clients_for_user(user=user))
    statuses = {s.client_id: s for s in BrandStatus.objects.filter(client__in=clients)}
    covers = on_duty_for_brands(clients=clients)
    ids = {int(p) for cover, _ in covers.values() for p in (cover.primary, cover.backup) if p}
    people = User.objects.in_bulk(ids) if ids else {}

    def person(key: str | None) -> User | None:
        return people.get(int(key)) if key else None

    rows = [
        DeskRow(
            client=c,
            status=statuses.get(c.pk),
            primary=person(covers[c.pk][0].primary),
            backup=person(covers[c.pk][0].backup),
        )
        for c in clients
    ]
    return sorted(rows, key=lambda row: (-row.rank, row.client.name.lower()))


@dataclass(frozen=True)
class BrandMembers:
    """Who has access to one brand: agency-wide roles, its agency staff, its client viewers."""

    agency_wide: list[Membership]
    staff: list[Membership]
    viewers: list[Membership]


def brand_members(*, client: Client) -> BrandMembers:
    """Everyone who may open `client`, by kind, in e-mail order: one query (public schema)."""
    memberships = (
        Membership.objects.filter(role__in=AGENCY_WIDE_ROLES, client__isnull=True)
        | Membership.objects.filter(client=client)
    ).select_related("user")
    by_role: dict[str, list[Membership]] = {role: [] for role in Role.values}
    for membership in memberships.order_by("user__email", "pk"):
        by_role[membership.role].append(membership)
    return BrandMembers(
        agency_wide=by_role[Role.AGENCY_ADMIN] + by_role[Role.ACCOUNT_MANAGER],
        staff=by_role[Role.AGENCY_STAFF],
        viewers=by_role[Role.CLIENT_VIEWER],
    )


def user_by_email(*, email: str) -> User | None:
    """The user with this e-mail address (stored in lower case, agency.services.user_create)."""
    from agency.models import User

    return User.objects.filter(email=email.strip().lower()).first()
