"""The brand pages' forms: what a person may send, checked with field errors."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from monitoring.models import AlertStatus, Level
from monitoring.services.alerts import MAX_NOTE


class AlertFiltersForm(forms.Form):
    level = forms.ChoiceField(
        label=_("Level"), required=False, choices=[("", _("any level")), *Level.choices[1:]]
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("any status")), *AlertStatus.choices]
    )


class ResolveForm(forms.Form):
    note = forms.CharField(
        label=_("What was done (optional)"),
        required=False,
        max_length=MAX_NOTE,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class DismissForm(forms.Form):
    reason = forms.CharField(
        label=_("Why this is noise"),
        max_length=MAX_NOTE,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Say why this is noise.")},
    )
