"""Change the playbook with an incident's lessons: the closed incident's playbook in its editor,
the review's lessons beside the steps, saved through playbooks.lessons (which saves through
playbook_update); or the playbook kept as it is. For the agency's people on the brand only: a
client viewer reads the lessons on the incident and the playbook pages, and is refused here."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from agency.exceptions import StormdeskError
from agency.models import User
from monitoring.views.base import brand_of, writes
from playbooks.lessons import (
    change_summary,
    incident_lessons,
    lessons_refusal,
    playbook_lessons_apply,
    playbook_lessons_keep,
)
from playbooks.views.reads import incident_get
from playbooks.views_playbooks import PlaybookForm, StepFormSet, playbook_initial


@require_http_methods(["GET", "POST"])
def lessons_page(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the editor beside the lessons. POST: the changed playbook saved (back to the
    playbook's page, which lists the change), or with `keep`, the playbook kept as it is. An
    incident still open, without lessons or without a playbook goes back to its page with the
    reason; a form that does not hold is shown again with its errors (400)."""
    client = brand_of(request)
    user = request.user
    if not writes(request) or not isinstance(user, User):
        raise PermissionDenied
    incident = incident_get(client=client, pk=pk)
    if incident is None:
        raise Http404
    refusal = lessons_refusal(incident)
    if refusal is not None or incident.playbook is None:
        messages.error(request, refusal or "")
        return redirect("incident-page", pk=incident.pk)
    playbook = incident.playbook
    head, rows = playbook_initial(playbook)
    form, steps = PlaybookForm(initial=head), StepFormSet(initial=rows, prefix="steps")
    status = 200
    if request.method == "POST" and "keep" in request.POST:
        try:
            playbook_lessons_keep(client=client, incident=incident, acting_user=user)
        except StormdeskError as exc:
            messages.error(request, exc.message)
            return redirect("incident-page", pk=incident.pk)
        messages.success(
            request,
            _("%(playbook)s is kept as it was: the lessons of “%(incident)s” no longer wait.")
            % {"playbook": playbook.name, "incident": incident.title},
        )
        return redirect("playbook-page", pk=playbook.pk)
    if request.method == "POST":
        form = PlaybookForm(request.POST)
        steps = StepFormSet(request.POST, prefix="steps")
        if form.is_valid() and steps.is_valid():
            chosen = [s for s in steps.cleaned_data if s and s.get("title")]
            try:
                change = playbook_lessons_apply(
                    client=client,
                    incident=incident,
                    acting_user=user,
                    steps=chosen,
                    **form.cleaned_data,
                )
            except StormdeskError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    _("The playbook is changed from the lessons of “%(incident)s”: %(changes)s.")
                    % {"incident": incident.title, "changes": change_summary(change.changes)},
                )
                return redirect("playbook-page", pk=playbook.pk)
        status = 400
    return render(
        request,
        "playbooks/lessons_edit.html",
        {
            "client": client,
            "incident": incident,
            "playbook": playbook,
            "form": form,
            "steps": steps,
            "writes": True,
            "lessons": incident_lessons(client=client, incident=incident, agency=True),
        },
        status=status,
    )
