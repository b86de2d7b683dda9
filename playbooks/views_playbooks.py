"""The brand's playbooks: the list with the situation each fits, and a playbook's page where
the agency's people change its situation and steps (a formset of rows: who, what, by when).
Client viewers read them. The same service as the API would call (playbooks.services)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from agency.exceptions import StormdeskError
from agency.models import SITUATION_ORIGINS, SITUATION_TIMINGS, STEP_WHO
from monitoring.models import Level, Platform
from monitoring.views.base import brand_of, writes
from playbooks.lessons import playbook_lessons, playbooks_with_lessons_waiting
from playbooks.models import Playbook
from playbooks.services import MAX_PLAYBOOK_STEPS, playbook_update

# The alert levels (an incident starts at watch), or any.
LEVELS = [("", gettext_lazy("Any level")), *[(k, v) for k, v in Level.choices if k != Level.NOISE]]


class PlaybookForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    origin = forms.ChoiceField(
        label=gettext_lazy("What happened"), choices=SITUATION_ORIGINS, required=False
    )
    level = forms.ChoiceField(label=gettext_lazy("Level"), choices=LEVELS, required=False)
    timing = forms.ChoiceField(
        label=gettext_lazy("When"), choices=SITUATION_TIMINGS, required=False
    )
    platform = forms.ChoiceField(
        label=gettext_lazy("Where it started"),
        choices=[("", gettext_lazy("Any platform")), *Platform.choices],
        required=False,
    )
    is_active = forms.BooleanField(label=gettext_lazy("In use"), required=False)


class StepForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Step"), max_length=200, required=False)
    who = forms.ChoiceField(label=gettext_lazy("Who"), choices=STEP_WHO)
    due_minutes = forms.IntegerField(
        label=gettext_lazy("Due after (minutes)"), min_value=0, max_value=43200, required=False
    )
    instructions = forms.CharField(
        label=gettext_lazy("Instructions"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    kind = forms.CharField(max_length=30, required=False, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("title") and data.get("due_minutes") is None:
            self.add_error("due_minutes", _("By when, in minutes from the start?"))
        return data


StepFormSet = forms.formset_factory(StepForm, extra=2, max_num=MAX_PLAYBOOK_STEPS, absolute_max=60)


@require_GET
def playbooks_page(request: HttpRequest) -> HttpResponse:
    client = brand_of(request)
    playbooks = list(playbooks_with_lessons_waiting(client=client))
    return render(
        request,
        "playbooks/playbooks.html",
        {"client": client, "playbooks": playbooks, "writes": writes(request)},
    )


def playbook_initial(playbook: Playbook) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    return (
        {
            "name": playbook.name,
            "origin": playbook.origin,
            "level": playbook.level,
            "timing": playbook.timing,
            "platform": playbook.platform,
            "is_active": playbook.is_active,
        },
        [
            {
                "title": s.title,
                "who": s.who,
                "due_minutes": s.due_minutes,
                "instructions": s.instructions,
                "kind": s.kind,
            }
            for s in playbook.steps.all()
        ],
    )


@require_http_methods(["GET", "POST"])
def playbook_page(request: HttpRequest, pk: int) -> HttpResponse:
    client = brand_of(request)
    playbook = get_object_or_404(Playbook, pk=pk)
    head, rows = playbook_initial(playbook)
    form, steps = PlaybookForm(initial=head), StepFormSet(initial=rows, prefix="steps")
    status = 200
    if request.method == "POST":
        if not writes(request):
            raise PermissionDenied
        form = PlaybookForm(request.POST)
        steps = StepFormSet(request.POST, prefix="steps")
        if form.is_valid() and steps.is_valid():
            chosen = [s for s in steps.cleaned_data if s and s.get("title")]
            try:
                playbook_update(
                    client=client,
                    playbook=playbook,
                    acting_user=request.user,  # type: ignore[arg-type]
                    steps=chosen,
                    **form.cleaned_data,
                )
            except StormdeskError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("The playbook is saved."))
                return redirect("playbook-page", pk=playbook.pk)
        status = 400
    return render(
        request,
        "playbooks/playbook.html",
        {
            "client": client,
            "playbook": playbook,
            "form": form,
            "steps": steps,
            "writes": writes(request),
            "lessons": playbook_lessons(client=client, playbook=playbook),
        },
        status=status,
    )
