"""The incident pages' forms: what a person may send, checked with field errors before the
service (playbooks.services) is called."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from agency.models import SITUATION_ORIGINS
from playbooks.models import IncidentStatus, Truth

MAX_NOTE = 500  # IncidentStep.note
MAX_REVIEW = 5000  # playbooks.services.incident_close


class OriginForm(forms.Form):
    origin = forms.ChoiceField(
        label=_("What happened?"),
        required=False,
        choices=[("", _("Not known yet")), *SITUATION_ORIGINS[1:]],
    )


class StepDoneForm(forms.Form):
    note = forms.CharField(label=_("Note (optional)"), required=False, max_length=MAX_NOTE)


class StatusForm(forms.Form):
    # Closing has its own form, with the review.
    status = forms.ChoiceField(
        choices=[(k, v) for k, v in IncidentStatus.choices if k != IncidentStatus.CLOSED]
    )


class CloseForm(forms.Form):
    """The review the Swedish article asks for: was there truth in the critique, and what
    should the brand improve (unless there was none)."""

    truth = forms.ChoiceField(
        label=_("Was there truth in the critique?"),
        choices=Truth.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Say whether there was truth in the critique.")},
    )
    improvements = forms.CharField(
        label=_("What should the brand improve?"),
        required=False,
        max_length=MAX_REVIEW,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    lessons = forms.CharField(
        label=_("Lessons for the playbook (optional)"),
        required=False,
        max_length=MAX_REVIEW,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        truth = data.get("truth")
        if truth and truth != Truth.NO and not data.get("improvements", "").strip():
            self.add_error(
                "improvements",
                _("There was some truth in it: say what the brand should improve."),
            )
        return data
