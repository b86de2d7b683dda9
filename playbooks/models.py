"""Playbooks, incidents, responses, Q&A pages, notices and ambassadors (tenant schema).

A brand's playbooks are its own copies of the agency's templates (agency.models
PlaybookTemplate), edited per brand: the situation each fits and its ordered steps with who
does them and when, in minutes from the incident's start."""

from __future__ import annotations

from datetime import time

from django.db import models

from agency.models import PlaybookFields, StepFields


class ResponseSettings(models.Model):
    """How the brand's response works: its office hours and holidays (the timing a playbook
    is chosen by), on the brand's clock."""

    singleton = models.BooleanField(default=True, unique=True, editable=False)
    office_starts = models.TimeField(default=time(9, 0))
    office_ends = models.TimeField(default=time(17, 0))
    # ISO dates ("2026-12-25") on which the brand is closed.
    holidays = models.JSONField(default=list, blank=True)
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
