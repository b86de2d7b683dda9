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
    # The watch log: the latest check, and whether the next one is due (refreshed each minute).
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_checked_by = models.CharField(max_length=254, blank=True)
    check_due = models.BooleanField(default=False)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "brand statuses"
        indexes = [models.Index(fields=["-rank"], name="brandstatus_rank")]

    def __str__(self) -> str:
        return f"{self.client_id}: {self.state}"


class DeskIncident(models.Model):
    """The brand's open incident as the agency desk shows it: a small row in the public
    schema beside BrandStatus, written by playbooks (playbooks.desk) after the incident's and
    its responses' changes commit and by its per-minute tick; deleted when no incident of the
    brand is open. The desk reads it with the status rows and never visits the brand's schema.

    The clock is stored as its moments (the minutes are counted when the desk is shown, so it
    runs between two writes): from the wave's first negative message on the origin platform
    (`started_at`, None while there is none) to the brand's first reply or own post there
    (`answered_at`), against the brand's `target_minutes`; `elsewhere_platform` is set when
    the first answer went to another platform before one came on the origin."""

    client = models.OneToOneField(
        "clients.Client", primary_key=True, on_delete=models.CASCADE, related_name="desk_incident"
    )
    incident_id = models.PositiveIntegerField()
    title = models.CharField(max_length=300)
    status = models.CharField(max_length=13)
    opened_at = models.DateTimeField()
    # The brand's other open incidents (older ones, of earlier waves), for "n more".
    more_open = models.PositiveIntegerField(default=0)
    wave_started_at = models.DateTimeField()
    origin_platform = models.CharField(max_length=20)
    started_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    target_minutes = models.PositiveSmallIntegerField()
    elsewhere_platform = models.CharField(max_length=20, blank=True)
    elsewhere_at = models.DateTimeField(null=True, blank=True)
    # The other platforms of the wave, most negative first: [{"platform", "mentions",
    # "negative", "owned", "latest": {"handle", "followers", "text", "url", "posted_at"} or
    # None}]; "owned": the brand has an account of its own there.
    platforms = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.client_id}: incident {self.incident_id} ({self.status})"


# --- The roster of the 24/7 watch (agency-wide, public schema) ------------------------------
# Rows only: the arithmetic of who is on duty when is agency.shifts, which these become through
# agency.selectors.schedule_plan.


class ShiftRole(models.TextChoices):
    PRIMARY = "primary", _("Primary")
    BACKUP = "backup", _("Backup")


class Schedule(models.Model):
    """Who watches which brands: layers of rotations in the schedule's time zone."""

    name = models.CharField(max_length=200, unique=True)
    timezone = models.CharField(max_length=64, default="Europe/Amsterdam")
    # The agency's night desk usually covers every client, also those onboarded later.
    covers_all = models.BooleanField(default=False)
    brands = models.ManyToManyField("clients.Client", blank=True, related_name="schedules")
    # New brands join it at onboarding, so that none is unwatched from its first minute.
    is_default = models.BooleanField(default=False)
    # The agency's duty managers: the last step of every escalation, and the fallback when a
    # brand has nobody on duty. Covers no brand itself.
    for_duty_managers = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_schedule"
            )
        ]

    def __str__(self) -> str:
        return self.name


class ScheduleLayer(models.Model):
    """One rotation of a schedule: its people take turns from `starts_on` at `hand_off`, each
    for `shift_hours` of wall-clock time, within its windows of the week (none: always)."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="layers")
    name = models.CharField(max_length=200, blank=True)
    priority = models.IntegerField(default=0)
    role = models.CharField(max_length=7, choices=ShiftRole.choices, default=ShiftRole.PRIMARY)
    starts_on = models.DateField()
    hand_off = models.TimeField()
    shift_hours = models.PositiveIntegerField(default=24)
    # Follow-the-sun: a layer may keep the hours of another zone than its schedule's.
    timezone = models.CharField(max_length=64, blank=True)
    # [{"weekdays": [0, 1, 2, 3, 4], "start": "08:00", "end": "20:00"}]
    windows = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-priority", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(shift_hours__gt=0), name="layer_shift_lasts")
        ]

    def __str__(self) -> str:
        return f"{self.schedule}: {self.name or self.role}"


class LayerMember(models.Model):
    """A person's place in a layer's rotation."""

    layer = models.ForeignKey(ScheduleLayer, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["layer", "position"], name="layermember_position"),
            models.UniqueConstraint(fields=["layer", "user"], name="layermember_once"),
        ]

    def __str__(self) -> str:
        return f"{self.layer} #{self.position}: {self.user}"


class ScheduleOverride(models.Model):
    """One person takes a stretch of a schedule (an approved swap is one too)."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="overrides")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    start = models.DateTimeField()
    end = models.DateTimeField()
    reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["schedule", "end"], name="override_schedule_end")]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="override_lasts")
        ]

    def __str__(self) -> str:
        return f"{self.schedule}: {self.user} {self.start:%Y-%m-%d %H:%M}"


class Leave(models.Model):
    """A person away: in no rotation's slot while it lasts (a lower layer or a gap shows)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="leave"
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["end"], name="leave_end")]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="leave_lasts")
        ]

    def __str__(self) -> str:
        return f"{self.user} away {self.start:%Y-%m-%d}"


class SwapStatus(models.TextChoices):
    OFFERED = "offered", _("Offered")
    TAKEN = "taken", _("Taken, awaiting approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ShiftSwap(models.Model):
    """A stretch of a schedule one person offers and a colleague takes; it changes nothing
    until an account manager approves it, which writes the taker's override."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="swaps")
    start = models.DateTimeField()
    end = models.DateTimeField()
    offered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=9, choices=SwapStatus.choices, default=SwapStatus.OFFERED)
    note = models.CharField(max_length=300, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    override = models.OneToOneField(
        ScheduleOverride, null=True, blank=True, on_delete=models.SET_NULL, related_name="swap"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="swap_lasts")
        ]

    def __str__(self) -> str:
        return f"swap {self.pk} ({self.status})"


# --- Notifications (agency-wide, public schema) ---------------------------------------------
# How people are reached (contact methods and their personal rules) and every message that
# leaves: the outbox, one row per message to one method of one person, written in the same
# transaction as the decision to send it and sent by a worker (agency.notify).


class ContactKind(models.TextChoices):
    EMAIL = "email", _("E-mail")
    PUSH = "push", _("Web Push")
    APPRISE = "apprise", _("Chat or SMS (an apprise URL)")


class ContactMethod(models.Model):
    """One way to reach a person. The target (an address, a push subscription, an apprise URL
    that carries the service's token) is encrypted at rest; a method is used for pages once a
    test message reached it and the person confirmed it (`verified_at`)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="contact_methods"
    )
    kind = models.CharField(max_length=7, choices=ContactKind.choices)
    label = models.CharField(max_length=100, blank=True)
    target_encrypted = models.TextField()
    # What a person may see of the target (an address, the service's scheme and host).
    target_hint = models.CharField(max_length=200, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.user}: {self.kind} {self.target_hint}"


class NotificationRule(models.Model):
    """A personal rule: when paged, reach this method this many minutes after the page (unless
    the alert was acknowledged meanwhile). A person without rules is reached on every verified
    method at once, and on their account's e-mail address if they have none."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_rules"
    )
    method = models.ForeignKey(ContactMethod, on_delete=models.CASCADE, related_name="rules")
    after_minutes = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["after_minutes", "id"]
        constraints = [
            models.UniqueConstraint(fields=["method", "after_minutes"], name="rule_once"),
            models.CheckConstraint(condition=Q(after_minutes__lte=240), name="rule_within_4h"),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.method_id} after {self.after_minutes} min"


class NotificationTopic(models.TextChoices):
    ALERT = "alert", _("Alert")
    WATCH = "watch", _("Missed check")
    GAP = "gap", _("Gap in cover")
    SHIFT = "shift", _("Shift reminder")
    SCHEDULE = "schedule", _("Schedule changed")
    TEST = "test", _("Test message")
    NOTICE = "notice", _("Notice to employees")


class NotificationStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Not needed any more")


class Notification(models.Model):
    """The outbox: one message to one method of one person. `key` says what it is for (the
    alert, its escalation's round and step, the person, the method), so that a decision taken
    twice writes one row and a retried send never reaches the person twice. A failed attempt
    waits `next_attempt_at` (backoff) and is tried again until it is delivered, or the alert
    it pages for is acknowledged or closed (then it is cancelled), or it is a day old."""

    key = models.CharField(max_length=300, unique=True)
    topic = models.CharField(max_length=8, choices=NotificationTopic.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    # A message to someone who is not a user (a brand's employee): their e-mail address.
    to_address = models.EmailField(blank=True)
    # Empty: the person's account e-mail address (the never-silent fallback).
    method = models.ForeignKey(
        ContactMethod, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=7, choices=ContactKind.choices)
    # The brand and alert it is about, if any: the alert's timeline shows its deliveries.
    client = models.ForeignKey(
        "clients.Client", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    alert_id = models.PositiveIntegerField(null=True, blank=True)
    escalation_id = models.PositiveIntegerField(null=True, blank=True)
    step = models.CharField(max_length=40, blank=True)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    link = models.URLField(max_length=1000, blank=True)
    status = models.CharField(
        max_length=9, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    # Handed to the provider (the last attempt's start), and accepted by it.
    sending_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["pending", "sending"]),
                name="notification_due",
            ),
            models.Index(fields=["client", "alert_id"], name="notification_alert"),
            models.Index(fields=["user", "-created_at"], name="notification_user"),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.status})"


class CalendarFeed(models.Model):
    """A secret-token iCal feed of one person's shifts or of one schedule. Replacing the token
    (a new row) stops the old URL."""

    token = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    schedule = models.ForeignKey(
        Schedule, null=True, blank=True, on_delete=models.CASCADE, related_name="feeds"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=True) ^ Q(schedule__isnull=True),
                name="feed_of_person_or_schedule",
            ),
            models.UniqueConstraint(
                fields=["user"], condition=Q(user__isnull=False), name="one_feed_per_person"
            ),
            models.UniqueConstraint(
                fields=["schedule"],
                condition=Q(schedule__isnull=False),
                name="one_feed_per_schedule",
            ),
        ]

    def __str__(self) -> str:
        return f"feed of {self.user or self.schedule}"


class GapNotice(models.Model):
    """A gap in a brand's cover that the account managers were told of: once when it first
    shows within the notice period ("ahead"), again when it is a day away ("soon")."""

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="+")
    start = models.DateTimeField()
    end = models.DateTimeField()
    stage = models.CharField(max_length=5)
    notified_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "start", "stage"], name="gap_notice_once")
        ]

    def __str__(self) -> str:
        return f"gap {self.client_id} {self.start:%Y-%m-%d %H:%M} ({self.stage})"


# --- Playbook templates (agency-wide, public schema) -------------------------------------
# Each brand gets copies in its language at onboarding (playbooks.services.playbooks_install)
# and edits its own; these are the agency's starting points, from playbooks.defaults.

SITUATION_ORIGINS = [
    ("", _("Any origin")),
    ("own_post", _("A wrong post of the brand's own")),
    ("failure", _("A product or service failure")),
    ("leak", _("A leak")),
    ("outside_event", _("An outside event in society")),
]
SITUATION_TIMINGS = [
    ("", _("Any time")),
    ("office", _("Office hours")),
    ("night", _("Night")),
    ("weekend", _("Weekend")),
    ("holiday", _("Holiday")),
]
STEP_WHO = [
    ("on_duty", _("The person on duty")),
    ("lead", _("The incident's lead")),
    ("account_manager", _("The account manager")),
    ("client", _("The client")),
]


class PlaybookFields(models.Model):
    """What an agency template and a brand's playbook share: a name in a language, and the
    situation it fits (empty: any)."""

    name = models.CharField(max_length=200)
    language = models.CharField(max_length=8)
    origin = models.CharField(max_length=16, blank=True, choices=SITUATION_ORIGINS)
    level = models.CharField(max_length=6, blank=True)
    timing = models.CharField(max_length=8, blank=True, choices=SITUATION_TIMINGS)
    platform = models.CharField(max_length=20, blank=True)

    class Meta:
        abstract = True


class StepFields(models.Model):
    """A step of a playbook: what, who, and by when in minutes from the incident's start."""

    position = models.PositiveSmallIntegerField()
    # What the incident does with the step (e.g. "holding_reply" stops the first-response
    # clock); blank for a step of the brand's own.
    kind = models.CharField(max_length=30, blank=True)
    title = models.CharField(max_length=200)
    instructions = models.TextField(blank=True)
    who = models.CharField(max_length=16, choices=STEP_WHO)
    due_minutes = models.PositiveIntegerField(
        help_text=_("Minutes from the incident's start by which the step is due.")
    )

    class Meta:
        abstract = True
        ordering = ["position"]


class PlaybookTemplate(PlaybookFields):
    key = models.SlugField(max_length=40)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["key", "language"]
        constraints = [
            models.UniqueConstraint(fields=["key", "language"], name="template_key_language")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.language})"


class PlaybookTemplateStep(StepFields):
    template = models.ForeignKey(PlaybookTemplate, on_delete=models.CASCADE, related_name="steps")

    class Meta(StepFields.Meta):
        constraints = [
            models.UniqueConstraint(fields=["template", "position"], name="templatestep_position")
        ]

    def __str__(self) -> str:
        return f"{self.template}: {self.position} {self.title}"
