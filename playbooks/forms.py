"""The incident pages' forms: what a person may send, checked with field errors before the
service (playbooks.services) is called."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from agency.models import SITUATION_ORIGINS
from monitoring.models import Platform
from playbooks.models import IncidentStatus, Truth
from playbooks.services import MAX_RESPONSE

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


# --- The answer desk: replies and own posts ---------------------------------------------------

MAX_REASON = 500  # Response.override_reason


class DraftForm(forms.Form):
    """A draft reply to one of the wave's messages (`mention`), or an own post (`platform`)."""

    mention = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    platform = forms.ChoiceField(label=_("Platform"), required=False, choices=Platform.choices)
    text = forms.CharField(
        label=_("Text"),
        max_length=MAX_RESPONSE,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("Write the reply first.")},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("mention") and not data.get("platform"):
            self.add_error("platform", _("Choose the platform of the post."))
        return data


class EditForm(forms.Form):
    text = forms.CharField(
        label=_("Text"),
        max_length=MAX_RESPONSE,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("Write the reply first.")},
    )


class SendForm(forms.Form):
    """Send, optionally as a second reply a lead allows with a reason."""

    override_reason = forms.CharField(
        label=_("Allow a second reply: why (leads only)"), required=False, max_length=MAX_REASON
    )


class RecordForm(forms.Form):
    """A reply or own post made on the platform itself (or elsewhere), recorded with its URL."""

    mention = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    platform = forms.ChoiceField(label=_("Platform"), required=False, choices=Platform.choices)
    url = forms.URLField(label=_("Its address (URL)"), max_length=1000, assume_scheme="https")
    text = forms.CharField(
        label=_("What it said"),
        max_length=MAX_RESPONSE,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Paste what the brand said.")},
    )
    override_reason = forms.CharField(
        label=_("Allow a second reply: why (leads only)"), required=False, max_length=MAX_REASON
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("mention") and not data.get("platform"):
            self.add_error("platform", _("Choose the platform of the post."))
        return data


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Add a note to the timeline"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Write the note first.")},
    )


class LeadForm(forms.Form):
    """Hand the lead to one of the agency's people on the brand (`people`: their e-mails)."""

    lead = forms.ChoiceField(label=_("Hand the lead to"))

    def __init__(self, *args: Any, people: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lead"].choices = people  # type: ignore[attr-defined]
