"""The agency's shared-schema models: global users, their memberships, the audit trail."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("A user needs an e-mail address.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person, agency or client side, with one login for the portal and every brand host."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="May use the Django admin.")
    date_joined = models.DateTimeField(default=timezone.now)
    # The interface's language this person chose; empty: the brand's on its pages, else the
    # browser's.
    language = models.CharField(max_length=8, blank=True, choices=settings.LANGUAGES)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []  # Django reads it as a plain list

    def __str__(self) -> str:
        return self.email


class Role(models.TextChoices):
    AGENCY_ADMIN = "agency_admin", _("Agency admin")
    ACCOUNT_MANAGER = "account_manager", _("Account manager")
    AGENCY_STAFF = "agency_staff", _("Agency staff")
    CLIENT_VIEWER = "client_viewer", _("Client viewer")


AGENCY_WIDE_ROLES = (Role.AGENCY_ADMIN, Role.ACCOUNT_MANAGER)
PER_CLIENT_ROLES = (Role.AGENCY_STAFF, Role.CLIENT_VIEWER)
AGENCY_ROLES = (Role.AGENCY_ADMIN, Role.ACCOUNT_MANAGER, Role.AGENCY_STAFF)


class Membership(models.Model):
    """What a user may do where.

    Agency admins and account managers hold one agency-wide membership (no client); agency staff
    hold one per client they cover; a client viewer holds exactly one, for their own brand.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    client = models.ForeignKey(
        "clients.Client",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="membership_client_matches_role",
                condition=(
                    Q(role__in=AGENCY_WIDE_ROLES, client__isnull=True)
                    | Q(role__in=PER_CLIENT_ROLES, client__isnull=False)
                ),
            ),
            models.UniqueConstraint(
                fields=["user"], condition=Q(client__isnull=True), name="one_agency_wide_role"
            ),
            models.UniqueConstraint(fields=["user", "client"], name="one_role_per_client"),
            models.UniqueConstraint(
                fields=["user"], condition=Q(role=Role.CLIENT_VIEWER), name="viewer_of_one_client"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.role} {self.client or 'agency'}"


class AuditEvent(models.Model):
    """Who changed what in the agency, and when. Written by the services, never by signals."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    verb = models.CharField(max_length=50)
    # Slug rather than a foreign key: the trail outlives an offboarded brand.
    client_slug = models.CharField(max_length=40, blank=True)
    detail = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["client_slug", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.verb} {self.client_slug}"


class DeskState(models.TextChoices):
    """How a brand stands on the desk, from its open wave's verdict (noise reads as calm)."""

    CALM = "calm", _("Calm")
    WATCH = "watch", _("Watch")
    ISSUE = "issue", _("Issue")
    CRISIS = "crisis", _("Crisis")


DESK_RANK = {state: rank for rank, state in enumerate(DeskState.values)}


class BrandStatus(models.Model):
    """A brand as the agency desk shows it: one small row per brand in the public schema.

    Written by the brand's own work after it commits (processing, the per-minute detection
    tick, alert actions, polls: monitoring.services.status), so that the desk reads this one
    table for every brand the person covers instead of visiting every brand's schema. `rank`
    orders the desk (what burns on top) and is indexed."""

    client = models.OneToOneField(
        "clients.Client", primary_key=True, on_delete=models.CASCADE, related_name="desk_status"
    )
    state = models.CharField(max_length=6, choices=DeskState.choices, default=DeskState.CALM)
    # Higher burns more: the state's rank, then unacknowledged alerts, then failing sources.
    rank = models.PositiveIntegerField(default=0)
    wave_id = models.PositiveIntegerField(null=True, blank=True)
    wave_started_at = models.DateTimeField(null=True, blank=True)
    reasons = models.JSONField(default=list, blank=True)
    open_alerts = models.PositiveIntegerField(default=0)
    # The open alert a person should look at first: the highest level, then the oldest.
    alert_id = models.PositiveIntegerField(null=True, blank=True)
    alert_level = models.CharField(max_length=6, blank=True)
    alert_status = models.CharField(max_length=12, blank=True)
    alert_title = models.CharField(max_length=300, blank=True)
    alert_opened_at = models.DateTimeField(null=True, blank=True)
    sources_total = models.PositiveIntegerField(default=0)
    sources_failing = models.JSONField(default=list, blank=True)  # [{"id", "name", "error"}]
    sources_silent = models.JSONField(default=list, blank=True)  # [{"id", "name", "hours"}]
    # The newest negative posts by multipliers: [{"handle", "followers", "platform", "text",
    # "url", "posted_at"}], newest first.
    multiplier_posts = models.JSONField(default=list, blank=True)
    mentions_last_hour = models.PositiveIntegerField(default=0)
    negative_last_hour = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "brand statuses"
        indexes = [models.Index(fields=["-rank"], name="brandstatus_rank")]

    def __str__(self) -> str:
        return f"{self.client_id}: {self.state}"
