"""Reads about who may see which brand. Everything here runs against public-schema tables."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from agency.models import AGENCY_ROLES, AGENCY_WIDE_ROLES, Membership, Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from agency.models import BrandStatus, DeskIncident, User
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
class DeskClock:
    """The first-response clock of a brand's open incident, counted now: the minutes from the
    first negative message on the origin platform to the answer there, or to now while there
    is none (None: no negative message there yet), late past the brand's target."""

    platform: str
    started_at: datetime | None
    answered_at: datetime | None
    target_minutes: int
    elsewhere: str  # the platform the first answer went to instead, or ""
    minutes: int | None
    late: bool


@dataclass(frozen=True)
class DeskPlatform:
    """Another platform of the incident's wave: its mentions and negative ones there, whether
    the brand has an account of its own there, and the newest negative post (a dict of handle,
    followers, text, url and posted_at, a datetime), if any."""

    platform: str
    mentions: int
    negative: int
    owned: bool
    latest: dict[str, Any] | None


def _latest(post: dict[str, Any] | None) -> dict[str, Any] | None:
    if not post:
        return None
    try:
        posted_at: datetime | None = datetime.fromisoformat(str(post.get("posted_at")))
    except ValueError:
        posted_at = None
    return {**post, "posted_at": posted_at}


@dataclass(frozen=True)
class DeskRow:
    """One brand on the desk: the brand, its status row (None until its first refresh), who is
    on duty for it now (no primary: nobody watches it, the desk shows it red), and its open
    incident (agency.models.DeskIncident, written by playbooks.desk), if any."""

    client: Client
    status: BrandStatus | None
    primary: User | None = None
    backup: User | None = None
    incident: DeskIncident | None = None

    @property
    def uncovered(self) -> bool:
        return self.primary is None

    @property
    def rank(self) -> int:
        # An open incident goes above the brands of the same state that have none.
        return (self.status.rank if self.status else 0) + (500 if self.incident else 0)

    @property
    def clock(self) -> DeskClock | None:
        incident = self.incident
        if incident is None:
            return None
        minutes = None
        if incident.started_at is not None:
            end = incident.answered_at or timezone.now()
            minutes = max(0.0, (end - incident.started_at).total_seconds() / 60)
        return DeskClock(
            platform=incident.origin_platform,
            started_at=incident.started_at,
            answered_at=incident.answered_at,
            target_minutes=incident.target_minutes,
            elsewhere=incident.elsewhere_platform,
            minutes=None if minutes is None else int(minutes),
            late=minutes is not None and minutes > incident.target_minutes,
        )

    def _platforms(self) -> list[DeskPlatform]:
        if self.incident is None:
            return []
        return [
            DeskPlatform(
                platform=str(p.get("platform", "")),
                mentions=int(p.get("mentions") or 0),
                negative=int(p.get("negative") or 0),
                owned=bool(p.get("owned")),
                latest=_latest(p.get("latest")),
            )
            for p in self.incident.platforms
            if isinstance(p, dict)
        ]

    @property
    def other_platforms(self) -> list[DeskPlatform]:
        """The other platforms where the wave has posts, most negative first."""
        return [p for p in self._platforms() if p.mentions]

    @property
    def quiet_platforms(self) -> list[str]:
        """The brand's own other platforms where the wave has nothing yet."""
        return [p.platform for p in self._platforms() if not p.mentions]


def desk_rows(*, user: User | AnonymousUser) -> list[DeskRow]:
    """The brands `user` covers, what burns on top, each with who is on duty for it and its
    open incident: the same queries whatever their number (the brands, their status rows,
    their incidents, the roster, its people; all in the public schema, no brand schema is
    read)."""
    from agency.models import BrandStatus, DeskIncident, User
    from agency.roster import on_duty_for_brands

    clients = list(clients_for_user(user=user))
    statuses = {s.client_id: s for s in BrandStatus.objects.filter(client__in=clients)}
    incidents = {i.client_id: i for i in DeskIncident.objects.filter(client__in=clients)}
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
            incident=incidents.get(c.pk),
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
