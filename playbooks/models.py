"""Playbooks, incidents, responses, Q&A pages, notices and ambassadors (tenant schema).

A brand's playbooks are its own copies of the agency's templates (agency.models
PlaybookTemplate), edited per brand: the situation each fits and its ordered steps with who
does them and when, in minutes from the incident's start."""

from __future__ import annotations

from datetime import time

from django.db import models
from django.utils.translation import gettext_lazy as _

from agency.models import SITUATION_ORIGINS, STEP_WHO, PlaybookFields, StepFields


class ResponseSettings(models.Model):
    """How the brand's response works: its office hours and holidays (the timing a playbook
    is chosen by), on the brand's clock."""

    singleton = models.BooleanField(default=True, unique=True, editable=False)
    office_starts = models.TimeField(default=time(9, 0))
    office_ends = models.TimeField(default=time(17, 0))
    # ISO dates ("2026-12-25") on which the brand is closed.
    holidays = models.JSONField(default=list, blank=True)
    # A crisis alert opens its incident at once (else a person opens it).
    auto_incident_for_crisis = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "response settings"

    def __str__(self) -> str:
        return "response settings"


class Playbook(PlaybookFields):
    # The agency template it was copied from, if any (a key: templates outlive copies).
    template_key = models.SlugField(max_length=40, blank=True)
    is_active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class PlaybookStep(StepFields):
    playbook = models.ForeignKey(Playbook, on_delete=models.CASCADE, related_name="steps")

    class Meta(StepFields.Meta):
        constraints = [
            models.UniqueConstraint(fields=["playbook", "position"], name="playbookstep_position")
        ]

    def __str__(self) -> str:
        return f"{self.playbook}: {self.position} {self.title}"


# --- Incidents --------------------------------------------------------------------------------


class IncidentStatus(models.TextChoices):
    INVESTIGATING = "investigating", _("Investigating")
    RESPONDING = "responding", _("Responding")
    MONITORING = "monitoring", _("Monitoring")
    CLOSED = "closed", _("Closed")


class Truth(models.TextChoices):
    YES = "yes", _("Yes")
    PARTLY = "partly", _("Partly")
    NO = "no", _("No")


class Incident(models.Model):
    """The brand's response to a wave: opened from its alert, worked through the chosen
    playbook's checklist, closed with the review the Swedish article asks for."""

    # (Alerts and waves are never deleted; a brand's whole schema goes at offboarding.)
    alert = models.ForeignKey(
        "monitoring.Alert", on_delete=models.CASCADE, related_name="incidents"
    )
    wave = models.ForeignKey("monitoring.Wave", on_delete=models.CASCADE, related_name="incidents")
    title = models.CharField(max_length=300)
    status = models.CharField(
        max_length=13, choices=IncidentStatus.choices, default=IncidentStatus.INVESTIGATING
    )
    # What happened, as a person says it (the playbook's origin); "" until someone does.
    origin = models.CharField(max_length=16, blank=True, choices=SITUATION_ORIGINS)
    playbook = models.ForeignKey(
        Playbook, null=True, blank=True, on_delete=models.SET_NULL, related_name="incidents"
    )
    # Why that playbook: "night + Instagram origin + crisis -> Night crisis".
    playbook_reason = models.CharField(max_length=300, blank=True)
    # People as e-mail addresses, as alerts keep them (users live in the public schema).
    lead = models.CharField(max_length=254, blank=True)
    responders = models.JSONField(default=list, blank=True)
    opened_at = models.DateTimeField()
    opened_by = models.CharField(max_length=254, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The review at closing: was there truth in the critique, what should the brand improve.
    truth = models.CharField(max_length=6, blank=True, choices=Truth.choices)
    improvements = models.TextField(blank=True)
    lessons = models.TextField(blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["wave"],
                condition=~models.Q(status="closed"),
                name="one_open_incident_per_wave",
            )
        ]

    def __str__(self) -> str:
        return f"incident {self.pk}: {self.title}"


class IncidentStep(models.Model):
    """A step of the incident's checklist: the playbook's step, due at a moment."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=30, blank=True)
    title = models.CharField(max_length=200)
    instructions = models.TextField(blank=True)
    who = models.CharField(max_length=16, choices=STEP_WHO)
    due_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.CharField(max_length=254, blank=True)
    note = models.CharField(max_length=500, blank=True)
    # When its lead was told it is overdue (once).
    overdue_told_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "position"], name="incidentstep_position")
        ]
        indexes = [
            models.Index(
                fields=["due_at"], condition=models.Q(done_at__isnull=True), name="step_open_due"
            )
        ]

    def __str__(self) -> str:
        return f"{self.incident_id}/{self.position} {self.title}"


class IncidentEventKind(models.TextChoices):
    OPENED = "opened", _("Opened")
    PLAYBOOK = "playbook", _("Playbook chosen")
    STEP_DONE = "step_done", _("Step done")
    STEP_OVERDUE = "step_overdue", _("Step overdue")
    STATUS = "status", _("Status changed")
    LEAD = "lead", _("Lead changed")
    NOTE = "note", _("Note")
    RESPONSE = "response", _("Reply or own post")
    CLOSED = "closed", _("Closed")
    LESSONS = "lessons", _("Lessons applied")


class IncidentEvent(models.Model):
    """The incident's own timeline (the alert's events and pages are merged in when read)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    kind = models.CharField(max_length=12, choices=IncidentEventKind.choices)
    actor = models.CharField(max_length=254, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.incident_id} {self.kind} at {self.at:%Y-%m-%d %H:%M}"


# --- Lessons: the playbook changed from an incident's review ---------------------------------


class PlaybookChange(models.Model):
    """A brand's playbook changed from a closed incident's lessons (playbooks.lessons), or kept
    as it was after they were read (`changes` empty): what changed, by whom, when. A closed
    incident with lessons and no such row has its lessons waiting."""

    playbook = models.ForeignKey(Playbook, on_delete=models.CASCADE, related_name="lesson_changes")
    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="playbook_changes"
    )
    # playbooks.stepdiff's changes, said in the reader's language when shown.
    changes = models.JSONField(default=list, blank=True)
    actor = models.CharField(max_length=254)
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.playbook_id} from incident {self.incident_id} at {self.at:%Y-%m-%d %H:%M}"


# --- Responses: replies and own posts -----------------------------------------------------


class ResponseKind(models.TextChoices):
    REPLY = "reply", _("Reply")
    POST = "post", _("Own post")


class ResponseStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    # Claimed and being handed to the platform: counts as the thread's reply, so that two
    # people sending at once cannot both reach the platform; a failure frees it.
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    RECORDED = "recorded", _("Made elsewhere, recorded")
    FAILED = "failed", _("Failed")


# The responses that count: a reply the brand made (or is making), wherever it made it.
COUNTED = ["sending", "sent", "recorded"]


class Response(models.Model):
    """A reply to a mention, or an own post, by the brand on a platform. Reply once: the
    database holds at most one counted reply per thread, and per author within an incident,
    unless a lead overrode the rule with a reason; two people answering the same post at the
    same moment end with one reply and one refusal."""

    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="responses"
    )
    kind = models.CharField(max_length=5, choices=ResponseKind.choices)
    platform = models.CharField(max_length=20)
    mention = models.ForeignKey(
        "monitoring.Mention",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="responses",
    )
    # "<platform>:<thread>" and "<platform>:<author>" of the mention answered ("" for a post).
    thread_key = models.CharField(max_length=250, blank=True)
    author_key = models.CharField(max_length=250, blank=True)
    text = models.TextField()
    url = models.URLField(max_length=1000, blank=True)
    status = models.CharField(max_length=8, choices=ResponseStatus.choices)
    override_reason = models.CharField(max_length=500, blank=True)
    created_by = models.CharField(max_length=254)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["thread_key"],
                condition=models.Q(kind="reply", status__in=COUNTED, override_reason="")
                & ~models.Q(thread_key=""),
                name="reply_once_per_thread",
            ),
            models.UniqueConstraint(
                fields=["incident", "author_key"],
                condition=models.Q(kind="reply", status__in=COUNTED, override_reason="")
                & ~models.Q(author_key="")
                & models.Q(incident__isnull=False),
                name="reply_once_per_author_in_incident",
            ),
        ]
        indexes = [models.Index(fields=["platform", "sent_at"], name="response_platform_sent")]

    def __str__(self) -> str:
        return f"{self.kind} on {self.platform} ({self.status})"


# --- The crisis Q&A page ------------------------------------------------------------------


class QAPage(models.Model):
    """An incident's public Q&A page on the brand's host (no login), at /qa/<code>/: the
    short link every reply and post carries. Each publication is a version, kept."""

    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="qa_page")
    code = models.SlugField(max_length=16, unique=True)
    published = models.ForeignKey(
        "QAVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Q&A {self.code}"


class QAVersion(models.Model):
    page = models.ForeignKey(QAPage, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    language = models.CharField(max_length=8)
    title = models.CharField(max_length=300)
    # Questions and answers: [{"q": ..., "a": ...}], in order.
    entries = models.JSONField(default=list)
    intro = models.TextField(blank=True)
    created_by = models.CharField(max_length=254)
    created_at = models.DateTimeField()
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["page", "number"], name="qaversion_number")]

    def __str__(self) -> str:
        return f"{self.page} v{self.number}"


# --- Employees and their notices ------------------------------------------------------------


class Employee(models.Model):
    """One of the brand's employees, to inform at once in a crisis (imported from a CSV)."""

    email = models.EmailField()
    name = models.CharField(max_length=200, blank=True)
    department = models.CharField(max_length=200, blank=True)
    language = models.CharField(max_length=8, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "email"]
        constraints = [models.UniqueConstraint(fields=["email"], name="employee_email")]

    def __str__(self) -> str:
        return self.email


class EmployeeNotice(models.Model):
    """A notice to the employees during an incident, with the guideline for their personal
    accounts; each employee's copy has a signed read link."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="notices")
    subject = models.CharField(max_length=300)
    body = models.TextField()
    created_by = models.CharField(max_length=254)
    sent_at = models.DateTimeField()
    # Who has not read it after this many minutes is reminded (once).
    remind_after_minutes = models.PositiveSmallIntegerField(default=30)

    class Meta:
        ordering = ["-sent_at", "-id"]

    def __str__(self) -> str:
        return self.subject


class NoticeReceipt(models.Model):
    notice = models.ForeignKey(EmployeeNotice, on_delete=models.CASCADE, related_name="receipts")
    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="receipts")
    # The outbox message that carried it (agency.models.Notification key), and the reminder's.
    sent_key = models.CharField(max_length=300, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["notice", "employee"], name="receipt_once")]

    def __str__(self) -> str:
        return f"{self.notice_id} -> {self.employee_id}"


# --- Ambassadors ----------------------------------------------------------------------------


class Ambassador(models.Model):
    """A loyal fan of the brand, who often corrects an unfair statement before the brand does:
    a person with their accounts on the platforms, and a way to reach them out of band."""

    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    note = models.CharField(max_length=500, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class AmbassadorAccount(models.Model):
    ambassador = models.ForeignKey(Ambassador, on_delete=models.CASCADE, related_name="accounts")
    author = models.ForeignKey(
        "monitoring.Author", on_delete=models.CASCADE, related_name="ambassador_accounts"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["author"], name="one_ambassador_per_author")]

    def __str__(self) -> str:
        return f"{self.ambassador}: {self.author_id}"
